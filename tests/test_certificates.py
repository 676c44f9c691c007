"""Certificates (#16.5): the issue gates, the code, verification (genuine, revoked,
expired, forged, the attempt limit), revocation's authorisation, the expiry reminder and
the PDF — the domain functions on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import re
import zlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.db import Database
from models.audit import AuditEntry
from models.certificates import codes
from models.certificates.issuing import IssueOutcome, issue_certificate
from models.certificates.pdf import certificate_pdf
from models.certificates.reminders import CERTIFICATE_EXPIRING
from models.certificates.revoking import CERTIFICATE_REVOKED, RevokeOutcome, revoke
from models.certificates.store import Certificate, VerificationAttempt
from models.certificates.verifying import AttemptLimit, Verdict, verify
from models.courses.evaluation_store import EvaluationResponse
from models.courses.registrations import Registration, RegStatus
from models.notices.outbox import Notice
from models.notices.planning import PlanningSettings, plan_course_notices
from models.org.admins import grant
from tests.courses_world import NOW, TODAY, World, build_world, make_course
from tests.factories import make_official

TZ_SETTINGS = PlanningSettings(tz=ZoneInfo("Asia/Ho_Chi_Minh"))


async def done_registration(
    world: World,
    who: str,
    course_key: str,
    *,
    status: str = RegStatus.COMPLETED,
    evaluated: bool = True,
) -> int:
    async with world.db.transaction() as session:
        reg = Registration(
            course_id=world.courses[course_key].id,
            official_id=world.people[who].id,
            status=status,
            requested_at=NOW,
        )
        session.add(reg)
        await session.flush()
        if evaluated:
            session.add(
                EvaluationResponse(
                    registration_id=reg.id,
                    course_id=reg.course_id,
                    questionnaire="test",
                    answers={"q1": 5},
                    submitted_at=NOW,
                )
            )
        return reg.id


# --- the code ------------------------------------------------------------------------------


def test_codes_are_typed_any_way_and_checked() -> None:
    code = codes.new_code()
    assert len(code) == 10 and set(code) <= set(codes.ALPHABET)
    shown = codes.display(code)
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{2}", shown)
    for typed in (
        shown,
        shown.lower(),
        code.lower(),
        f" {code[:4]} {code[4:8]} {code[8:]} ",
        f"xm_{code}",
        shown.replace("-", "–"),
    ):
        assert codes.normalize(typed) == code, typed
    # Every single wrong character and every swap of neighbours is caught by the check.
    for i in range(9):
        for ch in codes.ALPHABET:
            if ch != code[i]:
                assert codes.normalize(code[:i] + ch + code[i + 1 :]) is None
        if code[i] != code[i + 1] and i < 8:
            assert codes.normalize(code[:i] + code[i + 1] + code[i] + code[i + 2 :]) is None
    assert codes.normalize(code[:-1]) is None
    assert codes.normalize("O0I1L" + code[5:]) is None
    assert len({codes.new_code() for _ in range(2000)}) == 2000


# --- issuing -------------------------------------------------------------------------------


async def test_issue_gates(db: Database) -> None:
    world = await build_world(db)
    waiting = await done_registration(world, "an", "law", status=RegStatus.CONFIRMED)
    unanswered = await done_registration(world, "nhung", "law", evaluated=False)
    done = await done_registration(world, "ha", "law", status=RegStatus.ATTENDED)
    async with db.transaction() as session:
        assert (
            await issue_certificate(session, registration_id=waiting, today=TODAY)
        ).outcome is IssueOutcome.NOT_COMPLETED
        assert (
            await issue_certificate(session, registration_id=unanswered, today=TODAY)
        ).outcome is IssueOutcome.EVALUATION_MISSING
        assert (
            await issue_certificate(session, registration_id=987654, today=TODAY)
        ).outcome is IssueOutcome.NOT_FOUND
        first = await issue_certificate(session, registration_id=done, today=TODAY)
        assert first.outcome is IssueOutcome.ISSUED and first.certificate is not None
        cert = first.certificate
        assert (cert.full_name, cert.unit_name) == ("Phạm Thu Hà", "Phòng Tổ chức cán bộ")
        assert cert.result == RegStatus.ATTENDED and cert.periods == 16
        # The law update is a yearly duty in the province (due 31/12): it expires then.
        assert cert.expires_on == date(2026, 12, 31)
    async with db.transaction() as session:
        again = await issue_certificate(session, registration_id=done, today=TODAY)
        assert again.outcome is IssueOutcome.ALREADY
        assert again.certificate is not None and again.certificate.code == cert.code
        assert await session.scalar(select(func.count(Certificate.id))) == 1


async def test_no_expiry_without_a_renewal_period(db: Database) -> None:
    world = await build_world(db)
    # QP-AN is "once, repeat unknown"; the rank's QLNN programme is a lasting standard even
    # though it also counts towards the yearly update.
    for who, course in (("an", "qpan"), ("nhung", "qlnn")):
        reg = await done_registration(world, who, course)
        async with db.transaction() as session:
            result = await issue_certificate(session, registration_id=reg, today=TODAY)
            assert result.certificate is not None and result.certificate.expires_on is None


# --- verifying -----------------------------------------------------------------------------


async def _issued(world: World, who: str = "ha", course: str = "law") -> Certificate:
    reg = await done_registration(world, who, course)
    async with world.db.transaction() as session:
        result = await issue_certificate(session, registration_id=reg, today=TODAY)
        assert result.certificate is not None
        return result.certificate


async def test_verify_genuine_revoked_expired_and_forged(db: Database) -> None:
    world = await build_world(db)
    cert = await _issued(world)
    async with db.transaction() as session:
        found = await verify(session, cert.code.lower(), TODAY, now=NOW, requester="t:1")
        assert found.verdict is Verdict.VALID
        assert (found.full_name, found.course_code) == ("Phạm Thu Hà", "K-2026-03")
        assert found.code == codes.display(cert.code)
        later = await verify(session, cert.code, date(2027, 1, 1), now=NOW, requester="t:1")
        assert later.verdict is Verdict.EXPIRED and later.expires_on == date(2026, 12, 31)
        body = cert.code[:-1]
        forged = ("2" if body[0] != "2" else "3") + body[1:]
        forged += codes.check_character(forged)  # well-formed, with a valid check character
        assert (await verify(session, forged, TODAY, now=NOW, requester="t:1")).verdict is (
            Verdict.NOT_FOUND
        )
        assert (await verify(session, "nonsense", TODAY, now=NOW, requester="t:1")).verdict is (
            Verdict.NOT_FOUND
        )
        result = await revoke(
            session,
            admin=None,
            code=codes.display(cert.code),
            reason="Cấp nhầm người",
            now=NOW,
            actor="cli",
        )
        assert result.outcome is RevokeOutcome.REVOKED
        gone = await verify(session, cert.code, TODAY, now=NOW, requester="t:1")
        assert gone.verdict is Verdict.REVOKED and gone.revoked_reason == "Cấp nhầm người"
        attempts = (await session.scalars(select(VerificationAttempt))).all()
        assert [a.found for a in attempts] == [True, True, False, False, True]
        assert {a.requester for a in attempts} == {"t:1"}
        # The official is told through the outbox.
        told = await session.scalar(select(Notice).where(Notice.kind == CERTIFICATE_REVOKED))
        assert told is not None and "Cấp nhầm người" in told.text
        assert told.official_id == world.people["ha"].id


async def test_attempt_limit_refuses_without_looking(db: Database) -> None:
    world = await build_world(db)
    cert = await _issued(world)
    limit = AttemptLimit(failures=3, window=timedelta(hours=1))
    async with db.transaction() as session:
        for n in range(3):
            wrong = await verify(
                session, f"AAAA-AAAA-A{n}", TODAY, now=NOW, requester="t:9", limit=limit
            )
            assert wrong.verdict is Verdict.NOT_FOUND
        # Even the genuine code is refused now, for this requester only, until the window ends.
        blocked = await verify(session, cert.code, TODAY, now=NOW, requester="t:9", limit=limit)
        assert blocked.verdict is Verdict.LIMITED and blocked.full_name is None
        other = await verify(session, cert.code, TODAY, now=NOW, requester="t:8", limit=limit)
        assert other.verdict is Verdict.VALID
        later = NOW + timedelta(hours=1, minutes=1)
        back = await verify(session, cert.code, TODAY, now=later, requester="t:9", limit=limit)
        assert back.verdict is Verdict.VALID


# --- revoking ------------------------------------------------------------------------------


async def test_revoke_needs_a_scope_reaching_the_course_unit(db: Database) -> None:
    world = await build_world(db)
    async with db.transaction() as session:
        owned = await make_course(
            session, "K-2026-40", owner_unit_id=world.units["noi_vu"].id, title="Khóa của Sở"
        )
        world.courses["owned"] = owned
        foreign = await make_official(
            session, world.units["sin_thau"], employee_code="DB000090", phone="+84912000090"
        )
        near = await make_official(
            session, world.units["noi_vu"], employee_code="DB000091", phone="+84912000091"
        )
        await grant(session, foreign, world.units["sin_thau"], actor="test", now=NOW)
        await grant(session, near, world.units["noi_vu"], actor="test", now=NOW)
    cert = await _issued(world, "ha", "owned")
    async with db.transaction() as session:
        refused = await revoke(
            session, admin=foreign, code=cert.code, reason="x", now=NOW, actor="t:90"
        )
        assert refused.outcome is RevokeOutcome.NOT_ALLOWED
        fresh = await session.get(Certificate, cert.id, populate_existing=True)
        assert fresh is not None and fresh.revoked_at is None
        no_reason = await revoke(
            session, admin=near, code=cert.code, reason="  ", now=NOW, actor="t:91"
        )
        assert no_reason.outcome is RevokeOutcome.NO_REASON
        done = await revoke(
            session,
            admin=near,
            code=cert.code,
            reason="Hồ sơ không hợp lệ",
            now=NOW,
            actor="t:91",
        )
        assert done.outcome is RevokeOutcome.REVOKED
        twice = await revoke(
            session, admin=near, code=cert.code, reason="lần hai", now=NOW, actor="t:91"
        )
        assert twice.outcome is RevokeOutcome.ALREADY
        actions = (await session.scalars(select(AuditEntry.action))).all()
        assert "certificate.revoke_denied" in actions and "certificate.revoked" in actions


# --- the expiry reminder -------------------------------------------------------------------


async def test_expiry_reminder_planned_once_in_the_morning(db: Database) -> None:
    world = await build_world(db)
    cert = await _issued(world)  # expires 31/12/2026, 30 days' lead: due 01/12/2026 08:00
    early = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    async with db.transaction() as session:
        await plan_course_notices(session, now=early, settings=TZ_SETTINGS)
        assert (
            await session.scalar(
                select(func.count(Notice.id)).where(Notice.kind == CERTIFICATE_EXPIRING)
            )
            == 0
        )
    for moment in (NOW + timedelta(days=5), NOW + timedelta(days=5, hours=6)):
        async with db.transaction() as session:
            await plan_course_notices(session, now=moment, settings=TZ_SETTINGS)
    async with db.transaction() as session:
        rows = (
            await session.scalars(select(Notice).where(Notice.kind == CERTIFICATE_EXPIRING))
        ).all()
        assert len(rows) == 1
        notice = rows[0]
        assert notice.official_id == world.people["ha"].id
        assert notice.due_at == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 08:00 in Việt Nam
        assert "31/12/2026" in notice.text and codes.display(cert.code) in notice.text
        # Revoked before it went out: the reminder is withdrawn.
        await revoke(session, admin=None, code=cert.code, reason="Cấp nhầm", now=NOW, actor="cli")
        await session.refresh(notice)
        assert notice.state == "dropped"


# --- the PDF ------------------------------------------------------------------------------


def pdf_texts(pdf: bytes) -> str:
    """The document's strings as far as they are readable without a PDF library: the
    metadata (UTF-16 or Latin-1 literals) and the uncompressed parts."""
    found = [pdf.decode("latin-1")]
    for hexa in re.findall(rb"<FEFF([0-9A-Fa-f]+)>", pdf):
        found.append(bytes.fromhex(hexa.decode()).decode("utf-16-be"))
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        with contextlib.suppress(zlib.error):
            found.append(zlib.decompress(stream).decode("latin-1"))
    return "\n".join(found)


async def test_pdf_opens_and_carries_the_code_and_link(db: Database) -> None:
    world = await build_world(db)
    cert = await _issued(world)
    pdf = certificate_pdf(cert, bot_username="troly_test_bot")
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert (
        pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + pdf.count(b"/Type /Page>") >= 1
    )
    texts = pdf_texts(pdf)
    shown = codes.display(cert.code)
    assert f"https://t.me/troly_test_bot?start=xm_{cert.code}" in texts
    assert shown in texts
    assert "DejaVu" in texts  # the embedded font, so Vietnamese renders anywhere
    assert "/Subtype /Image" in texts  # the QR code


@pytest.fixture(autouse=True)
def _vi() -> None:
    from locales.i18n import set_locale

    set_locale("vi")


# --- the command line ----------------------------------------------------------------------


async def test_cli_verifies_and_revokes(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli_certificates import certificate_command
    from bot.config import Settings

    world = await build_world(db)
    cert = await _issued(world)
    shown = codes.display(cert.code)
    settings = Settings(telegram_bot_username="troly_test_bot")
    assert await certificate_command(db, settings, "verify", shown.lower(), now=NOW) == 0
    assert "là thật và còn hiệu lực" in capsys.readouterr().out
    assert await certificate_command(db, settings, "revoke", shown, now=NOW) == 2
    assert "--reason" in capsys.readouterr().err
    assert (
        await certificate_command(db, settings, "revoke", shown, reason="Sai thông tin", now=NOW)
        == 0
    )
    capsys.readouterr()
    assert await certificate_command(db, settings, "verify", shown, now=NOW) == 0
    out = capsys.readouterr().out
    assert "đã bị thu hồi ngày 26/11/2026" in out and "Sai thông tin" in out
    assert await certificate_command(db, settings, "verify", "ABCD-EFGH-JK", now=NOW) == 1
    assert "Không tìm thấy giấy chứng nhận với mã này" in capsys.readouterr().out
    target = tmp_path / "gcn.pdf"
    assert await certificate_command(db, settings, "pdf", shown, out=target, now=NOW) == 0
    assert target.read_bytes().startswith(b"%PDF-")
    async with db.transaction() as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "certificate.revoked")
        )
        assert entry is not None and entry.actor == "cli"
