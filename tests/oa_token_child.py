"""A Zalo OA token manager in its own process, for the test that kills one mid-refresh.

    python -m tests.oa_token_child DB_URL OAUTH_BASE_URL

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
from tests.fake_zalo_oa import APP_ID, SECRET_KEY


async def main(db_url: str, oauth_base: str) -> dict[str, str]:
    db = Database(db_url)
    settings = ZaloOaSettings(app_id=APP_ID, secret_key=SECRET_KEY, oauth_base_url=oauth_base)
    tokens = OaTokens(db, settings, lambda: datetime.now(UTC))
    try:
        return {"token": await tokens.access_token()}
    except TokenUnavailable as exc:
        return {"error": str(exc)}
    finally:
        await tokens.close()
        await db.dispose()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2]))), flush=True)
