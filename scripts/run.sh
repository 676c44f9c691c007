#!/usr/bin/env bash
# Set up and run the bot. Without TELEGRAM_BOT_TOKEN: the console demo on a seeded demo
# province. With it: Telegram (polling, or a webhook when TELEGRAM_WEBHOOK_URL is set).
# Extra arguments go to `python -m bot` (e.g. `scripts/run.sh demo --unlinked`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m bot "$@"
