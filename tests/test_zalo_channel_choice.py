"""Where a notice goes when an official is linked on Telegram and Zalo at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.db import Database
from models.chat import accounts
from models.notices.channel_choice import preferred_channel
from tests.factories import make_official, small_province

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


async def test_preferred_channel(db: Database) -> None:
    async with db.transaction() as session:
        units = await small_province(session)
        official = await make_official(session, units["tccb"])
        other = await make_official(
            session, units["tccb"], employee_code="DB000009", phone="+84912000009"
        )
        assert await preferred_channel(session, official.id) is None
        telegram = await accounts.get_or_create(
            session, channel="telegram", user_id="555", chat_id="555", now=NOW
        )
        await accounts.link(session, telegram, official, method="code", now=NOW)
        zalo = await accounts.get_or_create(
            session, channel="zalo", user_id="8a3c", chat_id="8a3c", now=NOW + timedelta(hours=1)
        )
        await accounts.link(session, zalo, official, method="code", now=NOW)
        await session.flush()
        # Linking on Zalo left the Telegram link in place (only same-channel links move).
        assert telegram.official_id == official.id

        found = await preferred_channel(session, official.id)
        assert found is not None and found.channel == "zalo"  # used last
        chosen = await preferred_channel(session, official.id, chosen="telegram")
        assert chosen is not None and chosen.channel == "telegram"
        limited = await preferred_channel(session, official.id, channels={"telegram"})
        assert limited is not None and limited.channel == "telegram"

        telegram.last_seen_at = NOW + timedelta(days=1)  # they wrote on Telegram since
        await session.flush()
        found = await preferred_channel(session, official.id)
        assert found is not None and found.channel == "telegram"

        telegram.unreachable_at = NOW + timedelta(days=2)  # then blocked the bot there
        await session.flush()
        fallback = await preferred_channel(session, official.id, chosen="telegram")
        assert fallback is not None and fallback.channel == "zalo"
        assert await preferred_channel(session, other.id) is None
