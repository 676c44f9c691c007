"""`python -m bot zalo-oa set-token|exchange-code|status`: seeding the OA's first token
pair after the operator authorised the app (docs/zalo-oa.md, "First token pair").

Tokens are read from standard input when not given, so they stay out of the shell history
and the process list; they are never printed back.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from bot.channels.zalo_oa import tokens
from bot.config import ConfigError, Settings
from bot.db import Database
from locales import _, format_datetime
from models.chat import oa_tokens


def _read(prompt: str) -> str:
    print(prompt, file=sys.stderr)
    return sys.stdin.readline().strip()


async def set_token(
    db: Database, settings: Settings, access: str | None, refresh: str | None, expires_in: int
) -> int:
    oa = settings.zalo_oa
    if not oa.configured:
        raise ConfigError("ZALO_OA_APP_ID and ZALO_OA_SECRET_KEY must be set for the Zalo OA")
    access = access or _read("access_token:")
    refresh = refresh or _read("refresh_token:")
    if not access or not refresh:
        print(_("Both the access token and the refresh token are needed."), file=sys.stderr)
        return 2
    generation = await tokens.seed(
        db,
        oa,
        access_token=access,
        refresh_token=refresh,
        expires_in=expires_in,
        now=datetime.now(UTC),
    )
    print(_("Zalo OA tokens stored (generation {n}).").format(n=generation))
    return 0


async def exchange_code(
    db: Database, settings: Settings, code: str, code_verifier: str | None
) -> int:
    pair = await tokens.exchange_code(settings.zalo_oa, code, code_verifier)
    return await set_token(db, settings, pair.access_token, pair.refresh_token, pair.expires_in)


async def status(db: Database, settings: Settings) -> int:
    async with db.transaction() as session:
        row = await oa_tokens.current(session, settings.zalo_oa.oa_id)
    if row is None:
        print(_("No Zalo OA tokens stored: run “python -m bot zalo-oa set-token”."))
        return 1
    print(
        _("Zalo OA tokens: generation {n}, access token valid until {time}.").format(
            n=row.generation, time=format_datetime(row.expires_at, settings.timezone)
        )
    )
    if row.last_error:
        print(
            _("Last refresh failed at {time}: {error}").format(
                time=format_datetime(row.failed_at or row.updated_at, settings.timezone),
                error=row.last_error,
            )
        )
    return 0
