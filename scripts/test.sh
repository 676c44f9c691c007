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
exec .venv/bin/python -m pytest "$@"
