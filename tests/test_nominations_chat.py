"""Nominations in the chat (#16.2) through the dispatcher: the whole HR path on Telegram and
Zalo (numbered choices), and the admin buttons that must change nothing — a pick or
confirm outside the admin's units, a non-admin's press, a confirm after the course closed,
and "hết chỉ tiêu"."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db import Database
from models.audit import AuditEntry
from models.courses import nominations
from models.courses.registrations import Registration
from tests.nomination_world import NOW, NominationWorld, build
from tests.transcript import Clock, Person, make_dispatcher, telegram_only


async def _rows(w: NominationWorld) -> int:
    async with w.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(Registration)) or 0)


async def _hr(w: NominationWorld, channel: str) -> Person:
    person = Person(make_dispatcher(w.db, Clock(NOW)), "7010", channel=channel)
    await person.link_with_code(w.db, "0912000010")
    return person


async def test_hr_nominates_by_a_name_typed_without_marks(db: Database, channel: str) -> None:
    w = await build(db, commune_quota=1)
    hr = await _hr(w, channel)
    await hr.say("/quantri")
    await hr.press_label("Cử đi học")
    assert "vui lòng chọn khóa học" in hr.text and "còn 1/1 chỉ tiêu" in hr.choices[0]
    await hr.press_label("K-2026-40")
    assert "Chỉ tiêu của Xã Sín Thầu: còn 1/1" in hr.text
    await hr.say("lo thi nhung")
    await hr.press_label("Lò Thị Nhung")
    assert "Cử Lò Thị Nhung (DB000020, Xã Sín Thầu) đi học khóa K-2026-40" in hr.text
    await hr.press_label("Cử đi học")
    assert "✅ Đã cử Lò Thị Nhung đi học khóa K-2026-40" in hr.text
    assert "Chỉ tiêu đã dùng: 1/1" in hr.text
    # The quota is used up: the next one is told "hết chỉ tiêu".
    await hr.press_label("Cử người khác")
    assert "Chỉ tiêu của Xã Sín Thầu: còn 0/1" in hr.text
    await hr.say("pao")
    await hr.press_label("Mùa A Páo")
    await hr.press_label("Cử đi học")
    assert "Đã hết chỉ tiêu: Xã Sín Thầu đã cử 1/1 người đi học khóa K-2026-40" in hr.text
    assert await _rows(w) == 1


@telegram_only
async def test_forged_and_stale_admin_buttons_change_nothing(db: Database, channel: str) -> None:
    w = await build(db)
    hr = await _hr(w, channel)
    nam, nhung = w.people["nam"].id, w.people["nhung"].id
    # Lê Văn Nam works at the province: outside a commune HR's units, whatever the button.
    await hr.tap(f"nom:pick:{w.course_id}:{nam}")
    assert "không thể cử cán bộ này" in hr.text
    await hr.tap(f"nom:ok:{w.course_id}:{nam}")
    assert "không thể cử cán bộ này" in hr.text
    # A course id that is not offered (none such) is a stale button.
    await hr.tap("nom:crs:999999")
    assert "Nút này không còn hiệu lực" in hr.text
    # The card was shown, then the organiser closed registration: the confirm is refused.
    await hr.tap(f"nom:pick:{w.course_id}:{nhung}")
    assert "Cử Lò Thị Nhung" in hr.text
    async with db.transaction() as session:
        (await w.course(session)).status = "closed"
    await hr.press_label("Cử đi học")
    assert "Khóa K-2026-40 không còn nhận đăng ký. Không có gì thay đổi." in hr.text
    # Someone with no admin role gets the ordinary menu.
    official = Person(make_dispatcher(db, Clock(NOW)), "7020", channel=channel)
    await official.link_with_code(db, "0912000020")
    await official.tap(f"nom:ok:{w.course_id}:{nhung}")
    assert "chỉ dành cho cán bộ tổ chức" in official.text or "dành cho" in official.text
    assert await _rows(w) == 0
    async with db.transaction() as session:
        refused = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == nominations.REFUSED_ACTION)
        )
        denied = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "admin.denied")
        )
    assert refused == 1 and denied == 1


@telegram_only
async def test_a_pick_by_a_forged_id_is_an_audited_read(db: Database, channel: str) -> None:
    """Walking official ids through "nom:pick" (no search typed) shows names, codes and units:
    each card shown is audited like the search's list."""
    from models.privacy.reads import READ

    w = await build(db)
    hr = await _hr(w, channel)
    await hr.tap(f"nom:pick:{w.course_id}:{w.people['nhung'].id}")
    assert "Cử Lò Thị Nhung" in hr.text
    async with db.transaction() as session:
        reads = list(await session.scalars(select(AuditEntry).where(AuditEntry.action == READ)))
    assert [(r.affected, r.detail["kind"]) for r in reads] == [(1, "nomination_pick")]
