#!/usr/bin/env bash
# Set up and run the whole test suite: lint and the format check, then pytest on SQLite and on
# a real PostgreSQL server that the tests start themselves. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/ensure-postgres.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# enabled once the tree is clean (mypy still reports errors that are being fixed)
# .venv/bin/mypy
export REQUIRE_POSTGRES=${REQUIRE_POSTGRES:-1}
exec .venv/bin/python -m pytest "$@"
