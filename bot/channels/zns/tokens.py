"""Where the ZNS client gets the OA access token. ZNS calls use the Official Account's
OAuth v4 access token; the rotating implementation is the OA channel's
(bot/channels/zalo_oa/tokens.py). Anything with `access_token()` fits."""

from __future__ import annotations

from typing import Protocol


class AccessTokenSource(Protocol):
    async def access_token(self) -> str: ...


class StaticToken:
    """One fixed token (tests, the CLI, or an operator pasting a token by hand)."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def access_token(self) -> str:
        return self._token
