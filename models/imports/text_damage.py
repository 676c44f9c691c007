"""Text that an encoding has already damaged before the file reached us: a UTF-8 file
opened as Windows-1252/1258 and saved again ("Nguyá»…n"), or a file saved in a Western code
page, where Excel writes "?" for every letter it cannot encode ("Nguy?n"). Neither can be
repaired reliably, so the person is asked to save the file as "CSV UTF-8" instead of
getting records with broken names and titles."""

from __future__ import annotations

import re
from collections.abc import Sequence

from models.imports.table import Sheet

# A letter, "?", a letter: how Excel writes "ễ" in "Nguyễn" when the code page lacks it.
_LOST_LETTER = re.compile(r"[^\W\d_]\?+[^\W\d_]")
_CHECKED_ROWS = 200  # damage shows on the first rows; a 20 MB file need not be scanned whole


def damaged_sample(sheets: Sequence[Sheet]) -> str | None:
    """A damaged cell of the first rows, as read, or None when the text looks sound."""
    for sheet in sheets:
        for row in sheet.rows[:_CHECKED_ROWS]:
            for cell in row:
                if isinstance(cell, str) and not cell.isascii() and _mojibake(cell):
                    return cell
                # A link's query ("verify?code=…") is not a lost letter.
                if isinstance(cell, str) and "://" not in cell and _LOST_LETTER.search(cell):
                    return cell
    return None


def _mojibake(cell: str) -> bool:
    """UTF-8 bytes read as a Windows code page: encoding back gives valid UTF-8 that says
    something else. Sound Vietnamese text has letters (ơ, ư, ạ…) those code pages lack."""
    for code_page in ("cp1252", "cp1258"):
        try:
            repaired = cell.encode(code_page).decode("utf-8")
        except UnicodeError:
            continue
        if repaired != cell:
            return True
    return False
