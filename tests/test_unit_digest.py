"""The weekly unit-head digest and its nudges, on SQLite and PostgreSQL: who is a head, who
is listed and in what order, idempotent weekly planning, the words, and nudges — including
forged and out-of-date ones, which send nothing."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from models.audit import AuditEntry
from models.chat.accounts import ChatAccount
from models.notices import outbox as notices
from models.notices.digest import (
    DIGEST,
    NUDGE,
    DigestSettings,
    Listed,
    digest_choices,
    digest_text,
    heads_among,
)
from models.notices.outbox import Notice
from models.notices.planning import PlanningSettings
from models.notices.preferences import set_kind
from models.org.officials import Official
from models.org.units import add_unit
from models.requirements.evaluation import RuleStatus, Status
from models.requirements.store import default_catalogue, ensure_default_catalogue
from models.requirements.training_records import TrainingRecord, import_key
from scheduler.jobs import plan_digests
from scheduler.service import build_scheduler
from tests.factories import make_official, small_province
from tests.transcript import Clock, Person, make_dispatcher

VN = ZoneInfo("Asia/Ho_Chi_Minh")
S = DigestSettings(tz=VN)


def local(y: int, m: int, d: int, hh: int = 8, mm: int = 5) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN).astimezone(UTC)


MONDAY = local(2026, 12, 7)  # ISO week 2026-W50; the yearly update is due in 24 days
LINKED_AT = datetime(2026, 1, 1, tzinfo=UTC)


async def link(session: Any, official: Official, user_id: str) -> None:
    await session.execute(
        insert(ChatAccount).values(
            channel="telegram",
            external_user_id=user_id,
            chat_id=user_id,
            official_id=official.id,
            linked_at=LINKED_AT,
            failed_link_attempts=0,
            created_at=LINKED_AT,
            last_seen_at=LINKED_AT,
        )
    )


async def trained(session: Any, official: Official, kind: str, on: date) -> None:
    await session.execute(
        insert(TrainingRecord).values(
            official_id=official.id,
            kind=kind,
            completed_on=on,
            periods=16,
            source="test",
            import_key=import_key(official.id, kind, on, None, None),
        )
    )


@pytest.fixture
async def world(db: Database) -> dict[str, int]:
    """Units and people; linked chat users are "9" + the employee number."""
    ids: dict[str, int] = {}
    async with db.transaction() as session:
        await ensure_default_catalogue(session, LINKED_AT)
        units = await small_province(session)
        ccvc = await add_unit(
            session,
            code="SNV-CCVC",
            name="Phòng Công chức, viên chức",
            level="province",
            kind="division",
            parent=units["noi_vu"],
        )
        n = 0

        async def person(
            key: str, unit: str, name: str, *, linked: bool = True, **fields: Any
        ) -> Official:
            nonlocal n
            n += 1
            where = ccvc if unit == "ccvc" else units[unit]
            official = await make_official(
                session,
                where,
                employee_code=f"DB{n:06d}",
                full_name=name,
                phone=f"+8491200{n:04d}",
                **fields,
            )
            if linked:
                await link(session, official, f"9{n:03d}")
            ids[key] = official.id
            return official

        # Phòng Tổ chức cán bộ: one head of division, three deputies, three staff.
        await person(
            "ha",
            "tccb",
            "Phạm Thu Hà",
            gender="female",
            leadership_tier="truong_phong",
            leadership_appointed_on=date(2024, 1, 1),
        )
        await person(
            "nam",
            "tccb",
            "Lê Văn Nam",
            leadership_tier="pho_truong_phong",
            leadership_appointed_on=date(2025, 10, 1),
        )  # overdue since 01/10/2026
        await person(
            "giang",
            "tccb",
            "Ngô Thị Giang",
            gender="female",
            linked=False,
            leadership_tier="pho_truong_phong",
            leadership_appointed_on=date(2025, 12, 20),
        )  # due 20/12/2026
        em = await person(
            "em",
            "tccb",
            "Hoàng Văn Em",
            leadership_tier="pho_truong_phong",
            leadership_appointed_on=date(2026, 3, 1),
        )  # due 01/03/2027: later
        await trained(session, em, "cap_nhat_phap_luat_ky_nang", date(2026, 5, 1))
        await person("binh", "tccb", "Trần Văn Bình")  # yearly update due 31/12/2026
        cuc = await person("cuc", "tccb", "Vũ Thị Cúc", gender="female")
        await trained(session, cuc, "cap_nhat_phap_luat_ky_nang", date(2026, 4, 2))
        # Sở Nội vụ itself: two deputy directors and no director, so both are heads.
        await person("pgd1", "noi_vu", "Đặng Văn Phúc", leadership_tier="pho_giam_doc_so")
        await person(
            "pgd2", "noi_vu", "Bùi Thị Quyên", gender="female", leadership_tier="pho_giam_doc_so"
        )
        await person("hung", "noi_vu", "Lý Văn Hùng")
        # Phòng Công chức, viên chức: a head whose only staff member is up to date.
        await person("khoa", "ccvc", "Đinh Văn Khoa", leadership_tier="truong_phong")
        lan = await person("lan", "ccvc", "Mai Thị Lan", gender="female")
        await trained(session, lan, "cap_nhat_phap_luat_ky_nang", date(2026, 2, 2))
        # The province itself: its key leader has no staff of the unit's own (the whole
        # province below must not land on them).
        await person(
            "chu_tich", "root", "Nguyễn Văn Tỉnh", leadership_tier="lanh_dao_chu_chot_tinh"
        )
        # A commune whose key leader never linked a chat: no digest can reach them.
        await person(
            "xa",
            "sin_thau",
            "Giàng A Chử",
            leadership_tier="lanh_dao_chu_chot_xa",
            linked=False,
            level="commune",
        )
        await person("xa_staff", "sin_thau", "Lò Văn Sình", level="commune")
    return ids


def user(world: dict[str, int], key: str) -> str:
    """The chat user id `world` linked for a person (people are numbered in order)."""
    return f"9{list(world).index(key) + 1:03d}"


async def notice_rows(db: Database, **where: object) -> list[Notice]:
    async with db.transaction() as session:
        query = select(Notice).order_by(Notice.official_id, Notice.id)
        for name, value in where.items():
            query = query.where(getattr(Notice, name) == value)
        return list(await session.scalars(query))


async def audit_rows(db: Database, action: str) -> list[AuditEntry]:
    async with db.transaction() as session:
        return list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def head_of(db: Database, world: dict[str, int], key: str, now: datetime = MONDAY) -> Person:
    return Person(make_dispatcher(db, Clock(now)), user(world, key))


# --- who is a head ----------------------------------------------------------------------------


def test_the_most_senior_tier_present_heads_the_unit() -> None:
    def heads(*members: tuple[int, str | None]) -> frozenset[int]:
        return heads_among([(i, tier, None) for i, tier in members])

    assert heads((1, "pho_truong_phong"), (2, "truong_phong"), (3, None)) == {2}
    assert heads((1, "pho_truong_phong"), (2, "pho_truong_phong"), (3, None)) == {1, 2}
    assert heads((1, "pho_giam_doc_so"), (2, "giam_doc_so"), (3, "truong_phong")) == {2}
    # Peers of equal rank are all heads.
    assert heads(
        (1, "lanh_dao_chu_chot_xa"), (2, "quan_ly_don_vi_su_nghiep"), (3, "pho_giam_doc_so")
    ) == {1, 2}
    assert heads((1, "giam_doc_so"), (2, "lanh_dao_chu_chot_tinh")) == {2}
    # No ranked tier, or an unknown one: nobody.
    assert heads((1, None), (2, "chu_tich_hoi")) == frozenset()
    assert heads() == frozenset()


def test_within_one_tier_the_title_tells_the_head_from_deputies() -> None:
    manager, commune = "quan_ly_don_vi_su_nghiep", "lanh_dao_chu_chot_xa"
    hospital = [
        (1, manager, "Giám đốc Bệnh viện đa khoa tỉnh"),
        (2, manager, "Phó Giám đốc"),
        (3, manager, "Trưởng khoa Nội"),
        (4, None, "Bác sĩ"),
    ]
    assert heads_among(hospital) == {1}
    ward = [
        (1, commune, "Bí thư Đảng ủy phường Him Lam"),
        (2, commune, "Phó Bí thư Đảng ủy"),
        (3, commune, "Chủ tịch UBND phường"),
        (4, commune, "Phó Chủ tịch UBND phường"),
    ]
    assert heads_among(ward) == {1, 3}
    # Typed without diacritics or in capitals, titles still count.
    assert heads_among([(1, commune, "PHO CHU TICH UBND"), (2, commune, "chu tich ubnd")]) == {2}
    # Without a head's title, heads of department and deputies lead together, deputies last.
    assert heads_among(
        [
            (1, manager, "Trưởng khoa Nội"),
            (2, manager, "Trưởng khoa Ngoại"),
            (3, manager, "Phó Trưởng khoa"),
        ]
    ) == {1, 2}
    assert heads_among([(1, manager, "Phó Giám đốc"), (2, manager, None)]) == {2}
    # A more senior tier still wins over a head's title in a lower tier.
    assert heads_among(
        [(1, "truong_phong", "Giám đốc Trung tâm"), (2, "giam_doc_so", "Phó Giám đốc Sở")]
    ) == {2}


# --- the weekly digest ------------------------------------------------------------------------


async def test_heads_get_their_own_units_staff_overdue_first(
    db: Database, world: dict[str, int]
) -> None:
    stats = await plan_digests(db.transaction, now=MONDAY, settings=S)
    digests = await notice_rows(db, kind=DIGEST)
    by_head = {r.official_id: r for r in digests}
    # Hà heads Phòng TCCB; both deputy directors head Sở Nội vụ (a tie). Khoa's staff are up
    # to date, the province leader has no staff of the unit's own, the commune leader is
    # not linked: none of them gets a digest, and deputies never do when a head exists.
    assert set(by_head) == {world["ha"], world["pgd1"], world["pgd2"]}
    assert stats.planned == 3 and stats.units == 2
    ha = by_head[world["ha"]]
    assert ha.subject == "digest:2026-W50" and ha.state == notices.PENDING
    assert ha.due_at == local(2026, 12, 7, 8, 0)  # Monday 08:00, a daytime moment
    assert ha.relevant_until == local(2026, 12, 14, 0, 0)
    assert ha.channel is None and ha.chat_id is None  # the sender picks the chat
    lines = ha.text.splitlines()
    assert lines[0] == "📋 Tổng hợp bồi dưỡng hằng tuần — Phòng Tổ chức cán bộ"
    assert lines[1].startswith("Kính gửi chị Hà, các CBCCVC sau trong đơn vị đã quá hạn")
    assert "trong 30 ngày tới" in lines[1]
    assert lines[2] == (
        "1. Lê Văn Nam — Bồi dưỡng lãnh đạo, quản lý sau khi bổ nhiệm — "
        "quá hạn từ 01/10/2026 (và 1 yêu cầu khác)"
    )
    assert lines[3] == (
        "2. Ngô Thị Giang — Bồi dưỡng lãnh đạo, quản lý sau khi bổ nhiệm — "
        "hạn 20/12/2026 (và 1 yêu cầu khác)"
    )
    assert lines[4] == "3. Trần Văn Bình — Cập nhật kiến thức pháp luật hằng năm — hạn 31/12/2026"
    assert "Chị có thể bấm 🔔" in ha.text and "/nhacnho" in ha.text
    for absent in ("Phạm Thu Hà", "Hoàng Văn Em", "Vũ Thị Cúc", "Lý Văn Hùng"):
        assert absent not in ha.text
    assert ha.choices == [
        ["🔔 Nhắc Nam", f"nudge:{world['nam']}"],
        ["🔔 Nhắc Giang", f"nudge:{world['giang']}"],
        ["🔔 Nhắc Bình", f"nudge:{world['binh']}"],
        ["🔔 Nhắc tất cả", "nudge:all"],
    ]
    assert all(len(value.encode()) <= 64 for _label, value in ha.choices)
    # The two peers each get Sở Nội vụ's own list (Hùng), addressed to each of them.
    phuc, quyen = by_head[world["pgd1"]], by_head[world["pgd2"]]
    assert "1. Lý Văn Hùng — " in phuc.text and "Trần Văn Bình" not in phuc.text
    assert "Bùi Thị Quyên" not in phuc.text and "Đặng Văn Phúc" not in quyen.text
    assert "Kính gửi anh Phúc," in phuc.text and "Kính gửi chị Quyên," in quyen.text


async def test_planning_is_weekly_and_idempotent(db: Database, world: dict[str, int]) -> None:
    early = await plan_digests(db.transaction, now=local(2026, 12, 7, 7, 0), settings=S)
    assert early.planned == 0 and await notice_rows(db, kind=DIGEST) == []  # before 08:00
    first = await plan_digests(db.transaction, now=MONDAY, settings=S)
    again = await plan_digests(db.transaction, now=MONDAY + timedelta(minutes=5), settings=S)
    later = await plan_digests(db.transaction, now=local(2026, 12, 10, 15), settings=S)
    assert (first.planned, again.planned, later.planned) == (3, 0, 0)
    assert len(await notice_rows(db, kind=DIGEST, official_id=world["ha"])) == 1
    # Next Monday: a new week, a new digest.
    nxt = await plan_digests(db.transaction, now=local(2026, 12, 14), settings=S)
    assert nxt.planned == 3
    mine = await notice_rows(db, kind=DIGEST, official_id=world["ha"])
    assert [r.subject for r in mine] == ["digest:2026-W50", "digest:2026-W51"]
    # Switched off: no digests at all.
    off = DigestSettings(tz=VN, weekday=None)
    assert (await plan_digests(db.transaction, now=local(2026, 12, 21), settings=off)).planned == 0


async def test_configured_weekday_and_time(db: Database, world: dict[str, int]) -> None:
    wednesday = DigestSettings(tz=VN, weekday=3, send_time=time(9, 30))
    monday = await plan_digests(db.transaction, now=MONDAY, settings=wednesday)
    assert monday.planned == 0  # this week's moment has not come yet
    await plan_digests(db.transaction, now=local(2026, 12, 9, 10, 0), settings=wednesday)
    [row] = await notice_rows(db, kind=DIGEST, official_id=world["ha"])
    assert row.due_at == local(2026, 12, 9, 9, 30)


async def test_nobody_listed_means_no_digest(db: Database, world: dict[str, int]) -> None:
    async with db.transaction() as session:  # Hùng does this year's update
        hung = await session.get(Official, world["hung"])
        assert hung is not None
        await trained(session, hung, "quan_ly_nha_nuoc", date(2026, 12, 1))
    await plan_digests(db.transaction, now=MONDAY, settings=S)
    heads = {r.official_id for r in await notice_rows(db, kind=DIGEST)}
    assert heads == {world["ha"]}


async def test_a_head_can_switch_the_digest_off(db: Database, world: dict[str, int]) -> None:
    ha = head_of(db, world, "ha")
    text = await ha.say("/nhacnho")
    assert "Hằng tuần về CBCCVC trong đơn vị chậm hoàn thành đào tạo, bồi dưỡng" in text
    assert "rem:off:digest" in ha.values
    binh = head_of(db, world, "binh")
    await binh.say("/nhacnho")
    assert not any(v.endswith(":digest") for v in binh.values)  # not a head: no switch
    await ha.press("rem:off:digest")
    assert "rem:on:digest" in ha.values
    await plan_digests(db.transaction, now=MONDAY, settings=S)
    heads = {r.official_id for r in await notice_rows(db, kind=DIGEST)}
    assert heads == {world["pgd1"], world["pgd2"]}
    async with db.transaction() as session:
        await set_kind(session, world["ha"], DIGEST, enabled=True, now=MONDAY)
    await plan_digests(db.transaction, now=MONDAY, settings=S)
    assert len(await notice_rows(db, kind=DIGEST, official_id=world["ha"])) == 1


def test_long_lists_show_ten_people_and_count_the_rest() -> None:
    rule = default_catalogue().rules_by_id["DB-SEED-03"]
    owed = (RuleStatus(rule, Status.DUE, date(2026, 12, 31), 24),)
    people = [Listed(i, f"DB{i:06d}", f"Nguyễn Văn An{i}", "male", owed) for i in range(12)]
    text = digest_text("Xã Sín Thầu", people, None, 30)
    assert "Kính gửi anh/chị," in text
    assert "10. Nguyễn Văn An9 —" in text and "An10" not in text
    assert "… và 2 người khác." in text
    choices = digest_choices(people)
    assert len(choices) == 11 and choices[-1] == ("🔔 Nhắc tất cả", "nudge:all")


def test_the_scheduler_runs_the_digest_weekly() -> None:
    def never() -> AbstractAsyncContextManager[AsyncSession]:
        raise AssertionError("building the scheduler opens no transaction")

    scheduler = build_scheduler(
        never,
        PlanningSettings(tz=VN),
        digest=DigestSettings(tz=VN, weekday=2, send_time=time(8, 30)),
    )
    job = scheduler.get_job("plan-digests")
    assert job is not None
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert (fields["day_of_week"], fields["hour"], fields["minute"]) == ("tue", "8", "30")
    off = build_scheduler(
        never,
        PlanningSettings(tz=VN),
        digest=DigestSettings(tz=VN, weekday=None),
    )
    assert off.get_job("plan-digests") is None


# --- nudges -----------------------------------------------------------------------------------


async def test_a_head_nudges_one_person_once_a_week(db: Database, world: dict[str, int]) -> None:
    ha = head_of(db, world, "ha")
    answer = await ha.press(f"nudge:{world['binh']}")
    assert answer == "✅ Đã gửi lời nhắc tới anh Trần Văn Bình."
    [row] = await notice_rows(db, kind=NUDGE)
    assert row.official_id == world["binh"] and row.subject == "nudge:2026-W50"
    assert row.text.splitlines() == [
        "Kính gửi anh Bình, lãnh đạo đơn vị nhắc anh hoàn thành các yêu cầu đào tạo, "
        "bồi dưỡng sau:",
        "• Cập nhật kiến thức pháp luật hằng năm (hạn 31/12/2026)",
        "Anh/chị gõ /yeucau để xem chi tiết, hoặc /khoahoc để tìm khóa học phù hợp.",
    ]
    [entry] = await audit_rows(db, "digest.nudge")
    assert entry.actor_official_id == world["ha"] and entry.affected == 1
    assert entry.subject == "DB000005" and entry.detail["sent"] == [world["binh"]]
    # Pressed again (or by another head) the same week: no second notice.
    again = await ha.press(f"nudge:{world['binh']}")
    assert again == "Anh Trần Văn Bình đã được nhắc trong tuần này."
    assert len(await notice_rows(db, kind=NUDGE)) == 1
    # Next week the list is re-checked and a new nudge may go.
    next_week = head_of(db, world, "ha", local(2026, 12, 14, 10))
    assert "Đã gửi lời nhắc" in await next_week.press(f"nudge:{world['binh']}")
    assert [r.subject for r in await notice_rows(db, kind=NUDGE)] == [
        "nudge:2026-W50",
        "nudge:2026-W51",
    ]


async def test_nudging_someone_without_a_linked_chat(db: Database, world: dict[str, int]) -> None:
    ha = head_of(db, world, "ha")
    answer = await ha.press(f"nudge:{world['giang']}")
    assert answer.startswith("Chị Ngô Thị Giang chưa liên kết với Trợ lý")
    assert await notice_rows(db, kind=NUDGE) == []


async def test_nudge_everyone(db: Database, world: dict[str, int]) -> None:
    ha = head_of(db, world, "ha")
    await ha.press(f"nudge:{world['binh']}")
    answer = await ha.press("nudge:all")
    assert answer.splitlines() == [
        "✅ Đã gửi lời nhắc tới 1 người.",
        "1 người đã được nhắc trong tuần này.",
        "Những người sau chưa liên kết với Trợ lý, anh/chị vui lòng nhắc trực tiếp: Ngô Thị Giang.",
    ]
    rows = await notice_rows(db, kind=NUDGE)
    assert sorted(r.official_id for r in rows) == sorted([world["binh"], world["nam"]])
    nam = next(r for r in rows if r.official_id == world["nam"])
    assert "Bồi dưỡng lãnh đạo, quản lý sau khi bổ nhiệm (quá hạn từ 01/10/2026)" in nam.text
    assert "Cập nhật kiến thức pháp luật hằng năm (hạn 31/12/2026)" in nam.text
    entries = await audit_rows(db, "digest.nudge")
    assert entries[-1].subject == "all" and entries[-1].affected == 1
    assert entries[-1].detail["already"] == [world["binh"]]
    # A peer head of Sở Nội vụ nudges their own staff; the other peer finds it done.
    phuc, quyen = head_of(db, world, "pgd1"), head_of(db, world, "pgd2")
    assert "Đã gửi lời nhắc tới 1 người" in await phuc.press("nudge:all")
    assert await quyen.press("nudge:all") == "1 người đã được nhắc trong tuần này."
    assert len(await notice_rows(db, kind=NUDGE)) == 3


async def test_forged_and_out_of_date_nudges_send_nothing(
    db: Database, world: dict[str, int]
) -> None:
    binh = world["binh"]
    stale = "Xin lỗi anh, danh sách này đã cũ nên lời nhắc chưa được gửi."
    # A deputy (not the head), a head of another unit, a staff member.
    for presser in ("nam", "pgd1", "binh"):
        text = await head_of(db, world, presser).press(f"nudge:{binh}")
        assert text.startswith(stale), (presser, text)
    ha = head_of(db, world, "ha")
    # Not on the list (up to date, or due later), the head herself, another unit's staff,
    # nonsense after the prefix.
    for value in (
        world["cuc"],
        world["em"],
        world["ha"],
        world["hung"],
        999999,
        "",
        "abc",
        "-1",
        "١٢",
        "all:1",
        "1;DROP",
    ):
        text = await ha.press(f"nudge:{value}")
        assert text.startswith("Xin lỗi chị, danh sách này đã cũ"), (value, text)
    assert (await head_of(db, world, "nam").press("nudge:all")).startswith(stale)
    # The unit's list changed since the digest: Bình did the training.
    async with db.transaction() as session:
        official = await session.get(Official, binh)
        assert official is not None
        await trained(session, official, "cap_nhat_phap_luat_ky_nang", date(2026, 12, 5))
    assert (await ha.press(f"nudge:{binh}")).startswith("Xin lỗi chị, danh sách này đã cũ")
    # An unlinked chat is asked to link first.
    stranger = Person(make_dispatcher(db, Clock(MONDAY)), "777777")
    assert "liên kết" in (await stranger.press(f"nudge:{binh}")).lower()
    assert await notice_rows(db, kind=NUDGE) == []
    assert await audit_rows(db, "digest.nudge") == []
    refused = await audit_rows(db, "digest.nudge_refused")
    assert len(refused) == 3 + 11 + 1 + 1
    assert {r.detail["reason"] for r in refused} == {
        "not a head of their unit",
        "not on the list",
        "bad value",
    }


async def test_a_head_who_lost_the_post_cannot_nudge(db: Database, world: dict[str, int]) -> None:
    async with db.transaction() as session:  # a new head of division; Hà becomes a deputy
        ha = await session.get(Official, world["ha"])
        assert ha is not None
        ha.leadership_tier = "pho_truong_phong"
        await make_official(
            session,
            ha.unit,
            employee_code="DB000099",
            full_name="Tạ Văn Mới",
            phone="+84912009999",
            leadership_tier="truong_phong",
        )
    text = await head_of(db, world, "ha").press(f"nudge:{world['binh']}")
    assert text.startswith("Xin lỗi chị, danh sách này đã cũ")
    assert await notice_rows(db, kind=NUDGE) == []
