"""Text-only rendering shared by channels without buttons (console, Zalo), and splitting
long replies for platforms with a message length limit."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.types import Reply

CHOICE_INDENT = "   "


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at line breaks where possible."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single line longer than the limit: cut at a space
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current:
        pieces.append(current)
    return [p for p in pieces if p.strip()]


def numbered_choices(replies: Sequence[Reply]) -> list[list[str]]:
    """Each reply's choices as "[n] label" lines, numbered across the whole batch.

    The dispatcher stores one flat list of the choices offered by all replies of an update,
    and `pick_offered_choice` maps "2" to its second entry, so the numbers shown must run on
    from one reply to the next instead of restarting at 1.
    """
    blocks: list[list[str]] = []
    number = 0
    for reply in replies:
        lines: list[str] = []
        for choice in reply.choices:
            number += 1
            # A list whose items are numbered in the text (courses) offers buttons "1", "2"…;
            # "[2] 2" would only repeat what the text already shows.
            if choice.label.strip() != str(number):
                lines.append(f"{CHOICE_INDENT}[{number}] {choice.label}")
        blocks.append(lines)
    return blocks
