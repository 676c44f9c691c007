"""systemd's EnvironmentFile= syntax (systemd.exec(5), src/basic/env-file.c), for tests that
start the deploy/ units as systemd would: the operator's troly.env is read by systemd, not
by the app, so the test must read it the same way.

KEY=VALUE lines; lines starting with # or ; (after blanks) are comments; a value may be
quoted with '…' (literal) or "…" (\\ escapes \\, ", $, `); unquoted, a backslash escapes the
next character and trailing blanks are dropped; a backslash before the newline continues
the line (inside double quotes too). A `#` after a value is part of the value.
"""

from __future__ import annotations

import re

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOUBLE_ESCAPES = '"\\`$'


def parse_environment_file(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    i, n = 0, len(text)
    while i < n:
        # Blanks and empty lines before a key.
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n:
            break
        if text[i] in "#;":
            i = _end_of_line(text, i)
            continue
        eq = text.find("=", i)
        newline = text.find("\n", i)
        if eq < 0 or (0 <= newline < eq):
            raise ValueError(f"not KEY=VALUE: {text[i : _end_of_line(text, i)]!r}")
        key = text[i:eq].strip()
        if not _KEY.fullmatch(key):
            raise ValueError(f"invalid variable name {key!r}")
        value, i = _value(text, eq + 1)
        found[key] = value
    return found


def _end_of_line(text: str, i: int) -> int:
    newline = text.find("\n", i)
    return len(text) if newline < 0 else newline + 1


def _value(text: str, i: int) -> tuple[str, int]:
    n = len(text)
    while i < n and text[i] in " \t":
        i += 1
    out: list[str] = []
    trailing = 0  # unquoted blanks at the end, dropped if nothing follows them
    while i < n and text[i] != "\n":
        c = text[i]
        if c == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise ValueError("unterminated single quote")
            out.append(text[i + 1 : end])
            trailing, i = 0, end + 1
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n:
                    nxt = text[i + 1]
                    if nxt == "\n":
                        i += 2
                        continue
                    if nxt in _DOUBLE_ESCAPES:
                        out.append(nxt)
                        i += 2
                        continue
                out.append(text[i])
                i += 1
            if i >= n:
                raise ValueError("unterminated double quote")
            trailing, i = 0, i + 1
        elif c == "\\" and i + 1 < n:
            if text[i + 1] != "\n":
                out.append(text[i + 1])
            trailing, i = 0, i + 2
        else:
            out.append(c)
            trailing = trailing + 1 if c in " \t\r" else 0
            i += 1
    value = "".join(out)
    if trailing:
        value = value[:-trailing]
    return value, i + 1
