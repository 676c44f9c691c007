"""Issue #11 points 1, 8 and 9: who a chat is (identity), how it links, and phones.

Point 1 is the attack "a unit admin becomes province admin": a scoped roster import gives a
province admin's record the attacker's phone, a second account shares that contact, is
linked as the province admin and grants itself the province. Each step is closed here."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import ConfigError, Settings
from bot.db import Database
from locales import i18n
from models.audit import AuditEntry
from models.chat import link_codes
from models.chat.accounts import ChatAccount
from models.chat.link_codes import FailureBudget, Outcome
from models.imports import officials as roster_import
from models.imports.officials import ROSTER
from models.notices.outbox import TO_CHAT, Notice
from models.org import admins
from models.org.officials import Official
from models.org.phones import normalize_contact_phone, normalize_phone
from tests.factories import make_official, small_province
from tests.test_roster_import import csv_bytes, row
from tests.transcript import Clock, Person, make_dispatcher

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
TODAY = date(2026, 11, 26)


@pytest.fixture
async def world(db: Database) -> dict[str, Any]:
    """Hà is the province admin (a role on the root) but works in Sở Nội vụ's TCCB; Tùng is
    Sở Nội vụ's own admin, so Hà's record lies inside Tùng's subtree."""
    async with db.transaction() as session:
        units = await small_province(session)
        ha = await make_official(
            session,
            units["tccb"],
            employee_code="DB000006",
            full_name="Phạm Thu Hà",
            gender="female",
            phone="+84912000006",
        )
        tung = await make_official(
            session,
            units["tccb"],
            employee_code="DB000007",
            full_name="Đỗ Văn Tùng",
            phone="+84912000007",
        )
        an = await make_official(session, units["tccb"])  # DB000001, +84912000001
        await admins.grant(session, ha, units["root"], actor="test", now=NOW)
        await admins.grant(session, tung, units["noi_vu"], actor="test", now=NOW)
    return {"units": units, "ha": ha, "tung": tung, "an": an}


async def code_for(db: Database, official_id: int, now: datetime = NOW) -> str:
    async with db.transaction() as session:
        official = await session.get(Official, official_id)
        assert official is not None
        return await link_codes.issue(session, official, now=now, created_by="test", pepper=b"")


async def entries(db: Database, action: str) -> list[AuditEntry]:
    async with db.transaction() as session:
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list(await session.scalars(query))


async def import_rows(db: Database, rows: list[list[Any]], **kw: Any) -> Any:
    async with db.transaction() as session:
        plan = await ROSTER.plan(session, "ds.csv", csv_bytes(rows), today=TODAY, **kw)
        result = await ROSTER.apply(session, plan, actor="test", now=NOW, skip_bad_rows=True)
    return plan, result


def ha_row(phone: str) -> list[Any]:
    return row("DB000006", "Phạm Thu Hà", "12/04/1988", phone, unit="SNV-TCCB", post="Chuyên viên")


async def phone_of(db: Database, code: str) -> str | None:
    async with db.transaction() as session:
        return await session.scalar(select(Official.phone).where(Official.employee_code == code))


# --- point 1: the attack -------------------------------------------------------------------


async def test_unit_admin_cannot_change_a_province_admins_record(db: Database, world: dict) -> None:
    plan, result = await import_rows(
        db,
        [
            ha_row("0988 777 666"),
            row("DB000001", "Nguyễn Văn An", phone="0912000099", unit="SNV-TCCB"),
        ],
        scope_unit=world["units"]["noi_vu"],
    )
    assert [(e.value, e.msgid) for e in plan.errors] == [
        ("DB000006", roster_import.MSG_ADMIN_OUT_OF_SCOPE)
    ]
    with i18n.use_locale("vi"):
        message = plan.errors[0].message()
    assert "chỉ bộ phận tổ chức cán bộ của tỉnh được thay đổi hồ sơ này" in message
    assert "Sở Nội vụ" in message
    assert await phone_of(db, "DB000006") == "+84912000006"
    assert await phone_of(db, "DB000001") == "+84912000099"  # an ordinary record: allowed
    # The province's own (unscoped) import may change it.
    _plan, result = await import_rows(db, [ha_row("0988 777 666")])
    assert result.updated == 1 and await phone_of(db, "DB000006") == "+84988777666"


async def test_an_unchanged_admin_row_is_no_error(db: Database, world: dict) -> None:
    """Re-sending the unit's whole roster must not fail on the admin's untouched row."""
    await import_rows(db, [ha_row("0912000006")])  # make the stored row equal the file
    plan, _result = await import_rows(
        db, [ha_row("0912000006")], scope_unit=world["units"]["noi_vu"]
    )
    assert plan.errors == [] and plan.unchanged == 1


async def test_admin_contact_share_is_refused_and_points_to_the_code(
    db: Database, world: dict
) -> None:
    attacker = Person(make_dispatcher(db, Clock(NOW)), "6666")
    text = await attacker.share_contact("+84912000006")
    assert "chỉ liên kết được bằng mã liên kết dùng một lần" in text
    assert "Phạm Thu Hà" not in text
    async with db.transaction() as session:
        account = await session.scalar(
            select(ChatAccount).where(ChatAccount.external_user_id == "6666")
        )
        assert account is not None and account.official_id is None
    assert [e.subject for e in await entries(db, "account.link_refused")] == ["DB000006"]
    # The code still links her.
    ha = Person(make_dispatcher(db, Clock(NOW)), "6006")
    assert "Phạm Thu Hà" in await ha.say(f"/start {await code_for(db, world['ha'].id)}")


async def test_an_admin_linked_by_phone_before_the_rule_gets_no_admin_tools(
    db: Database, world: dict
) -> None:
    an = Person(make_dispatcher(db, Clock(NOW)), "1001")
    await an.share_contact("0912000001")  # linked by phone while not an admin
    async with db.transaction() as session:
        official = await session.get(Official, world["an"].id)
        assert official is not None
        await admins.grant(session, official, world["units"]["tccb"], actor="test", now=NOW)
    text = await an.say("/quantri")
    assert "chỉ dùng được trong cuộc trò chuyện đã liên kết bằng mã liên kết" in text
    assert "Nhập dữ liệu" not in text
    denied = await entries(db, "admin.denied")
    assert denied[-1].detail["reason"] == "linked_by_phone"


async def test_phone_change_unlinks_phone_links_and_tells_the_chat(
    db: Database, world: dict
) -> None:
    by_phone = Person(make_dispatcher(db, Clock(NOW)), "1001")
    await by_phone.share_contact("0912000001")
    by_code = Person(make_dispatcher(db, Clock(NOW)), "2001", channel="zalo")
    await by_code.say(f"/start {await code_for(db, world['an'].id)}")
    await import_rows(db, [row("DB000001", "Nguyễn Văn An", phone="0912000099", unit="SNV-TCCB")])
    async with db.transaction() as session:
        accounts = {a.external_user_id: a for a in await session.scalars(select(ChatAccount))}
        notices = list(await session.scalars(select(Notice).where(Notice.kind == TO_CHAT)))
    assert accounts["1001"].official_id is None  # the phone was its only proof
    assert accounts["2001"].official_id == world["an"].id  # a code stays valid
    assert [(n.channel, n.chat_id, n.official_id) for n in notices] == [
        ("telegram", "1001", world["an"].id)
    ]
    assert "Số điện thoại trong hồ sơ cán bộ của anh/chị vừa được thay đổi" in notices[0].text
    assert "0912000099" not in notices[0].text and "+84912000099" not in notices[0].text
    assert "xin chào" not in (await by_phone.say("/hoso")).lower()


async def test_import_audits_each_changed_field_masked(db: Database, world: dict) -> None:
    await import_rows(
        db,
        [row("DB000001", "Nguyễn Văn Ân", "01/02/1990", "0912000099", unit="SNV-TCCB")],
    )
    entry = (await entries(db, roster_import.AUDIT_ACTION))[-1]
    fields = entry.detail["changes"]["DB000001"]
    assert fields["full_name"] == ["Nguyễn Văn An", "Nguyễn Văn Ân"]
    assert fields["phone"] == ["•••••••••001", "•••••••••099"]
    assert fields["birth_date"] == ["•••", "•••"]
    text = str(entry.detail)
    assert "1990" not in text and "1988" not in text and "912000099" not in text


async def test_audit_actor_is_the_chat_account_and_the_official(db: Database, world: dict) -> None:
    ha = Person(make_dispatcher(db, Clock(NOW)), "6006")
    await ha.say(f"/start {await code_for(db, world['ha'].id)}")
    await ha.say("/quantri")
    await ha.press("adm:grant")
    await ha.say("DB000001 SNV-TCCB")
    await ha.press_label("Xác nhận")
    grant = (await entries(db, "admin.grant"))[-1]
    assert grant.actor == "telegram:6006 (DB000006)"
    assert grant.actor_official_id == world["ha"].id


# --- point 8: link codes --------------------------------------------------------------------


async def test_channel_failure_budget_pauses_codes_and_alerts_once(
    db: Database, world: dict, caplog: pytest.LogCaptureFixture
) -> None:
    budget = FailureBudget(limit=5, window=timedelta(minutes=60))
    good = await code_for(db, world["an"].id)

    async def attempt(user: str, code: str, at: datetime) -> Outcome:
        async with db.transaction() as session:
            account = ChatAccount(
                channel="telegram",
                external_user_id=user,
                chat_id=user,
                failed_link_attempts=0,
                created_at=at,
                last_seen_at=at,
            )
            existing = await session.scalar(
                select(ChatAccount).where(ChatAccount.external_user_id == user)
            )
            if existing is None:
                session.add(account)
                await session.flush()
            else:
                account = existing
            result = await link_codes.redeem(
                session, account, code, now=at, pepper=b"", budget=budget
            )
        return result.outcome

    caplog.set_level(logging.WARNING, logger="models.chat.link_codes")
    # Five accounts, one wrong guess each: no account reaches its own limit of five.
    for i in range(5):
        assert await attempt(f"90{i}", "ZZZZZZZZ", NOW + timedelta(minutes=i)) is Outcome.WRONG
    # The budget is spent: even the right code is not tried, on any account of the channel.
    assert await attempt("999", good, NOW + timedelta(minutes=10)) is Outcome.CHANNEL_PAUSED
    assert await attempt("998", "YYYYYYYY", NOW + timedelta(minutes=11)) is Outcome.CHANNEL_PAUSED
    failures = await entries(db, link_codes.FAILED_ACTION)
    assert len(failures) == 5
    assert {f.subject for f in failures} == {"telegram"}
    assert all("ZZZZZZZZ" not in str(f.detail) for f in failures)
    assert failures[0].actor == "telegram:900"
    alerts = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(alerts) == 1 and "telegram" in alerts[0].getMessage()
    assert "ZZZZZZZZ" not in alerts[0].getMessage() and good not in alerts[0].getMessage()
    async with db.transaction() as session:
        notices = list(await session.scalars(select(Notice).where(Notice.kind == "security_alert")))
    assert [n.official_id for n in notices] == [world["ha"].id]  # province admins only
    assert "Cảnh báo an toàn: trong 60 phút qua đã có 5 mã liên kết sai" in notices[0].text
    # Once the oldest failure leaves the window, codes work again.
    assert await attempt("999", good, NOW + timedelta(minutes=61)) is Outcome.LINKED


async def test_zalo_budget_is_separate_from_telegram(db: Database, world: dict) -> None:
    budget = FailureBudget(limit=2, window=timedelta(minutes=60))
    async with db.transaction() as session:
        for i, channel in enumerate(("telegram", "telegram", "zalo")):
            account = ChatAccount(
                channel=channel,
                external_user_id=f"7{i}",
                chat_id=f"7{i}",
                failed_link_attempts=0,
                created_at=NOW,
                last_seen_at=NOW,
            )
            session.add(account)
            await session.flush()
            await link_codes.redeem(
                session, account, "ZZZZZZZZ", now=NOW, pepper=b"", budget=budget
            )
        tg = await link_codes.channel_paused_until(session, "telegram", now=NOW, budget=budget)
        zalo = await link_codes.channel_paused_until(session, "zalo", now=NOW, budget=budget)
    assert tg == NOW + timedelta(minutes=60) and zalo is None


@pytest.mark.parametrize("token", ["TELEGRAM_BOT_TOKEN", "ZALO_BOT_TOKEN"])
def test_pepper_is_required_with_a_platform_token(token: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({token: "123:abc"})
    assert "LINK_CODE_SECRET" in str(caught.value) and token in str(caught.value)
    assert "123:abc" not in str(caught.value)
    with pytest.raises(ConfigError):
        Settings.from_env({token: "123:abc", "LINK_CODE_SECRET": "short"})
    secret = "k" * 32
    assert Settings.from_env({token: "123:abc", "LINK_CODE_SECRET": secret}).link_codes.pepper
    assert Settings.from_env({}).link_codes.pepper == b""  # console, demo and tests


def test_budget_settings() -> None:
    budget = Settings.from_env(
        {"LINK_CODE_CHANNEL_FAILURES": "20", "LINK_CODE_CHANNEL_WINDOW_MINUTES": "30"}
    ).link_codes.budget
    assert (budget.limit, budget.window) == (20, timedelta(minutes=30))
    with pytest.raises(ConfigError, match="LINK_CODE_CHANNEL_FAILURES"):
        Settings.from_env({"LINK_CODE_CHANNEL_FAILURES": "0"})


async def test_admins_get_longer_codes(db: Database, world: dict) -> None:
    admin_code = await code_for(db, world["ha"].id)
    plain_code = await code_for(db, world["an"].id)
    assert len(admin_code) == link_codes.ADMIN_CODE_LENGTH == 12
    assert len(plain_code) == link_codes.CODE_LENGTH == 8
    shown = link_codes.display_code(admin_code)
    assert shown.count("-") == 2 and link_codes.normalize_code(shown.lower()) == admin_code
    ha = Person(make_dispatcher(db, Clock(NOW)), "6006")
    await ha.say("/lienket")
    assert "Phạm Thu Hà" in await ha.say(shown)


# --- point 9: phones -----------------------------------------------------------------------


async def test_a_foreign_contact_is_not_read_as_vietnamese(db: Database, world: dict) -> None:
    async with db.transaction() as session:
        await make_official(
            session,
            world["units"]["sin_thau"],
            employee_code="DB000030",
            full_name="Lò Văn Sơn",
            phone="+84376612345",
        )
    assert normalize_contact_phone("+376 612 345") == "+376612345"
    andorra = Person(make_dispatcher(db, Clock(NOW)), "3760")
    text = await andorra.share_contact("+376 612 345")
    assert "không tìm thấy" in text.lower() and "Lò Văn Sơn" not in text
    # Telegram's own format for a Vietnamese number still links.
    son = Person(make_dispatcher(db, Clock(NOW)), "3761")
    assert "Lò Văn Sơn" in await son.share_contact("84376612345")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("0162 345 6789", "+84323456789"),
        ("01693456789", "+84393456789"),
        ("01203456789", "+84703456789"),
        ("01213456789", "+84793456789"),
        ("01223456789", "+84773456789"),
        ("01263456789", "+84763456789"),
        ("01283456789", "+84783456789"),
        ("01233456789", "+84833456789"),
        ("01243456789", "+84843456789"),
        ("01253456789", "+84853456789"),
        ("01273456789", "+84813456789"),
        ("01293456789", "+84823456789"),
        ("01863456789", "+84563456789"),
        ("01883456789", "+84583456789"),
        ("01993456789", "+84593456789"),
        ("1693456789", "+84393456789"),  # its leading 0 dropped by Excel
        ("+84 169 345 6789", "+84393456789"),
    ],
)
def test_pre_2018_mobiles_are_converted(old: str, new: str) -> None:
    assert normalize_phone(old) == new


@pytest.mark.parametrize(
    "raw", ["0112345678", "0012345678", "01013456789", "0912 345 67", "+376 612 345", "09123456789"]
)
def test_impossible_roster_numbers_are_refused(raw: str) -> None:
    assert normalize_phone(raw) is None


async def test_an_impossible_phone_is_a_row_error_in_vietnamese(db: Database, world: dict) -> None:
    plan, _result = await import_rows(
        db, [row("DB000031", "Lò Thị Mai", phone="0112 345 678", unit="03158")]
    )
    assert [(e.value, e.column) for e in plan.errors] == [("0112 345 678", "Số điện thoại")]
    with i18n.use_locale("vi"):
        assert "không phải là số điện thoại Việt Nam hợp lệ" in plan.errors[0].message()


# --- over the real Telegram stack ----------------------------------------------------------


async def test_over_telegram_admin_contact_refused_and_displaced_chat_told(
    db: Database, world: dict
) -> None:
    from bot.channels.telegram import build_application
    from tests.fake_bot_api import FakeBotApi
    from tests.test_sender_faults import RunningClock, make_sender
    from tests.test_telegram_e2e import settings_for

    admin, victim = 5551006, 5551001
    async with FakeBotApi(max_poll_wait=1.0) as fake:
        app = build_application(settings_for(fake, db), make_dispatcher(db, Clock(NOW)))
        async with app:
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=1)
            try:
                fake.push_contact(admin, "+84912000006", admin)
                await fake.wait_for(
                    lambda: any(
                        "mã liên kết dùng một lần" in (m.text or "") for m in fake.sent_to(admin)
                    )
                )
                fake.push_contact(victim, "84912000001", victim)
                await fake.wait_for(
                    lambda: any("Nguyễn Văn An" in (m.text or "") for m in fake.sent_to(victim))
                )
            finally:
                await app.updater.stop()
                await app.stop()
        assert not any("Phạm Thu Hà" in (m.text or "") for m in fake.sent_to(admin))
        await import_rows(
            db, [row("DB000001", "Nguyễn Văn An", phone="0912000099", unit="SNV-TCCB")]
        )
        sender, transport = make_sender(db, fake, RunningClock(NOW))
        try:
            await sender.drain()
        finally:
            await transport.close()
        told = [m.text or "" for m in fake.sent_to(victim)]
    assert any("Số điện thoại trong hồ sơ cán bộ của anh/chị vừa được thay đổi" in t for t in told)
