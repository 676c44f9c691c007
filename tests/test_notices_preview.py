"""#14.2/#14.3 `python -m bot notices preview`: what the next planning run would send, per
channel, with the ZNS count and cost, counted with the sender's channel order; nothing
is written (the planners' transaction is rolled back)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot import notices_preview
from bot.__main__ import parser
from bot.config import Settings
from bot.db import Database
from locales import use_locale
from models.notices import outbox as notices
from models.notices import zns
from models.notices.outbox import NewNotice, Notice, enqueue_many
from tests.notice_world import seed_people

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
KINDS = frozenset({*notices.REQUIRED_KINDS, notices.REGISTRATION_DEADLINE})


async def test_preview_counts_per_channel_with_the_zns_cost_and_writes_nothing(
    db: Database,
) -> None:
    async with db.transaction() as session:
        linked = await seed_people(session, 2, phone=None)
        phones = await seed_people(session, 3, start=10, channel=None, phone="+84912345678")
        (nobody,) = await seed_people(session, 1, start=20, channel=None)
        await enqueue_many(
            session,
            [
                *(NewNotice(o, notices.COURSE_START, "course:1:lead3", NOW, "x") for o in linked),
                *(NewNotice(o, notices.REQUIREMENT_DUE, "rule:A:1", NOW, "y") for o in phones),
                # Not a ZNS kind: nobody can carry it to them.
                NewNotice(phones[0], notices.COURSE_START, "course:1:lead3", NOW, "z"),
                NewNotice(nobody, notices.REQUIREMENT_DUE, "rule:A:1", NOW, "y"),
            ],
        )
        before = await session.scalar(select(func.count()).select_from(Notice))
    on = zns.ZnsSettings(
        enabled=True, price_vnd=2_415_000, catalogue=zns.load_catalogue(known_kinds=KINDS)
    )
    settings = replace(Settings(), database_url=db.url, zns=on)
    preview = await notices_preview.compute(settings, db, NOW)
    assert dict(preview.by_channel) == {"telegram": 2, "zns": 3}
    assert dict(preview.unreached) == {"zns_off": 1, "no_chat_no_phone": 1}
    with use_locale("vi"):
        text = notices_preview.render(preview, at="01/12/2026 10:00")
    assert "zns: 3 — ước tính 7.245.000 ₫ cho 3 tin ZNS" in text, text
    assert "Không gửi được: 2 thông báo" in text
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Notice)) == before
        states = set(await session.scalars(select(Notice.state)))
    assert states == {notices.PENDING}


def test_the_cli_has_the_command() -> None:
    args = parser().parse_args(["notices", "preview"])
    assert (args.command, args.action) == ("notices", "preview")
