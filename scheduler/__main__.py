"""`python -m scheduler`, kept for existing deployments: the process entry is
bot/scheduler_main.py (`python -m bot scheduler`), because only bot/ reads the environment.
This is the one file of scheduler/ allowed to import bot (tests/test_architecture.py)."""

from bot.scheduler_main import main

if __name__ == "__main__":
    raise SystemExit(main())
