#!/usr/bin/env bash
# Set up and run the whole test suite: lint and the format check, then pytest on SQLite and
# on a real PostgreSQL server that the tests start themselves, with the type check beside it.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/ensure-postgres.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# mypy from an empty cache (a fresh clone) takes one to two minutes of one core; it runs
# beside pytest at the lowest priority, on the CPU the tests leave idle (waits for the
# servers, the serial part's real-time waits), so it takes next to nothing from their
# deadlines. Its verdict and output come after the tests'.
mypy_out=$(mktemp)
nice -n 19 .venv/bin/mypy >"$mypy_out" 2>&1 &
mypy_pid=$!
trap 'kill "$mypy_pid" 2>/dev/null || true; rm -f "$mypy_out"' EXIT
export REQUIRE_POSTGRES=${REQUIRE_POSTGRES:-1}
# First everything that does not measure real time, one worker per core (each starts its
# own PostgreSQL cluster; at most four), work stealing because a few tests take a minute and
# most take milliseconds; then the tests marked `serial` (tests/conftest.py SERIAL_MODULES)
# alone, so no other worker's load decides their deadlines. TEST_WORKERS=0: no workers.
status=0
.venv/bin/python -m pytest -n "${TEST_WORKERS:-auto}" --maxprocesses 4 --dist worksteal \
  -m "not serial" "$@" || status=$?
serial=0
.venv/bin/python -m pytest -m serial "$@" || serial=$?
# 5: no test selected (e.g. `-k` picked none of the serial tests) is not a failure.
[ "$serial" -eq 5 ] && serial=0
[ "$status" -eq 5 ] && status=0
typed=0
wait "$mypy_pid" || typed=$?
cat "$mypy_out"
if [ "$status" -ne 0 ]; then exit "$status"; fi
if [ "$serial" -ne 0 ]; then exit "$serial"; fi
exit "$typed"
