"""The OA's OpenAPI v3 messages: `POST {base}/v3.0/oa/message/cs` with the access token in
the `access_token` header (official PHP SDK, ZaloEndPoint.API_OA_SEND_CONSULTATION_MESSAGE_V3
and ZaloClient). Zalo answers HTTP 200 with `{"error": 0, "data": {...}}` or a negative
error code (docs/zalo-oa.md, "Error codes")."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from bot.channels.zalo_oa.tokens import OaTokens

log = logging.getLogger(__name__)

CS_PATH = "/v3.0/oa/message/cs"
HTTP_TIMEOUT = 15.0
TOKEN_INVALID = -216
TOKEN_EXPIRED = -124
OUTSIDE_WINDOW = -230
NOT_FOLLOWER = -213
TOKEN_ERRORS = frozenset({TOKEN_INVALID, TOKEN_EXPIRED})


class OaError(Exception):
    def __init__(self, code: int | None, message: str, *, may_have_arrived: bool = False) -> None:
        super().__init__(f"{code}: {message}" if code is not None else message)
        self.code = code
        self.message = message
        self.may_have_arrived = may_have_arrived


class OaApi:
    def __init__(
        self, tokens: OaTokens, base_url: str, client: httpx.AsyncClient | None = None
    ) -> None:
        self.tokens = tokens
        self.base_url = base_url.rstrip("/")
        self._client = client or httpx.AsyncClient(timeout=HTTP_TIMEOUT)
        self._own_client = client is None

    async def close(self) -> None:
        if self._own_client:
            await self._client.aclose()

    async def send_cs(self, user_id: str, message: dict[str, Any]) -> str:
        """One consultation message; returns Zalo's message id. A token Zalo refuses early
        (revoked, or a clock skew) is refreshed once and the message sent again."""
        body = {"recipient": {"user_id": user_id}, "message": message}
        for attempt in range(2):
            token = await self.tokens.access_token()
            try:
                data = await self._post(CS_PATH, token, body)
            except OaError as exc:
                if exc.code in TOKEN_ERRORS and attempt == 0:
                    await self.tokens.invalidate(token)
                    continue
                raise
            return str(data.get("message_id") or "")
        raise AssertionError("unreachable")

    async def _post(self, path: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._client.post(
                self.base_url + path, json=body, headers={"access_token": token}
            )
        except httpx.TimeoutException as exc:
            # The request may have reached Zalo: never repeat it blindly.
            raise OaError(None, f"timeout: {type(exc).__name__}", may_have_arrived=True) from None
        except httpx.HTTPError as exc:
            raise OaError(None, f"no answer: {type(exc).__name__}") from None
        try:
            answer = response.json()
        except ValueError:
            raise OaError(None, f"HTTP {response.status_code}, not JSON") from None
        if not isinstance(answer, dict):
            raise OaError(None, "answer is not a JSON object")
        code = int(answer.get("error") or 0)
        if code != 0:
            raise OaError(code, str(answer.get("message") or ""))
        data = answer.get("data")
        return data if isinstance(data, dict) else {}
