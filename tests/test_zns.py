"""ZNS (#14.2) over the fake ZNS server (tests/fake_zns.py), on SQLite and PostgreSQL: an
unlinked official receives a deadline ZNS in the template's words, and Zalo's delivery
callback marks the notice delivered; and the template file's rules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.channels.zns import callbacks
from bot.channels.zns.tokens import StaticToken
from bot.channels.zns.transport import ZnsTransport
from bot.db import Database
from bot.sender import Sender, SenderConfig
from locales import use_locale
from models.notices import outbox as notices
from models.notices import zns
from models.notices.outbox import NewNotice, Notice, enqueue_many
from models.notices.routing import RoutingPolicy
from models.notices.send_window import SendWindow
from models.notices.zns_store import ZnsDelivery, ZnsRoute
from tests.fake_zns import OA_SECRET, TOKEN, FakeZns
from tests.notice_world import seed_people

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 10:00 local: inside the send window
KINDS = frozenset({*notices.REQUIRED_KINDS, notices.REGISTRATION_DEADLINE, notices.BROADCAST})


def catalogue() -> zns.ZnsCatalogue:
    return zns.load_catalogue(known_kinds=KINDS)


def test_the_shipped_templates_load_and_never_say_anh_chi() -> None:
    found = catalogue()
    assert found.for_kind(notices.REQUIREMENT_DUE, "en") is not None  # falls back to vi
    for template in found.templates:
        assert not zns.says_anh_chi(template.sample)


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        ({"kind": "nope", "template_id": "1", "params": []}, "unknown notice kind"),
        ({"kind": "requirement_due", "template_id": "x1"}, "numeric id"),
        (
            {
                "kind": "requirement_due",
                "template_id": "1",
                "sample": "Kính gửi anh/chị <name>",
                "params": [{"name": "name", "source": "official.name", "max": 30}],
            },
            "anh/chị",
        ),
        (
            {
                "kind": "requirement_due",
                "template_id": "1",
                "params": [{"name": "name", "source": "official.salary", "max": 30}],
            },
            "unknown source",
        ),
        ({"kind": "requirement_due", "template_id": "1", "params": []}, "at least one"),
    ],
)
def test_a_bad_template_file_is_refused_at_start(entry: dict[str, object], complaint: str) -> None:
    with pytest.raises(zns.ZnsTemplateError, match=complaint):
        zns.parse_catalogue({"templates": [entry]}, known_kinds=KINDS)


def test_phone_and_parameters_follow_the_template() -> None:
    assert zns.zns_phone("+84912345678") == "84912345678"
    assert zns.zns_phone("+33612345678") is None
    assert zns.zns_phone(None) is None
    template = catalogue().for_kind(notices.REQUIREMENT_DUE, "vi")
    assert template is not None
    data = zns.template_data(
        template,
        name="Nguyễn Thị Phương Thảo Trần Ngọc Bảo Châu Lê",  # longer than the 30 allowed
        code="DB1",
        subject="rule:anh/chị-DB-03:2026-12-31",
        deadline=datetime(2026, 12, 31, 16, 59, tzinfo=UTC),
        tz=TZ,
    )
    assert len(data["name"]) == 30
    assert data["date"] == "31/12/2026"
    assert not any(zns.says_anh_chi(v) for v in data.values())


def test_the_cost_line_uses_vietnamese_numbers() -> None:
    with use_locale("vi"):
        assert zns.cost_line(24_150, 300) == "ước tính 7.245.000 ₫ cho 24.150 tin ZNS"
    with use_locale("en"):
        assert zns.cost_line(24_150, 300) == "estimated 7,245,000 ₫ for 24,150 ZNS messages"


@pytest.fixture
async def fake_zns() -> AsyncIterator[FakeZns]:
    templates = {
        t.template_id: {p.name: p.max_len for p in t.params} for t in catalogue().templates
    }
    server = await FakeZns(templates).start()
    yield server
    await server.stop()


async def _callback_receiver(db: Database) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(callbacks.app(db, secret=OA_SECRET))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/zalo/events"


def _sender(db: Database, fake: FakeZns, *, enabled: bool = True) -> Sender:
    settings = zns.ZnsSettings(enabled=enabled, catalogue=catalogue(), api_base_url=fake.base_url)
    transport = ZnsTransport(StaticToken(TOKEN), base_url=fake.base_url)
    return Sender(
        db,
        {"zns": transport},
        limits={"zns": 50.0},
        window=SendWindow(tz=TZ, quiet=(time(21), time(7))),
        config=SenderConfig(idle_poll=0.05),
        clock=lambda: NOW,
        unlinked=ZnsRoute(settings, TZ),
        policy=RoutingPolicy(zns=settings, tz=TZ),
    )


async def test_an_unlinked_official_receives_a_deadline_zns_and_its_delivery_is_recorded(
    db: Database, fake_zns: FakeZns
) -> None:
    runner, url = await _callback_receiver(db)
    fake_zns.callback_url = url
    deadline = datetime(2026, 12, 31, 16, 59, tzinfo=UTC)
    async with db.transaction() as session:
        (unlinked,) = await seed_people(session, 1, channel=None, phone="+84912345678")
        (no_phone,) = await seed_people(session, 1, start=2, channel=None)
        await enqueue_many(
            session,
            [
                NewNotice(
                    unlinked,
                    notices.REQUIREMENT_DUE,
                    "rule:DB-03:2026-12-31",
                    NOW,
                    "Kính gửi anh 1, …",
                    relevant_until=deadline,
                ),
                # Not a hard deadline: ZNS is paid and for deadlines only.
                NewNotice(unlinked, notices.COURSE_START, "course:7:lead3", NOW, "Khóa học…"),
                NewNotice(
                    no_phone,
                    notices.REQUIREMENT_DUE,
                    "rule:DB-03:2026-12-31",
                    NOW,
                    "Kính gửi anh 2, …",
                    relevant_until=deadline,
                ),
            ],
        )
    transport = None
    try:
        sender = _sender(db, fake_zns)
        transport = sender.transports["zns"]
        await sender.drain()
        await fake_zns.settle()
    finally:
        if transport is not None:
            await transport.close()  # type: ignore[attr-defined]
        await runner.cleanup()
    assert len(fake_zns.sent) == 1 and not fake_zns.refused
    (sent,) = fake_zns.sent
    assert sent["phone"] == "84912345678"
    assert sent["template_id"] == "231001"
    assert sent["template_data"] == {"name": "Nguyễn Văn 1", "ref": "DB-03", "date": "31/12/2026"}
    assert fake_zns.callbacks == [200]
    async with db.transaction() as session:
        rows = {
            (n.official_id, n.kind): (n.state, n.channel, n.last_error)
            for n in await session.scalars(select(Notice))
        }
        (delivery,) = (await session.scalars(select(ZnsDelivery))).all()
    assert rows[(unlinked, notices.REQUIREMENT_DUE)][:2] == (notices.SENT, "zns")
    assert rows[(unlinked, notices.COURSE_START)] == (notices.DROPPED, None, notices.NOT_LINKED)
    assert rows[(no_phone, notices.REQUIREMENT_DUE)][0] == notices.DROPPED
    assert delivery.status == "delivered" and delivery.msg_id == "zns000001"
    assert delivery.delivered_at == datetime.fromtimestamp(1764568805, UTC)


async def test_zns_waits_for_the_send_window_even_when_urgent(
    db: Database, fake_zns: FakeZns
) -> None:
    async with db.transaction() as session:
        (unlinked,) = await seed_people(session, 1, channel=None, phone="+84912345678")
        await enqueue_many(
            session,
            [
                NewNotice(
                    unlinked,
                    notices.REQUIREMENT_OVERDUE,
                    "rule:DB-03:2026-12-31",
                    NOW,
                    "…",
                    urgent=True,
                )
            ],
        )
    sender = _sender(db, fake_zns)
    sender.clock = lambda: NOW + timedelta(hours=12)  # 22:00 local: quiet hours
    try:
        await sender.drain()
    finally:
        await sender.transports["zns"].close()  # type: ignore[attr-defined]
    assert fake_zns.sent == []
    async with db.transaction() as session:
        (row,) = (await session.scalars(select(Notice))).all()
    assert (row.state, row.channel, row.urgent) == (notices.PENDING, "zns", False)


async def test_a_forged_callback_changes_nothing(db: Database) -> None:
    assert not await callbacks.zns_event(
        db, {"event_name": "user_received_message", "message": {"tracking_id": "x9"}}
    )
