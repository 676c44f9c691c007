"""The two bots the /hoso benchmark compares, each run in its own process.

python benchmarks/_bots.py echo   BASE_URL FILE_URL
python benchmarks/_bots.py troly  BASE_URL FILE_URL DATABASE_URL
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import replace

TOKEN = "123456:BENCHMARK"


def run_echo(base_url: str, file_url: str) -> None:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(update.message.text or "")

    app = ApplicationBuilder().token(TOKEN).base_url(base_url).base_file_url(file_url).build()
    app.add_handler(MessageHandler(filters.ALL, echo))
    app.run_polling(poll_interval=0)


def run_troly(base_url: str, file_url: str, database_url: str) -> None:
    from bot.__main__ import configure_logging, make_dispatcher, use_province
    from bot.channels import telegram
    from bot.config import Settings
    from bot.db import Database

    configure_logging()
    logging.getLogger().setLevel(logging.WARNING)
    settings = replace(
        Settings.from_env({**os.environ, "DATABASE_URL": database_url}),
        telegram_token=TOKEN,
        telegram_api_base_url=base_url,
        telegram_file_base_url=file_url,
    )
    use_province(settings, demo=True)  # the demo province's rules, as before #13.1
    profile_to = os.environ.get("BOT_PROFILE")  # a CPU profile of the whole run (pstats)
    if not profile_to:
        telegram.run(settings, make_dispatcher(settings, Database(settings.database_url)))
        return
    import cProfile
    import time

    profiler = cProfile.Profile(time.process_time)
    profiler.runcall(
        telegram.run, settings, make_dispatcher(settings, Database(settings.database_url))
    )
    profiler.dump_stats(profile_to)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    kind, *args = sys.argv[1:]
    run_echo(*args) if kind == "echo" else run_troly(*args)
