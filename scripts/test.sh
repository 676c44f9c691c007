#!/usr/bin/env bash
# Set up and run the whole test suite: lint, the format check and the type check, then pytest
# on SQLite and on a real PostgreSQL server that the tests start themselves. Extra arguments go
# to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/ensure-postgres.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
export REQUIRE_POSTGRES=${REQUIRE_POSTGRES:-1}
# One worker per core (each starts its own PostgreSQL cluster), at most four; work stealing
# because a few tests take a minute and most take milliseconds. TEST_WORKERS=0 runs serially.
exec .venv/bin/python -m pytest -n "${TEST_WORKERS:-auto}" --maxprocesses 4 --dist worksteal "$@"
