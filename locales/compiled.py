"""A .po catalogue compiled to .mo once, then read by gettext from the compiled file.

Parsing a .po with Babel costs ~0.1 s of CPU per start for the two languages (the three
setMyCommands menus need both before the bot polls, #15 point 5); reading a .mo is a few
milliseconds. The compiled file is named by the SHA-256 of the .po's bytes, so it can never
outlive its .po: an edited catalogue has another name and is compiled afresh. It sits in a
`__pycache__` directory beside the .po (git-ignored, like Python's own bytecode); where that
directory cannot be written, the catalogue is compiled in memory as before.
"""

from __future__ import annotations

import contextlib
import gettext
import hashlib
import io
import os
import struct
import tempfile
from pathlib import Path

# Part of the cached file's name: a change to how catalogues are compiled here (the fuzzy
# rule, Babel's writer) must not be served from files an older release wrote.
FORMAT = "1"
CACHE_DIR_NAME = "__pycache__"


def compile_po(po: bytes, locale: str) -> bytes:
    """The .mo of a .po: what gettext reads. Fuzzy entries are never shown: a guess in an
    official's language is worse than English."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    catalog = read_po(io.BytesIO(po), locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def cached_mo_path(po_path: Path, po: bytes, locale: str) -> Path:
    digest = hashlib.sha256(f"{FORMAT}\0{locale}\0".encode() + po).hexdigest()[:32]
    return po_path.parent / CACHE_DIR_NAME / f"{po_path.stem}.{digest}.mo"


def load(po_path: Path, locale: str) -> gettext.GNUTranslations:
    """The catalogue of `po_path`, from its compiled file when one exists for these bytes."""
    po = po_path.read_bytes()
    mo_path = cached_mo_path(po_path, po, locale)
    with contextlib.suppress(OSError, struct.error, ValueError, IndexError):
        # A damaged file (a full disk, a hand edit) is compiled again, never trusted.
        return gettext.GNUTranslations(io.BytesIO(mo_path.read_bytes()))
    mo = compile_po(po, locale)
    _store(mo_path, mo)
    return gettext.GNUTranslations(io.BytesIO(mo))


def _store(path: Path, mo: bytes) -> None:
    """Written whole or not at all (a temporary file renamed), so a process starting at the
    same moment never reads half a catalogue; a read-only install keeps compiling in memory."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".mo")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(mo)
            os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide it from the bot's own user
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        # The files of earlier versions of this .po are never read again.
        for old in path.parent.glob(f"{path.name.split('.')[0]}.*.mo"):
            if old != path:
                with contextlib.suppress(OSError):
                    old.unlink()
