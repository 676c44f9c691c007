"""#14.3 "chưa liên lạc được": /quantri counts, within the admin's units, the officials a
recent notice could not reach on any channel, and hands HR the list as .xlsx (name, unit,
what they were not told, why) — over the real python-telegram-bot stack and the fake Bot
API, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import insert, update

from bot.config import Settings
from bot.db import Database
from models.chat import link_codes
from models.chat.accounts import ChatAccount
from models.notices import outbox as notices
from models.notices import zns
from models.notices.delivery import ALL_BLOCKED
from models.notices.outbox import NewNotice, Notice, enqueue_many
from models.org import admins
from tests.factories import make_official, small_province
from tests.fake_bot_api import FakeBotApi
from tests.test_zns_costs import ADMIN, next_message, telegram

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
DUE = NOW - timedelta(days=2)
OLD = DUE - timedelta(days=40)


async def _link(session: object, official_id: int, chat: str, *, blocked: bool) -> None:
    await session.execute(  # type: ignore[attr-defined]
        insert(ChatAccount).values(
            channel="telegram",
            external_user_id=chat,
            chat_id=chat,
            official_id=official_id,
            linked_at=NOW,
            failed_link_attempts=0,
            created_at=NOW,
            last_seen_at=NOW,
            unreachable_at=NOW if blocked else None,
        )
    )


async def seed(db: Database) -> str:
    async with db.transaction() as session:
        units = await small_province(session)
        hr = await make_official(
            session, units["tccb"], employee_code="DB000006", phone="+84912000006"
        )
        await admins.grant(session, hr, units["noi_vu"], actor="test", now=NOW)
        tccb = units["tccb"]
        no_phone = await make_official(
            session, tccb, employee_code="DB100001", full_name="Lò Thị Ánh", phone=None
        )
        phone_only = await make_official(
            session,
            tccb,
            employee_code="DB100002",
            full_name="=Quàng Văn Bình",
            phone="+84915000002",
        )
        blocked = await make_official(
            session, tccb, employee_code="DB100003", full_name="Cà Văn Công", phone=None
        )
        fine = await make_official(
            session, tccb, employee_code="DB100004", full_name="Vì Thị Dung", phone=None
        )
        outside = await make_official(
            session, units["sin_thau"], employee_code="DB200001", phone=None
        )
        await _link(session, blocked.id, "8003", blocked=True)
        await _link(session, fine.id, "8004", blocked=False)
        queued = await enqueue_many(
            session,
            [
                NewNotice(no_phone.id, notices.REQUIREMENT_DUE, "rule:DB-03:2026-12-31", DUE, "a"),
                NewNotice(no_phone.id, notices.COURSE_START, "course:K-12:lead3", DUE, "b"),
                NewNotice(phone_only.id, notices.REQUIREMENT_DUE, "rule:DB-03:x", DUE, "c"),
                NewNotice(blocked.id, notices.REQUIREMENT_OVERDUE, "rule:DB-05:x", DUE, "d"),
                NewNotice(fine.id, notices.REQUIREMENT_DUE, "rule:DB-03:x", DUE, "e"),
                NewNotice(outside.id, notices.REQUIREMENT_DUE, "rule:DB-03:x", DUE, "f"),
                # Older than 30 days: no longer on HR's list.
                NewNotice(
                    no_phone.id, notices.REQUIREMENT_DUE, "rule:OLD:x", DUE - timedelta(40), "g"
                ),
            ],
        )
        assert queued == 7
        outcome = {
            "a": (notices.DROPPED, notices.NOT_LINKED),
            "b": (notices.DROPPED, notices.NOT_LINKED),
            "c": (notices.DROPPED, notices.NOT_LINKED),
            "d": (notices.BLOCKED, ALL_BLOCKED),
            "e": (notices.SENT, None),
            "f": (notices.DROPPED, notices.NOT_LINKED),
            "g": (notices.DROPPED, notices.NOT_LINKED),
        }
        for text, (state, error) in outcome.items():
            await session.execute(
                update(Notice)
                .where(Notice.text == text)
                .values(state=state, last_error=error, finished_at=DUE)
            )
        return await link_codes.issue(session, hr, now=NOW, created_by="test", pepper=b"")


async def test_quantri_counts_the_unreached_in_scope_and_sends_the_list(
    fake: FakeBotApi, db: Database
) -> None:
    code = await seed(db)
    async with telegram(fake, db, Settings()):
        await next_message(fake, lambda: fake.push_text(ADMIN, f"/start {code}"))
        menu = await next_message(fake, lambda: fake.push_text(ADMIN, "/quantri"))
        assert "Chưa liên lạc được: 3 CBCCVC" in (menu.text or ""), menu.text
        button = menu.callback_data("Danh sách chưa liên lạc được")
        reply = await next_message(fake, lambda: fake.push_callback(ADMIN, menu.message_id, button))
        documents = [m for m in fake.sent_to(ADMIN) if m.document is not None]
    assert documents, reply.text
    name, content = documents[-1].document  # type: ignore[misc]
    assert name.startswith("chua-lien-lac-duoc-") and name.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    by_code = {r[0]: r for r in rows}
    assert sorted(by_code) == ["DB100001", "DB100002", "DB100003"]
    assert by_code["DB100001"][2] == "Phòng Tổ chức cán bộ"
    assert by_code["DB100001"][3] == (
        "Yêu cầu bồi dưỡng sắp đến hạn DB-03 (29/11/2026); "
        "Khóa học sắp khai giảng K-12 (29/11/2026)"
    )
    assert by_code["DB100001"][4].startswith("Chưa liên kết tài khoản chat và không có số")
    assert "ZNS chưa bật" in by_code["DB100002"][4]
    assert by_code["DB100002"][1] == "=Quàng Văn Bình"  # data, never a formula
    assert sheet.cell(row=1 + rows.index(by_code["DB100002"]) + 1, column=2).data_type == "s"
    assert by_code["DB100003"][4].startswith("Đã chặn Trợ lý")


async def test_with_zns_on_a_phone_makes_an_official_reachable_again(
    fake: FakeBotApi, db: Database
) -> None:
    code = await seed(db)
    kinds = frozenset({*notices.REQUIRED_KINDS, notices.REGISTRATION_DEADLINE})
    on = zns.ZnsSettings(enabled=True, catalogue=zns.load_catalogue(known_kinds=kinds))
    async with telegram(fake, db, replace(Settings(), zns=on)):
        await next_message(fake, lambda: fake.push_text(ADMIN, f"/start {code}"))
        menu = await next_message(fake, lambda: fake.push_text(ADMIN, "/quantri"))
    # DB100002 has a phone: ZNS now carries a requirement notice to them.
    assert "Chưa liên lạc được: 2 CBCCVC" in (menu.text or ""), menu.text
