"""Journey 2 as transcripts: /yeucau, "Vì sao?", free text and /hoso, on SQLite and
PostgreSQL, for the hand-built officials of issue #3."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import insert

from bot.db import Database
from models.chat import accounts
from models.org.officials import Official
from models.requirements.store import ensure_default_catalogue
from models.requirements.training_records import TrainingRecord, import_key
from tests.factories import make_official, small_province
from tests.transcript import Clock, Person, make_dispatcher, telegram_only

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 10:00 on 26/11/2026 in Việt Nam


async def _record(
    session: Any,
    official: Official,
    kind: str,
    day: date,
    periods: int,
    cert: str | None = "CC-01",
    title: str | None = None,
) -> None:
    await session.execute(
        insert(TrainingRecord).values(
            official_id=official.id,
            kind=kind,
            completed_on=day,
            periods=periods,
            certificate_no=cert,
            title=title,
            provider="Trường Chính trị tỉnh",
            source="test",
            import_key=import_key(official.id, kind, day, None, title),
        )
    )


@pytest.fixture
async def world(db: Database, channel: str) -> dict[str, Any]:
    async with db.transaction() as session:
        await ensure_default_catalogue(session, NOW)
        units = await small_province(session)
        people = {
            "deputy": await make_official(
                session,
                units["tccb"],
                employee_code="DB000001",
                full_name="Nguyễn Văn An",
                leadership_tier="pho_truong_phong",
                post_title="Phó Trưởng phòng",
                leadership_appointed_on=date(2026, 6, 26),
                education_level="cao_dang",
                professional_field_matches_post=True,
                political_theory_level="trung_cap",
            ),
            "deputy13": await make_official(
                session,
                units["tccb"],
                employee_code="DB000002",
                full_name="Trần Thị Bình",
                gender="female",
                phone="+84912000002",
                leadership_tier="pho_truong_phong",
                leadership_appointed_on=date(2025, 10, 26),
                education_level="dai_hoc",
                professional_field_matches_post=True,
            ),
            "kinh": await make_official(
                session,
                units["sin_thau"],
                employee_code="DB000003",
                full_name="Phạm Thị Hoa",
                gender="female",
                phone="+84912000003",
                ethnicity="Kinh",
                languages=[],
                education_level="trung_cap",
                professional_field_matches_post=True,
                political_theory_level="so_cap",
            ),
            "teacher": await make_official(
                session,
                units["noi_vu"],
                employee_code="DB000004",
                full_name="Lò Văn Dũng",
                phone="+84912000004",
                category="vien_chuc",
                ethnicity="Thái",
            ),
            "teacher_no_ethics": await make_official(
                session,
                units["noi_vu"],
                employee_code="DB000005",
                full_name="Quàng Thị Én",
                gender="female",
                phone="+84912000005",
                category="vien_chuc",
                ethnicity="Thái",
            ),
        }
        await _record(session, people["deputy13"], "quoc_phong_an_ninh", date(2024, 5, 10), 96)
        await _record(
            session,
            people["kinh"],
            "cap_nhat_phap_luat_ky_nang",
            date(2026, 5, 10),
            16,
            title="Cập nhật Luật Cán bộ, công chức 2025",
        )
        await _record(session, people["teacher"], "dao_duc_cong_vu", date(2026, 3, 1), 8)
        await _record(session, people["teacher"], "theo_vi_tri_viec_lam", date(2026, 9, 1), 16)
        await _record(
            session, people["teacher_no_ethics"], "theo_vi_tri_viec_lam", date(2026, 9, 1), 16
        )
        await _record(
            session,
            people["teacher_no_ethics"],
            "ly_luan_chinh_tri",
            date(2024, 6, 15),
            480,
            title="Trung cấp lý luận chính trị",
        )
        for n, official in enumerate(people.values()):
            account = await accounts.get_or_create(
                session,
                channel=channel,
                user_id=str(2000 + n),
                chat_id=str(2000 + n),
                now=NOW,
            )
            await accounts.link(session, account, official, method="test", now=NOW)
    chats = {name: str(2000 + n) for n, name in enumerate(people)}
    return {"chat": chats, "channel": channel, **people}


def person(db: Database, world: dict[str, Any], who: str, clock: Clock | None = None) -> Person:
    dispatcher = make_dispatcher(db, clock or Clock(NOW))
    return Person(dispatcher, world["chat"][who], channel=world["channel"])


async def test_deputy_without_degree_sees_list_most_urgent_first(
    db: Database, world: dict[str, Any]
) -> None:
    an = person(db, world, "deputy")
    text = await an.say("/yeucau")
    lines = text.splitlines()
    assert lines[0] == "📋 Yêu cầu đào tạo, bồi dưỡng của anh (năm 2026)"
    # Obligations first, with their day counts; the degree is a standard of the post:
    # "chưa đạt", never "hạn 31/12/2025 (quá hạn 330 ngày)".
    assert lines[1] == (
        "1. ⚠️ Cập nhật kiến thức pháp luật hằng năm — chưa có, hạn 31/12/2026 (còn 35 ngày)"
    )
    assert lines[2] == (
        "2. ⚠️ Bồi dưỡng lãnh đạo, quản lý sau khi bổ nhiệm — chưa có, hạn 26/06/2027 (còn 212 ngày)"
    )
    assert lines[3] == "3. ⚠️ Kiến thức quốc phòng – an ninh đối tượng 3 — chưa có"
    assert lines[4] == "4. ⚠️ Tiêu chuẩn trình độ đại học phù hợp vị trí lãnh đạo — chưa đạt"
    assert "Trình độ đại học (lãnh đạo cấp tỉnh" not in text  # one degree item, not two
    assert "quá hạn" not in text and "31/12/2025" not in text
    # The province's target is context, last, and never the official's deadline.
    assert lines[8].startswith("8. ℹ️ Đáp ứng tiêu chuẩn trước khi bổ nhiệm ngạch, chức vụ")
    assert "(không phải thời hạn của anh)" in lines[8]
    assert "✅ Lý luận chính trị từ trung cấp (tiêu chuẩn lãnh đạo) — đã đạt" in text
    assert an.values[:4] == [
        "why:DB-SEED-03",
        "why:REG-171-LEADER-QLNN",
        "why:REG-QPAN-DOI-TUONG-3",
        "why:DB-SEED-01",
    ]
    assert an.choices[0] == "❓ Vì sao mục 1?"


@telegram_only  # presses buttons of an earlier answer
async def test_why_explains_conditions_target_and_basis(
    db: Database, world: dict[str, Any]
) -> None:
    an = person(db, world, "deputy")
    await an.say("/yeucau")
    text = await an.press("why:DB-SEED-03")
    assert ("Yêu cầu này áp dụng với anh vì anh làm việc ở cấp tỉnh, là công chức.") in text
    assert (
        "Chỉ tiêu của tỉnh giai đoạn 2021–2025 (giai đoạn này đã kết thúc ngày 31/12/2025): "
        "hằng năm ít nhất 80% CBCC cấp tỉnh được cập nhật kiến thức pháp luật, kỹ năng, "
        "phương pháp thực thi công vụ."
    ) in text
    assert "(chỉ tiêu của tỉnh, nguồn thứ cấp)" in text
    assert "Nghị định 171/2025/NĐ-CP về đào tạo, bồi dưỡng công chức (nguồn thứ cấp)" in text
    assert "89/2021" not in text and "101/2017" not in text
    assert "Thực hiện hằng năm; hạn năm nay: 31/12/2026." in text
    assert "tối thiểu 8 tiết" in text
    assert "Số tiết tối thiểu mỗi năm do tỉnh chọn" in text
    text = await an.press("why:DB-SEED-01")
    assert "giữ chức vụ phó trưởng phòng và tương đương" in text
    assert "trình độ chuyên môn từ đại học trở lên" in text
    assert "Nghị định 334/2025/NĐ-CP" in text and "(nguồn thứ cấp)" in text  # news only
    assert "Đây là tiêu chuẩn của chức vụ, ngạch" in text
    text = await an.press("why:REG-171-LEADER-QLNN")
    assert "được bổ nhiệm chức vụ ngày 26/06/2026" in text
    assert "Trong vòng 12 tháng kể từ ngày bổ nhiệm chức vụ, tức là hạn 26/06/2027." in text


async def test_appointed_13_months_ago_is_overdue(db: Database, world: dict[str, Any]) -> None:
    binh = person(db, world, "deputy13")
    text = await binh.say("/yeucau")
    assert text.splitlines()[0] == "📋 Yêu cầu đào tạo, bồi dưỡng của chị (năm 2026)"
    assert (
        "1. ❗ Bồi dưỡng lãnh đạo, quản lý sau khi bổ nhiệm — chưa có, hạn 26/10/2026 "
        "(quá hạn 31 ngày)"
    ) in text
    assert "✅ Kiến thức quốc phòng – an ninh đối tượng 3 — hoàn thành 10/05/2024" in text


async def test_kinh_commune_official_without_local_language(
    db: Database, world: dict[str, Any]
) -> None:
    hoa = person(db, world, "kinh")
    text = await hoa.say("còn thiếu gì nam nay")
    # The province's language target is context for her, not her deadline.
    assert (
        "ℹ️ Sử dụng được tiếng dân tộc thiểu số tại địa phương — chưa đạt — chỉ tiêu chung của "
        "tỉnh giai đoạn 2021–2025, để chị tham khảo"
    ) in text
    assert "31/12/2025" not in text
    assert (
        "✅ Cập nhật kiến thức, kỹ năng và đạo đức công vụ hằng năm (cấp xã) — hoàn thành "
        "10/05/2026"
    ) in text
    text = await hoa.press("why:DB-SEED-06")
    assert (
        "vì chị làm việc ở cấp xã, là công chức, là người dân tộc Kinh, công tác ở vùng "
        "đồng bào dân tộc thiểu số và miền núi."
    ) in text
    assert (
        "Cần có: sử dụng được ít nhất một tiếng dân tộc thiểu số hoặc tiếng dân tộc thiểu "
        "số có chứng chỉ."
    ) in text


async def test_public_employee_with_and_without_ethics(db: Database, world: dict[str, Any]) -> None:
    dung = person(db, world, "teacher")
    text = await dung.say("yeu cau")
    # Since 01/07/2026 the yearly update of viên chức rests on the province's 2021–2025
    # target alone (the 2010 law lapsed; its successor's rules are unverified): context.
    assert (
        "1. ℹ️ Đạo đức nghề nghiệp và cập nhật kiến thức chuyên môn hằng năm — hoàn thành "
        "01/09/2026 — chỉ tiêu chung của tỉnh giai đoạn 2021–2025"
    ) in text
    en = person(db, world, "teacher_no_ethics")
    text = await en.say("toi can hoc gi")
    assert (
        "1. ℹ️ Đạo đức nghề nghiệp và cập nhật kiến thức chuyên môn hằng năm — chưa đạt — chỉ "
        "tiêu chung của tỉnh giai đoạn 2021–2025, để chị tham khảo (không phải thời hạn của chị)"
    ) in text
    assert "hạn 31/12/2026" not in text
    text = await en.press("why:DB-SEED-04")
    assert "Còn thiếu: đạo đức công vụ, đạo đức nghề nghiệp (tối thiểu 8 tiết)." in text
    assert "hằng năm ít nhất 60% viên chức" in text
    assert "Luật Viên chức số 58/2010" not in text
    assert "Hiện không có văn bản pháp luật còn hiệu lực quy định đây là nghĩa vụ" in text


async def test_year_boundary_follows_vietnam_time(db: Database, world: dict[str, Any]) -> None:
    # 17:30 UTC on 31/12 is already 00:30 on 01/01 in Asia/Ho_Chi_Minh.
    clock = Clock(datetime(2026, 12, 31, 16, 59, tzinfo=UTC))
    hoa = person(db, world, "kinh", clock)
    text = await hoa.say("/yeucau")
    assert "(năm 2026)" in text
    assert "hạn là hôm nay" not in text  # done this year: no deadline shown
    clock.now = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)
    text = await hoa.say("/yeucau")
    assert "(năm 2027)" in text
    assert (
        "Cập nhật kiến thức, kỹ năng và đạo đức công vụ hằng năm (cấp xã) — chưa có, hạn "
        "31/12/2027 (còn 364 ngày)"
    ) in text


@telegram_only
async def test_forged_or_foreign_why_buttons_are_stale(db: Database, world: dict[str, Any]) -> None:
    an = person(db, world, "deputy")
    for value in ("why:DB-SEED-04", "why:NO-SUCH-RULE", "why:", "why:REG-101-ANNUAL-1W"):
        text = await an.press(value)
        assert "Nút này không còn hiệu lực" in text
        assert "Căn cứ" not in text


@telegram_only
async def test_unlinked_person_is_asked_to_link(db: Database, world: dict[str, Any]) -> None:
    stranger = Person(make_dispatcher(db, Clock(NOW)), "9999")
    text = await stranger.say("/yeucau")
    assert "liên kết" in text
    assert "Yêu cầu bồi dưỡng của" not in text
    text = await stranger.press("why:DB-SEED-03")
    assert "Căn cứ" not in text


async def test_profile_lists_completed_training(db: Database, world: dict[str, Any]) -> None:
    en = person(db, world, "teacher_no_ethics")
    text = await en.say("/hoso")
    assert "🎓 Bồi dưỡng đã hoàn thành:" in text
    assert (
        "• 15/06/2024 — Lý luận chính trị: Trung cấp lý luận chính trị (480 tiết, chứng "
        "chỉ số CC-01)"
    ) in text
    an = person(db, world, "deputy")
    assert "🎓 Chưa có khóa bồi dưỡng nào được ghi nhận." in await an.say("/hoso")


async def test_english_wording(db: Database, world: dict[str, Any]) -> None:
    an = person(db, world, "deputy")
    await an.say("/ngonngu")
    await an.press_label("English")
    text = await an.say("/yeucau")
    assert text.splitlines()[0] == "📋 Your training requirements (2026)"
    assert "— not done yet, due 31/12/2026 (35 days left)" in text
    text = await an.press("why:DB-SEED-03")
    assert "This applies to you because you work at province level, you are a civil" in text
