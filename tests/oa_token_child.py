"""A Zalo OA token manager in its own process, for the test that kills one mid-refresh.

    python -m tests.oa_token_child DB_URL OAUTH_BASE_URL APP_ID SECRET_KEY

Prints the access token it got as one JSON line, or the error.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime

from bot.channels.zalo_oa.tokens import OaTokens, TokenUnavailable
from bot.config import ZaloOaSettings
from bot.db import Database


async def main(db_url: str, oauth_base: str, app_id: str, secret: str) -> dict[str, str]:
    db = Database(db_url)
    # Not imported from tests.fake_zalo_oa: aiohttp would only slow this process's start.
    settings = ZaloOaSettings(app_id=app_id, secret_key=secret, oauth_base_url=oauth_base)
    tokens = OaTokens(db, settings, lambda: datetime.now(UTC))
    try:
        return {"token": await tokens.access_token()}
    except TokenUnavailable as exc:
        return {"error": str(exc)}
    finally:
        await tokens.close()
        await db.dispose()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(*sys.argv[1:5]))), flush=True)
