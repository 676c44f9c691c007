"""One message a day per official (#14.3): three notices due the same day reach a linked
official as one message, the most urgent first; a notice arriving after the day's message
waits for the next day. Through the real sender, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.db import Database
from bot.sender import Sender, SenderConfig
from bot.transport import Outcome, SendResult
from handlers.types import Reply
from models.notices import outbox as notices
from models.notices.bundling import bundle_pending
from models.notices.outbox import NewNotice, Notice, enqueue_many
from models.notices.send_window import SendWindow
from tests.notice_world import seed_people

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 08:00 local


class Recording:
    channel = "telegram"
    numbered_choices = False

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        self.sent.append((chat_id, reply.text))
        return SendResult(Outcome.SENT)


def _sender(db: Database, transport: Recording, now: datetime) -> Sender:
    return Sender(
        db,
        {"telegram": transport},
        limits={"telegram": 50.0},
        window=SendWindow(tz=TZ, quiet=(time(21), time(7))),
        config=SenderConfig(idle_poll=0.05),
        clock=lambda: now,
    )


async def test_three_notices_due_the_same_day_arrive_as_one_message(db: Database) -> None:
    async with db.transaction() as session:
        (official,) = await seed_people(session, 1)
        await enqueue_many(
            session,
            [
                NewNotice(official, notices.COURSE_START, "course:7:lead1", NOW, "Khóa học 7…"),
                NewNotice(
                    official,
                    notices.REQUIREMENT_OVERDUE,
                    "rule:A:2026-11-30",
                    NOW + timedelta(hours=1),
                    "Quá hạn A…",
                ),
                NewNotice(
                    official,
                    notices.REQUIREMENT_DUE,
                    "rule:B:2026-12-31",
                    NOW + timedelta(hours=3),
                    "Hạn B…",
                    relevant_until=datetime(2026, 12, 31, tzinfo=UTC),
                ),
            ],
        )
    async with db.transaction() as session:
        stats = await bundle_pending(session, now=NOW, tz=TZ)
    assert (stats.carriers, stats.bundled) == (1, 2)
    async with db.transaction() as session:  # planning again bundles nothing twice
        again = await bundle_pending(session, now=NOW, tz=TZ)
    assert (again.carriers, again.bundled) == (0, 0)
    transport = Recording()
    await _sender(db, transport, NOW).drain()
    assert len(transport.sent) == 1
    ((_chat, text),) = transport.sent
    assert text.index("Quá hạn A") < text.index("Hạn B") < text.index("Khóa học 7")
    assert text.startswith("📋 Hôm nay có 3 thông báo")
    async with db.transaction() as session:
        states = sorted(n.state for n in await session.scalars(select(Notice)))
    assert states == [notices.BUNDLED, notices.BUNDLED, notices.SENT]

    # A fourth notice the same afternoon: today's message has gone, so it waits.
    later = NOW + timedelta(hours=5)
    async with db.transaction() as session:
        await enqueue_many(
            session, [NewNotice(official, notices.COURSE_CHANGED, "course:7:changed", later, "…")]
        )
        moved = await bundle_pending(session, now=later, tz=TZ)
    assert moved.postponed == 1
    transport = Recording()
    await _sender(db, transport, later).drain()
    assert transport.sent == []
