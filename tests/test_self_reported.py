"""Issue #16 point 8: an official sends a photo or PDF of a certificate earned elsewhere; HR
whose scope reaches the official's unit verifies it (a training record, seen in /yeucau) or
rejects it with a reason (the official told through the outbox); foreign admins and forged
ids are refused and audited; the file reference goes N days after the decision. Through
the real dispatcher on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.db import Database
from handlers.payloads import REVIEW_OPEN, REVIEW_VERIFY, SELF_REPORT_START
from handlers.types import Document
from locales import use_locale
from models.audit import AuditEntry
from models.notices.outbox import Notice
from models.org import admins
from models.org.officials import Official
from models.org.units import OrgUnit
from models.privacy import my_data
from models.privacy.reads import READ
from models.privacy.retention import apply_retention
from models.privacy.settings import PrivacySettings
from models.requirements import self_reported
from models.requirements.evaluation import Status
from models.requirements.self_reported import SelfReport, SelfReportSettings
from models.requirements.statuses import official_statuses
from models.requirements.store import current_catalogue, ensure_default_catalogue
from models.requirements.training_records import TrainingRecord
from tests.factories import make_official, small_province
from tests.transcript import Clock, Person, make_dispatcher

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 64

OFFICIAL, COMMUNE_HR, FOREIGN_HR = "8801", "8802", "8803"


@pytest.fixture
async def world(db: Database) -> Database:
    """An official of Xã Sín Thầu; the commune's HR (reaches her); an HR admin of Sở Nội vụ
    (does not reach the commune)."""
    async with db.transaction() as session:
        await ensure_default_catalogue(session, NOW)
        units = await small_province(session)
        await make_official(
            session,
            units["sin_thau"],
            employee_code="DB880001",
            full_name="Lò Thị Mai",
            gender="female",
            phone="+84912880001",
        )
        hr = await make_official(
            session,
            units["sin_thau"],
            employee_code="DB880002",
            full_name="Quàng Văn Sơn",
            phone="+84912880002",
        )
        foreign = await make_official(
            session,
            units["tccb"],
            employee_code="DB880003",
            full_name="Phạm Thu Hà",
            gender="female",
            phone="+84912880003",
        )
        await admins.grant(session, hr, units["sin_thau"], actor="test", now=NOW)
        await admins.grant(session, foreign, units["noi_vu"], actor="test", now=NOW)
    return db


async def _people(db: Database, clock: Clock) -> tuple[Person, Person, Person]:
    dispatcher = make_dispatcher(db, clock)
    people = []
    for user, phone in ((OFFICIAL, "+84912880001"), (COMMUNE_HR, "+84912880002")):
        person = Person(dispatcher, user)
        await person.link_with_code(db, phone)
        people.append(person)
    foreign = Person(dispatcher, FOREIGN_HR)
    await foreign.link_with_code(db, "+84912880003")
    return people[0], people[1], foreign


async def _owed_kind(db: Database) -> tuple[str, str]:
    """A rule the official still owes and a training kind that meets it."""
    async with db.transaction() as session:
        official = await session.scalar(
            select(Official).where(Official.employee_code == "DB880001")
        )
        assert official is not None
        owed = await official_statuses(
            session, official, NOW.date(), await current_catalogue(session)
        )
    for status in owed.statuses:
        if status.status is not Status.DONE and status.rule.training_kinds:
            return status.rule.id, sorted(status.rule.training_kinds)[0]
    raise AssertionError("the official owes nothing")


async def _rule_status(db: Database, rule_id: str) -> Status:
    async with db.transaction() as session:
        official = await session.scalar(
            select(Official).where(Official.employee_code == "DB880001")
        )
        assert official is not None
        owed = await official_statuses(
            session, official, NOW.date(), await current_catalogue(session)
        )
    return next(s.status for s in owed.statuses if s.rule.id == rule_id)


async def _send(
    person: Person,
    name: str,
    content: bytes,
    *,
    kind: str,
    title: str = "Bồi dưỡng kiến thức quốc phòng và an ninh đối tượng 4",
    on: str = "15/11/2026",
    periods: str = "200",
) -> str:
    await person.say("/yeucau")
    await person.press(SELF_REPORT_START.pack())
    await person.say("đây ạ")  # text at the file step: asked for the file again
    assert "ảnh chụp hoặc tệp PDF" in person.text
    await person._handle(
        person._incoming(document=Document(file_name=name, content=content, file_id=f"TG-{name}"))
    )
    await person.press(next(v for v in person.values if v.endswith(f":{kind}")))
    await person.say(title)
    await person.say(on)
    return await person.say(periods)


async def _reports(db: Database) -> list[SelfReport]:
    async with db.transaction() as session:
        return list(await session.scalars(select(SelfReport).order_by(SelfReport.id)))


async def _audits(db: Database, action: str) -> list[AuditEntry]:
    async with db.transaction() as session:
        return list(await session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


async def _notices(db: Database) -> list[Notice]:
    async with db.transaction() as session:
        return list(
            await session.scalars(
                select(Notice).where(Notice.kind == self_reported.NOTICE_KIND).order_by(Notice.id)
            )
        )


async def test_a_verified_pdf_becomes_a_training_record_that_yeucau_counts(
    world: Database,
) -> None:
    clock = Clock(NOW)
    mai, son, ha = await _people(world, clock)
    rule_id, kind = await _owed_kind(world)
    before = await _rule_status(world, rule_id)

    answer = await _send(mai, "chung chi.pdf", PDF, kind=kind)
    assert "Đã gửi, đang chờ bộ phận tổ chức cán bộ xác minh" in answer
    (report,) = await _reports(world)
    assert report.status == self_reported.PENDING and report.mime_type == self_reported.PDF
    assert report.file_ref == "TG-chung chi.pdf" and report.content == PDF
    assert (report.kind, report.completed_on, report.periods) == (kind, date(2026, 11, 15), 200)

    # The foreign admin's menu has no queue entry, and its forged press changes nothing.
    await ha.say("/quantri")
    assert not any("Chứng chỉ chờ duyệt" in c for c in ha.choices)
    await ha.tap(REVIEW_OPEN.pack())
    assert "Không có chứng chỉ nào đang chờ duyệt" in ha.text
    await ha.tap(REVIEW_VERIFY.pack(id=report.id))
    assert "không còn hiệu lực" in ha.text
    (refused,) = await _audits(world, "self_report.refused")
    assert refused.detail == {"why": "foreign"} and refused.subject == str(report.id)
    await son.tap(REVIEW_VERIFY.pack(id=report.id + 999))  # an id that does not exist
    assert "không còn hiệu lực" in son.text
    assert [a.detail for a in await _audits(world, "self_report.refused")][-1] == {"why": "unknown"}
    assert (await _reports(world))[0].status == self_reported.PENDING

    # The commune's HR: the menu counts it, the queue shows it with the file, audited.
    await son.say("/quantri")
    assert "🗂 Chứng chỉ chờ duyệt (1)" in son.choices
    await son.press_label("Chứng chỉ chờ duyệt")
    assert "Lò Thị Mai (DB880001)" in son.text and "Xã Sín Thầu" in son.text
    assert "15/11/2026" in son.text and "200 tiết" in son.text
    (attachment,) = son.last[0].attachments
    assert attachment.content == PDF and attachment.file_name == f"chung-chi-{report.id}.pdf"
    (read,) = await _audits(world, READ)
    assert read.subject == "DB880001" and read.detail["kind"] == "self_reported_certificate"

    await son.press_label("Xác minh")
    assert "Đã xác minh" in son.text
    async with world.transaction() as session:
        records = list(
            await session.scalars(
                select(TrainingRecord).where(TrainingRecord.source == self_reported.SOURCE)
            )
        )
    assert [(r.kind, r.completed_on, r.periods) for r in records] == [
        (kind, date(2026, 11, 15), 200)
    ]
    (decided,) = await _reports(world)
    assert decided.status == self_reported.VERIFIED and decided.content is None
    assert decided.training_record_id == records[0].id and decided.file_ref is not None

    # Pressed again (another admin, a double tap): nothing more, one record.
    await son.tap(REVIEW_VERIFY.pack(id=report.id))
    assert "đã được xử lý" in son.text
    async with world.transaction() as session:
        count = await session.scalar(
            select(func.count(TrainingRecord.id)).where(
                TrainingRecord.source == self_reported.SOURCE
            )
        )
    assert count == 1 and len(await _audits(world, "self_report.verified")) == 1

    # The official is told through the outbox (quiet hours apply: not urgent), and /yeucau
    # now counts the record.
    (notice,) = await _notices(world)
    assert "đã xác minh chứng chỉ chị gửi" in notice.text and not notice.urgent
    after = await _rule_status(world, rule_id)
    assert before is not Status.DONE and after is Status.DONE


async def test_a_rejected_photo_tells_the_official_the_reason(world: Database) -> None:
    clock = Clock(NOW)
    mai, son, _ha = await _people(world, clock)
    _rule, kind = await _owed_kind(world)
    await _send(mai, "anh.png", PNG, kind=kind, periods="abc")
    assert "số nguyên" in mai.text  # periods must be a number
    await mai.press_label("Không rõ")
    assert "Đã gửi" in mai.text
    await _send(mai, "lan2.jpg", PDF, kind=kind, title="Lớp bồi dưỡng thứ hai")
    first, second = await _reports(world)
    assert first.mime_type == self_reported.PNG and first.periods is None
    assert second.mime_type == self_reported.PDF  # what the bytes are, not the name

    await son.say("/quantri")
    await son.press_label("Chứng chỉ chờ duyệt (2)")
    assert son.last[0].attachments[0].is_image
    await son.press_label("Từ chối")
    await son.press_label("không khớp")
    assert "Đã từ chối" in son.text
    await son.press_label("Tiếp theo")
    await son.press_label("Từ chối")
    await son.press_label("Lý do khác")
    await son.say("Ảnh mờ, đề nghị chụp lại rõ hơn")
    assert "Đã từ chối" in son.text

    first, second = await _reports(world)
    assert first.status == second.status == self_reported.REJECTED
    assert (first.reason, second.reason) == ("mismatch", "Ảnh mờ, đề nghị chụp lại rõ hơn")
    assert first.content is None and second.content is None
    told = [n.text for n in await _notices(world)]
    assert "thông tin khai không khớp với chứng chỉ" in told[0]
    assert "Ảnh mờ, đề nghị chụp lại rõ hơn" in told[1] and "/yeucau" in told[1]
    async with world.transaction() as session:
        assert not list(
            await session.scalars(
                select(TrainingRecord).where(TrainingRecord.source == self_reported.SOURCE)
            )
        )


async def test_one_or_two_periods_typed_are_periods_not_the_buttons(world: Database) -> None:
    """ "1" and "2" at the periods question are periods, not "Không rõ" and "Hủy" (the
    question's two buttons, numbered 1 and 2 on Zalo and the console)."""
    clock = Clock(NOW)
    mai, _son, _ha = await _people(world, clock)
    _rule_id, kind = await _owed_kind(world)
    answer = await _send(mai, "mot.pdf", PDF, kind=kind, periods="1")
    assert "Đã gửi" in answer
    answer = await _send(mai, "hai.pdf", PDF, kind=kind, periods="2")
    assert "Đã gửi" in answer
    assert [r.periods for r in await _reports(world)] == [1, 2]


async def test_wrong_type_and_too_big_are_refused_with_a_clear_answer(world: Database) -> None:
    clock = Clock(NOW)
    mai, _son, _ha = await _people(world, clock)
    mai.dispatcher.settings = replace(
        mai.dispatcher.settings, self_reports=SelfReportSettings(max_bytes=1_000_000)
    )
    await mai.say("/cuatoi")
    await mai.press(SELF_REPORT_START.pack())
    assert "tối đa 1 MB" in mai.text

    async def upload(name: str, content: bytes, *, too_large: bool = False) -> str:
        document = Document(file_name=name, content=content, too_large=too_large)
        return await mai._handle(mai._incoming(document=document))

    assert "không phải ảnh JPEG, PNG hay tệp PDF" in await upload("chung-chi.pdf", GIF)
    assert "Tệp quá lớn (trên 1 MB)" in await upload("big.pdf", PDF + b"0" * 1_000_000)
    assert "Tệp quá lớn" in await upload("huge.pdf", b"", too_large=True)
    assert not await _reports(world)
    assert "loại hình bồi dưỡng" in await upload("ok.pdf", PDF)  # still at the file step
    await mai.press_label("Hủy")
    assert "Đã hủy" in mai.text and not await _reports(world)


async def test_retention_drops_the_file_reference_days_after_the_decision(
    world: Database,
) -> None:
    clock = Clock(NOW)
    mai, son, _ha = await _people(world, clock)
    _rule, kind = await _owed_kind(world)
    await _send(mai, "a.pdf", PDF, kind=kind)
    await _send(mai, "b.pdf", PDF, kind=kind, title="Khóa thứ hai")
    await son.say("/quantri")
    await son.press_label("Chứng chỉ chờ duyệt")
    await son.press_label("Xác minh")
    # A third, abandoned after the file: a draft.
    await mai.say("/yeucau")
    await mai.press(SELF_REPORT_START.pack())
    await mai._handle(mai._incoming(document=Document(file_name="c.pdf", content=PDF)))
    settings = PrivacySettings(certificate_file_days=30)

    async def run(at: datetime) -> int:
        async with world.transaction() as session:
            stats = await apply_retention(session, now=at, settings=settings)
        return stats.certificate_files_dropped

    assert await run(NOW + timedelta(days=29)) == 1  # only the draft, older than a day
    verified, pending = await _reports(world)
    assert verified.file_ref is not None and pending.content == PDF
    assert await run(NOW + timedelta(days=31)) == 1
    verified, pending = await _reports(world)
    assert verified.file_ref is None and verified.content is None
    assert verified.status == self_reported.VERIFIED  # the decision itself stays
    assert pending.file_ref is not None and pending.content == PDF  # undecided: kept
    assert await run(NOW + timedelta(days=32)) == 0


async def test_dulieu_and_the_privacy_notice_tell_about_certificates(world: Database) -> None:
    clock = Clock(NOW)
    mai, _son, _ha = await _people(world, clock)
    _rule, kind = await _owed_kind(world)
    await _send(mai, "a.pdf", PDF, kind=kind)
    await mai.say("/dulieu")
    assert "các chứng chỉ đã gửi để xác minh" in mai.text
    data = json.loads(mai.last[0].attachments[0].content)
    (sent,) = data["self_reported_certificates"]
    assert sent["status"] == "pending" and sent["file_kept"] is True
    with use_locale("vi"):
        assert "Chứng chỉ anh/chị đã gửi: 1" in my_data.as_text(data)
    await mai.say("/quyenriengtu")
    assert "được xóa 30 ngày sau khi xử lý" in mai.text


async def test_two_admins_deciding_at_once_make_one_decision(world: Database) -> None:
    clock = Clock(NOW)
    mai, _son, _ha = await _people(world, clock)
    _rule, kind = await _owed_kind(world)
    await _send(mai, "a.pdf", PDF, kind=kind)
    (report,) = await _reports(world)

    async def decide(verify: bool) -> object:
        async with world.transaction() as session:
            admin = await session.scalar(
                select(Official).where(Official.employee_code == "DB880002")
            )
            assert admin is not None
            scope = await admins.scope_of(session, admin)
            if verify:
                return await self_reported.verify(
                    session, report.id, admin=admin, scope=scope, actor="a", now=NOW
                )
            return await self_reported.reject(
                session, report.id, admin=admin, scope=scope, reason="mismatch", actor="b", now=NOW
            )

    outcomes = await asyncio.gather(decide(True), decide(False))
    assert sorted(type(o).__name__ for o in outcomes) == ["Decision", "str"]
    assert "decided" in outcomes
    assert len(await _notices(world)) == 1  # the official is told once
    (decided,) = await _reports(world)
    async with world.transaction() as session:
        records = await session.scalar(
            select(func.count(TrainingRecord.id)).where(
                TrainingRecord.source == self_reported.SOURCE
            )
        )
    assert records == (1 if decided.status == self_reported.VERIFIED else 0)


async def test_an_hr_admin_cannot_verify_their_own_certificate(world: Database) -> None:
    """Sơn, HR of his commune, sends his own certificate: it is not in his queue, and a
    forged "Verify" or "Reject" of it is refused and audited (another admin decides it)."""
    clock = Clock(NOW)
    _mai, son, _ha = await _people(world, clock)
    _rule, kind = await _owed_kind(world)
    await _send(son, "cua-toi.pdf", PDF, kind=kind)
    (report,) = await _reports(world)
    assert report.status == self_reported.PENDING

    await son.say("/quantri")
    assert not any("Chứng chỉ chờ duyệt" in c for c in son.choices)
    await son.tap(REVIEW_OPEN.pack())
    assert "Không có chứng chỉ nào đang chờ duyệt" in son.text and not son.last[0].attachments
    await son.tap(REVIEW_VERIFY.pack(id=report.id))
    assert "không còn hiệu lực" in son.text
    await son.tap(f"srq:why:{report.id}:mismatch")
    assert "không còn hiệu lực" in son.text
    assert [a.detail for a in await _audits(world, "self_report.refused")] == [
        {"why": "own"},
        {"why": "own"},
    ]
    (still,) = await _reports(world)
    assert still.status == self_reported.PENDING and still.content == PDF
    assert not await _audits(world, "self_report.verified")


async def test_a_revoked_admin_mid_rejection_decides_nothing(world: Database) -> None:
    """Sơn opens the queue and chooses "another reason"; his role is withdrawn before he
    types it: nothing is decided, the file stays for the next reviewer."""
    clock = Clock(NOW)
    mai, son, _ha = await _people(world, clock)
    _rule, kind = await _owed_kind(world)
    await _send(mai, "a.pdf", PDF, kind=kind)
    await son.tap(REVIEW_OPEN.pack())
    await son.press_label("Từ chối")
    await son.press_label("Lý do khác")
    async with world.transaction() as session:
        admin = await session.scalar(select(Official).where(Official.employee_code == "DB880002"))
        assert admin is not None
        unit = await session.get(OrgUnit, admin.unit_id)
        assert unit is not None
        await admins.revoke(session, admin, unit, actor="test", now=NOW)
    text = await son.say("Ảnh mờ, đề nghị chụp lại")
    assert "Đã từ chối" not in text and "dành cho cán bộ tổ chức" in text, text
    await son.tap(REVIEW_OPEN.pack())
    assert not son.last[0].attachments
    (report,) = await _reports(world)
    assert report.status == self_reported.PENDING and report.content == PDF
    assert not await _notices(world)
