"""The OA's access token, refreshed before it expires, by one process at a time.

Zalo's OAuth v4 refresh token is single-use (docs/zalo-oa.md, "Tokens"). The pair lives in
the database (models.chat.oa_tokens): a process that finds the access token near its end
locks the row, looks again (another process may have refreshed meanwhile: then it just
uses the new pair), spends the refresh token and stores the new pair in that same
transaction. A refresh that fails keeps the stored pair, logs one ERROR with the next step,
and pauses refreshing for a while: messages wait in the outbox, nothing crash-loops.

`OaTokens.access_token()` is the interface the ZNS sender uses too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from bot.config import ZaloOaSettings
from bot.db import Database
from bot.logs import redact_secrets
from models.chat import oa_tokens

log = logging.getLogger(__name__)

TOKEN_PATH = "/v4/oa/access_token"
PERMISSION_PATH = "/v4/oa/permission"
HTTP_TIMEOUT = 15.0
# After a failed refresh, wait this long before trying again: a revoked refresh token will
# not start working by itself, and hammering the endpoint helps nobody.
FAILURE_PAUSE = timedelta(minutes=5)


class TokenUnavailable(Exception):
    """No usable access token now; `retry_after` seconds is when asking again makes sense."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RefreshRejected(Exception):
    """Zalo answered the refresh, and said no (the refresh token is spent, revoked or wrong)."""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def next_step(settings: ZaloOaSettings) -> str:
    return (
        "re-authorise the OA at "
        f"{settings.oauth_base_url}{PERMISSION_PATH}?app_id={settings.app_id}&redirect_uri=… "
        "(docs/zalo-oa.md, 'First token pair'), then run "
        "`python -m bot zalo-oa set-token ACCESS_TOKEN REFRESH_TOKEN`"
    )


async def request_tokens(
    client: httpx.AsyncClient, settings: ZaloOaSettings, form: dict[str, str]
) -> TokenPair:
    """POST the OAuth v4 token endpoint (form-encoded, the app's secret in the `secret_key`
    header, as the official PHP SDK's OAuth2Client does). Raises RefreshRejected when Zalo
    answers without a token pair, httpx.HTTPError when there is no usable answer."""
    response = await client.post(
        settings.oauth_base_url + TOKEN_PATH,
        data={"app_id": settings.app_id or "", **form},
        headers={"secret_key": settings.secret_key or ""},
        timeout=HTTP_TIMEOUT,
    )
    if response.status_code >= 500:
        raise httpx.HTTPStatusError(
            f"token endpoint answered {response.status_code}",
            request=response.request,
            response=response,
        )
    try:
        body = response.json()
    except ValueError:
        raise RefreshRejected(f"HTTP {response.status_code}, not JSON") from None
    if not isinstance(body, dict) or not body.get("access_token") or not body.get("refresh_token"):
        error = body.get("error") if isinstance(body, dict) else None
        name = (
            body.get("error_name") or body.get("error_description")
            if isinstance(body, dict)
            else None
        )
        raise RefreshRejected(f"error {error}: {name or 'no token pair in the answer'}")
    try:
        expires_in = int(body.get("expires_in") or 3600)  # the docs show it as a string
    except (TypeError, ValueError):
        expires_in = 3600
    return TokenPair(str(body["access_token"]), str(body["refresh_token"]), expires_in)


class OaTokens:
    """The one way to get the OA's access token, in any process."""

    def __init__(
        self,
        db: Database,
        settings: ZaloOaSettings,
        clock: Callable[[], datetime],
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self._client = client or httpx.AsyncClient()
        self._own_client = client is None
        self._lock = asyncio.Lock()
        self._cached: tuple[str, datetime, int] | None = None  # token, expires_at, generation

    @property
    def margin(self) -> timedelta:
        return timedelta(minutes=self.settings.refresh_margin_minutes)

    async def close(self) -> None:
        if self._own_client:
            await self._client.aclose()

    def _fresh(self, expires_at: datetime, now: datetime) -> bool:
        return expires_at - self.margin > now

    async def access_token(self) -> str:
        now = self.clock()
        if self._cached is not None and self._fresh(self._cached[1], now):
            return self._cached[0]
        async with self._lock:
            return await self._refresh_if_needed()

    async def invalidate(self, token: str) -> None:
        """Zalo refused this access token before its time: refresh at the next call."""
        if self._cached is not None and self._cached[0] == token:
            self._cached = (token, self.clock() - self.margin, self._cached[2])

    async def _refresh_if_needed(self) -> str:
        now = self.clock()
        async with self.db.transaction() as session:
            row = await oa_tokens.current(session, self.settings.oa_id)
            if row is None:
                raise TokenUnavailable(
                    f"no Zalo OA token stored yet: {next_step(self.settings)}", 300.0
                )
            known = self._cached[2] if self._cached is not None else None
            refused_here = self._cached is not None and not self._fresh(self._cached[1], now)
            if self._fresh(row.expires_at, now) and not (refused_here and row.generation == known):
                self._remember(row.access_token, row.refresh_token, row.expires_at, row.generation)
                return row.access_token
        if row.failed_at is not None and now < row.failed_at + FAILURE_PAUSE:
            # Any process's failure pauses every process: one alert, not one per worker.
            return self._still_valid_or_raise(row.access_token, row.expires_at, now)
        outcome: str | None = None
        async with self.db.transaction() as session:
            # Locked: every other process waits here, then sees the new generation.
            row = await oa_tokens.locked(session, self.settings.oa_id)
            assert row is not None
            if row.generation != known and self._fresh(row.expires_at, now):
                self._remember(row.access_token, row.refresh_token, row.expires_at, row.generation)
                return row.access_token
            try:
                pair = await request_tokens(
                    self._client,
                    self.settings,
                    {"grant_type": "refresh_token", "refresh_token": row.refresh_token},
                )
            except RefreshRejected as exc:
                outcome = f"Zalo refused the refresh: {exc}"
                oa_tokens.record_failure(row, outcome, now)
            except httpx.HTTPError as exc:
                outcome = f"the token endpoint could not be reached: {type(exc).__name__}"
                oa_tokens.record_failure(row, outcome, now)
            else:
                redact_secrets((pair.access_token, pair.refresh_token))  # before any SQL log
                row = await oa_tokens.store(
                    session,
                    self.settings.oa_id,
                    access_token=pair.access_token,
                    refresh_token=pair.refresh_token,
                    expires_at=now + timedelta(seconds=pair.expires_in),
                    now=now,
                )
                await session.flush()
            token, expires_at, generation = row.access_token, row.expires_at, row.generation
            refresh = row.refresh_token
        if outcome is None:
            self._remember(token, refresh, expires_at, generation)
            log.info("Zalo OA access token refreshed (generation %d)", generation)
            return token
        log.error(
            "Zalo OA token refresh failed, OA messages wait in the outbox: %s. Next step: %s",
            outcome,
            next_step(self.settings),
        )
        return self._still_valid_or_raise(token, expires_at, now)

    def _remember(self, token: str, refresh: str, expires_at: datetime, generation: int) -> None:
        if self._cached is None or self._cached[2] != generation:
            # Tokens are no settings, so the redactor learns each pair as it arrives: even a
            # DEBUG log of the database driver's parameters shows *** (two per hour).
            redact_secrets((token, refresh))
        self._cached = (token, expires_at, generation)

    def _still_valid_or_raise(self, token: str, expires_at: datetime, now: datetime) -> str:
        if expires_at > now:
            return token  # not refreshed, but still accepted for a little while
        raise TokenUnavailable(
            "the Zalo OA access token has expired and could not be refreshed",
            FAILURE_PAUSE.total_seconds(),
        )


async def seed(
    db: Database,
    settings: ZaloOaSettings,
    *,
    access_token: str,
    refresh_token: str,
    expires_in: int,
    now: datetime,
) -> int:
    """Store the first pair (from the OA authorisation); returns its generation."""
    redact_secrets((access_token, refresh_token))
    async with db.transaction() as session:
        row = await oa_tokens.store(
            session,
            settings.oa_id,
            access_token=access_token,
            refresh_token=refresh_token,
            expires_at=now + timedelta(seconds=expires_in),
            now=now,
        )
        await session.flush()
        return row.generation


async def exchange_code(
    settings: ZaloOaSettings, code: str, code_verifier: str | None
) -> TokenPair:
    """The authorisation code from the OA's consent redirect, for the first pair."""
    form = {"grant_type": "authorization_code", "code": code}
    if code_verifier:
        form["code_verifier"] = code_verifier
    async with httpx.AsyncClient() as client:
        return await request_tokens(client, settings, form)
