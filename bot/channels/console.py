"""The same conversations in a terminal: for the demo and for development.

Choices are shown as a numbered list; typing the number (or the label) picks one, exactly
as on Zalo. There is no contact button, so people link with a code.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TextIO

from bot.channels.text import CHOICE_INDENT, numbered_choices
from bot.dispatch import Dispatcher
from handlers.types import Incoming, Reply
from locales import _, use_locale

CHANNEL = "console"
QUIT_WORDS = {"/thoat", "/quit", "/exit", "thoat", "quit", "exit"}


def render(replies: list[Reply], files_dir: Path) -> str:
    lines: list[str] = []
    for reply, choice_lines in zip(replies, numbered_choices(replies), strict=True):
        lines.append(reply.text)
        lines.extend(choice_lines)
        if reply.request_contact:
            lines.append(
                CHOICE_INDENT
                + _(
                    "(On Telegram a “share my phone number” button appears here; in the "
                    "console please type your link code.)"
                )
            )
        for attachment in reply.attachments:
            files_dir.mkdir(parents=True, exist_ok=True)
            path = files_dir / attachment.file_name
            path.write_bytes(attachment.content)
            lines.append(CHOICE_INDENT + "📎 " + _("File saved: {path}").format(path=path))
    return "\n".join(lines)


async def run(
    dispatcher: Dispatcher,
    *,
    user_id: str = "demo",
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    files_dir: Path = Path("data/console-files"),
    first: str | None = "/start",
) -> None:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout

    async def send(text: str) -> None:
        replies = await dispatcher.handle(
            Incoming(channel=CHANNEL, chat_id=user_id, sender_id=user_id, text=text)
        )
        with use_locale(dispatcher.default_locale):
            stdout.write(render(replies, files_dir) + "\n\n")
        stdout.flush()

    if first:
        await send(first)
    while True:
        stdout.write("> ")
        stdout.flush()
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            break
        text = line.rstrip("\n")
        if text.strip().lower() in QUIT_WORDS:
            break
        if text.strip():
            await send(text)
