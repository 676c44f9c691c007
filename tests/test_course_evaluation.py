"""Issue #16.4: the course evaluation questionnaire in the chat and the per-class summary.

Only an official whose registration is attended/completed answers, once; a half-finished
questionnaire resumes; stale, forged and foreign buttons change nothing; the summary's
figures, its workbook and chart; the invitation in the outbox; and the journey over the
fake Telegram server."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.db import Database
from handlers.payloads import EVAL_SCALE, EVAL_SKIP, EVAL_SUMMARY, EVAL_SUMMARY_ASK, EVALUATE
from locales import use_locale
from models.courses import evaluation
from models.courses.catalogue import Course
from models.courses.evaluation import EvalOutcome, questionnaire
from models.courses.evaluation_store import EvaluationDraft, EvaluationResponse, has_answered
from models.courses.evaluation_summary import course_summary, mean_of, summarise
from models.courses.registrations import Registration, RegStatus
from models.exports.evaluation import chart_bars, evaluation_chart, evaluation_workbook
from models.notices.outbox import Notice
from models.notices.planning import PlanningSettings, plan_course_notices
from models.org import admins
from models.org.officials import Official
from tests.courses_world import NOW, World, build_world, make_course
from tests.factories import make_official
from tests.transcript import telegram_only

FORM = questionnaire()
SCALED = [q.key for q in FORM.scaled]
ENDED = date(2026, 11, 20)  # the evaluated course ended before NOW (26/11/2026)


async def _done(session: Any, course_id: int, official: Official, status: str) -> Registration:
    reg = Registration(
        course_id=course_id,
        official_id=official.id,
        status=status,
        requested_at=NOW - timedelta(days=30),
        confirmed_at=NOW - timedelta(days=30),
    )
    session.add(reg)
    await session.flush()
    return reg


async def _world(db: Database, channel: str = "telegram") -> tuple[World, int]:
    """An completed the ended course K-2026-09, Nhung is only registered (confirmed), Hà is
    not registered; Hà is the province HR admin."""
    world = await build_world(db, channel)
    async with db.transaction() as session:
        course = await make_course(
            session,
            "K-2026-09",
            title="Kỹ năng soạn thảo văn bản",
            starts_on=date(2026, 11, 17),
            ends_on=ENDED,
            registration_closes_on=date(2026, 11, 10),
            status="finished",
        )
        people: dict[str, Official] = {}
        for key, official in world.people.items():
            found = await session.get(Official, official.id)
            assert found is not None
            people[key] = found
        await _done(session, course.id, people["an"], RegStatus.COMPLETED)
        await _done(session, course.id, people["nhung"], RegStatus.CONFIRMED)
        await admins.grant(session, people["ha"], world.units["root"], actor="test", now=NOW)
        world.courses["eval"] = course
    return world, course.id


async def _answer_all(session: Any, course_id: int, official: Official, points: list[int]) -> Any:
    for key, point in zip(SCALED, points, strict=True):
        step = await evaluation.answer(
            session, course_id=course_id, official=official, question_key=key, value=point, now=NOW
        )
        assert step.outcome is EvalOutcome.QUESTION, step
    for q in FORM.free:
        step = await evaluation.answer(
            session, course_id=course_id, official=official, question_key=q.key,
            value=f"Ý kiến của {official.employee_code}", now=NOW,
        )  # fmt: skip
    assert step.question is None
    return await evaluation.submit(session, course_id=course_id, official=official, now=NOW)


# --- who may answer, and only once ---------------------------------------------------------


async def test_only_a_completed_official_answers_and_only_once(db: Database) -> None:
    world, course_id = await _world(db)
    async with db.transaction() as session:
        an, nhung, ha = [
            await session.get(Official, world.people[k].id) for k in ("an", "nhung", "ha")
        ]
        assert an and nhung and ha
        for outsider in (nhung, ha):  # registered but not attended; not registered at all
            step = await evaluation.start_evaluation(
                session, course_id=course_id, official=outsider, now=NOW
            )
            assert step.outcome is EvalOutcome.NOT_ELIGIBLE
            step = await evaluation.answer(
                session, course_id=course_id, official=outsider, question_key=SCALED[0],
                value=5, now=NOW,
            )  # fmt: skip
            assert step.outcome is EvalOutcome.NOT_ELIGIBLE
        step = await evaluation.start_evaluation(session, course_id=course_id, official=an, now=NOW)
        assert step.outcome is EvalOutcome.QUESTION and step.question == FORM.questions[0]
        early = await evaluation.submit(session, course_id=course_id, official=an, now=NOW)
        assert early.outcome is EvalOutcome.INCOMPLETE
        done = await _answer_all(session, course_id, an, [5, 4, 4, 3, 5])
        assert done.outcome is EvalOutcome.SUBMITTED
    async with db.transaction() as session:
        an = await session.get(Official, world.people["an"].id)
        assert an is not None
        again = await evaluation.answer(
            session, course_id=course_id, official=an, question_key=SCALED[0], value=1, now=NOW
        )
        assert again.outcome is EvalOutcome.ALREADY_ANSWERED
        twice = await evaluation.submit(session, course_id=course_id, official=an, now=NOW)
        assert twice.outcome is EvalOutcome.ALREADY_ANSWERED
        rows = (await session.scalars(select(EvaluationResponse))).all()
        assert len(rows) == 1 and rows[0].answers[SCALED[0]] == 5
        assert rows[0].questionnaire == FORM.id
        assert await has_answered(session, rows[0].registration_id)
        assert await session.scalar(select(func.count()).select_from(EvaluationDraft)) == 0


async def test_values_a_question_does_not_take_are_refused(db: Database) -> None:
    world, course_id = await _world(db)
    async with db.transaction() as session:
        an = await session.get(Official, world.people["an"].id)
        assert an is not None
        for bad in (0, 6, "5", None, True):
            step = await evaluation.answer(
                session, course_id=course_id, official=an, question_key=SCALED[0],
                value=bad, now=NOW,
            )  # fmt: skip
            assert step.outcome is EvalOutcome.INVALID, bad
        assert await session.scalar(select(func.count()).select_from(EvaluationDraft)) == 0


# --- the chat: resume, stale and forged buttons --------------------------------------------


async def test_a_half_finished_questionnaire_resumes_where_it_stopped(
    db: Database, channel: str
) -> None:
    world, course_id = await _world(db, channel)
    an = world.person("an")
    text = await an.say("/cuatoi")
    assert "chờ anh đánh giá" in text and "K-2026-09" in text
    text = await an.press(EVALUATE.pack(id=course_id))
    assert "câu 1/6" in text and "Chương trình, nội dung" in text
    await an.press(EVAL_SCALE.pack(id=course_id, q=SCALED[0], v="4"))
    text = await an.press(EVAL_SCALE.pack(id=course_id, q=SCALED[1], v="5"))
    assert "câu 3/6" in text
    # Away for two days: the dialog has long expired; the answers wait in the draft.
    world.clock.advance(days=2)
    text = await an.say("/cuatoi")
    text = await an.press(EVALUATE.pack(id=course_id))
    assert "câu 3/6" in text and "Tài liệu" in text
    for key in SCALED[2:]:
        text = await an.press(EVAL_SCALE.pack(id=course_id, q=key, v="3"))
    assert "câu 6/6" in text and "Bỏ qua" in text
    text = await an.say('Nên có thêm bài tập thực hành =HYPERLINK("x")')
    assert "Cảm ơn anh" in text and "Giấy chứng nhận" in text
    async with db.transaction() as session:
        row = await session.scalar(select(EvaluationResponse))
        assert row is not None
        assert [row.answers[k] for k in SCALED] == [4, 5, 3, 3, 3]
        assert row.answers["improve"].startswith("Nên có thêm bài tập")
    text = await an.say("/cuatoi")
    assert "chờ anh đánh giá" not in text


@pytest.mark.parametrize("channel", ["zalo"])
async def test_on_zalo_a_scaled_question_says_how_to_answer(db: Database, channel: str) -> None:
    """Zalo shows no buttons, and points labelled "1"…"5" are not listed as "[1] 1": the
    question itself must say that a number is the answer."""
    world, _course_id = await _world(db, channel)
    an = world.person("an")
    await an.say("/cuatoi")
    text = await an.press_label("Đánh giá K-2026-09")
    assert "câu 1/6" in text
    assert "Anh chọn một số từ 1 (rất không đồng ý) đến 5 (rất đồng ý)." in an.shown, an.shown
    assert "[1]" not in an.shown
    assert "câu 2/6" in await an.say("4")


@telegram_only
async def test_stale_forged_and_foreign_buttons_change_nothing(db: Database, channel: str) -> None:
    world, course_id = await _world(db, channel)
    an, nhung = world.person("an"), world.person("nhung")
    await an.tap(EVALUATE.pack(id=course_id))
    # A button for another question than the one asked (an old message, or forged).
    text = await an.tap(EVAL_SCALE.pack(id=course_id, q=SCALED[2], v="1"))
    assert "thuộc một câu hỏi khác" in text and "câu 1/6" in text
    for forged in (
        f"eval:a:{course_id}:{SCALED[0]}:9",  # off the scale
        f"eval:a:{course_id}:no_such_question:3",
        f"eval:skip:{course_id}:{SCALED[0]}",  # a scaled question cannot be skipped
        "eval:a:999999:content_fit:3",
    ):
        text = await an.tap(forged)
        assert "không còn hiệu lực" in text or "câu hỏi khác" in text or "lựa chọn" in text, forged
    # Somebody else's course: Nhung only registered, she did not attend.
    text = await nhung.tap(EVALUATE.pack(id=course_id))
    assert "Chỉ học viên đã tham gia hoặc hoàn thành" in text
    text = await nhung.tap(EVAL_SCALE.pack(id=course_id, q=SCALED[0], v="5"))
    assert "Không có gì thay đổi" in text
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(EvaluationDraft)) == 0
        assert await session.scalar(select(func.count()).select_from(EvaluationResponse)) == 0
    # A non-admin pressing the summary button gets the ordinary menu.
    text = await an.tap(EVAL_SUMMARY.pack(id=course_id))
    assert "chỉ dành cho cán bộ" in text.lower() or "dành cho" in text
    # An admin of the commune does not reach a course the province owns.
    async with db.transaction() as session:
        commune_hr = await make_official(
            session, world.units["sin_thau"], employee_code="DB000009", phone="+84912000009"
        )
        await admins.grant(session, commune_hr, world.units["sin_thau"], actor="test", now=NOW)
    from tests.courses_world import link

    async with db.transaction() as session:
        hr = await session.get(Official, commune_hr.id)
        assert hr is not None
        await link(session, hr, "3999", channel)
    world.chats["commune_hr"] = "3999"
    text = await world.person("commune_hr").tap(EVAL_SUMMARY.pack(id=course_id))
    assert "không còn hiệu lực" in text and "K-2026-09" not in text


# --- the summary ---------------------------------------------------------------------------


def _answers(points: list[list[int]], notes: list[str]) -> list[dict[str, object]]:
    found = []
    for row, note in zip(points, notes, strict=True):
        answers: dict[str, object] = dict(zip(SCALED, row, strict=True))
        if note:
            answers["improve"] = note
        found.append(answers)
    return found


async def test_the_summary_figures(db: Database) -> None:
    world, _course_id = await _world(db)
    course = await world.course("K-2026-09")
    answers = _answers(
        [[5, 4, 3, 4, 5], [4, 4, 3, 5, 5], [4, 5, 2, 4, 4], [5, 4, 3, 4, 5]],
        ["Thêm thực hành", "", "Ánh sáng phòng học kém", "bài giảng dài"],
    )
    summary = summarise(course, FORM, answers, participants=24)
    assert summary.responses == 4 and not summary.withheld
    means = {s.question.key: s.mean for s in summary.scales}
    # 4,5 · 4,25 → 4,3 (halves go up) · 2,75 → 2,8 · 4,25 → 4,3 · 4,75 → 4,8
    assert means == dict(
        zip(SCALED, map(Decimal, ["4.5", "4.3", "2.8", "4.3", "4.8"]), strict=True)
    )
    assert summary.scales[2].counts == {1: 0, 2: 1, 3: 3, 4: 0, 5: 0}
    comments = summary.comments[0]
    assert comments.count == 3
    # Alphabetical, not the order they came: nobody is told apart by when they answered.
    assert comments.answers == ("Ánh sáng phòng học kém", "bài giảng dài", "Thêm thực hành")
    assert mean_of([]) is None
    few = summarise(course, FORM, answers[:2], participants=24)
    assert few.withheld and all(s.mean is None for s in few.scales)
    assert [s.count for s in few.scales] == [2] * 5 and few.comments[0].answers == ()
    with use_locale("vi"):
        from handlers.evaluation_results import summary_text

        text = summary_text(summary)
        assert "4/24 học viên" in text and "Tài liệu: 2,8 (4 phiếu)" in text
        withheld = summary_text(few)
        assert "ẩn để bảo vệ tính ẩn danh" in withheld and "2,8" not in withheld
        assert "Tài liệu: 2 phiếu" in withheld


async def test_the_workbook_and_the_chart_hold_the_numbers(db: Database) -> None:
    from openpyxl import load_workbook

    world, _course_id = await _world(db)
    course = await world.course("K-2026-09")
    answers = _answers(
        [[5, 4, 3, 4, 5], [4, 4, 3, 5, 5], [4, 5, 2, 4, 4]], ["=cmd|' /C calc'!A0", "", "Tốt"]
    )
    summary = summarise(course, FORM, answers, participants=18)
    with use_locale("vi"):
        assert chart_bars(summary) == [
            (s.question.heading.localized(), s.mean) for s in summary.scales
        ]
        chart = evaluation_chart(summary)
        assert chart is not None and chart.startswith(b"\x89PNG")
        content = evaluation_workbook(summary, chart)
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        assert any(n.startswith("xl/media/") for n in z.namelist()), "chart embedded"
    wb = load_workbook(io.BytesIO(content))
    sheet = wb.worksheets[0]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[2][:2] == ["Tỷ lệ trả lời", "3/18 học viên"]
    header = next(i for i, r in enumerate(rows) if r[0] == "Câu hỏi")
    assert rows[header][:3] == ["Câu hỏi", "Số phiếu trả lời", "Điểm trung bình"]
    figures = {r[0].split(":")[0]: r[1:8] for r in rows[header + 1 : header + 6]}
    assert figures["Tài liệu"] == [3, 2.7, 0, 1, 2, 0, 0]
    assert figures["Giảng viên"][1] == 4.3
    assert sheet.cell(header + 2, 3).number_format == "0.0"
    written = wb.worksheets[1]
    texts = [r[1].value for r in written.iter_rows(min_row=2)]
    assert texts == ["=cmd|' /C calc'!A0", "Tốt"]
    assert written.cell(2, 2).data_type == "s"  # a typed "=…" stays text
    # Fewer than three: no chart, the note instead of means.
    few = summarise(course, FORM, answers[:1], participants=18)
    assert evaluation_chart(few) is None and chart_bars(few) == []


async def test_course_summary_reads_the_stored_answers(db: Database) -> None:
    world, course_id = await _world(db)
    async with db.transaction() as session:
        an = await session.get(Official, world.people["an"].id)
        assert an is not None
        await _answer_all(session, course_id, an, [5, 4, 4, 3, 5])
        course = await session.get(Course, course_id)
        assert course is not None
        summary = await course_summary(session, course)
    assert summary.responses == 1 and summary.participants == 1 and summary.withheld
    assert [s.count for s in summary.scales] == [1] * 5


# --- the invitation ------------------------------------------------------------------------


async def test_an_ended_course_invites_its_completed_officials_once(db: Database) -> None:
    world, course_id = await _world(db)
    settings = PlanningSettings(tz=Settings().timezone)
    async with db.transaction() as session:
        await plan_course_notices(session, now=NOW, settings=settings)
        await plan_course_notices(session, now=NOW + timedelta(hours=1), settings=settings)
        rows = (
            await session.scalars(select(Notice).where(Notice.kind == evaluation.EVALUATION_INVITE))
        ).all()
    assert [r.official_id for r in rows] == [world.people["an"].id]  # not Nhung, not Hà
    notice = rows[0]
    assert notice.text.startswith("Mời anh đánh giá khóa học K-2026-09")
    assert notice.choices == [["📝 Đánh giá khóa học", f"eval:{course_id}"]]
    assert EVALUATE.unpack(notice.choices[0][1]) is not None
    # Once answered, no new invitation for another course's closing either.
    async with db.transaction() as session:
        an = await session.get(Official, world.people["an"].id)
        assert an is not None
        await _answer_all(session, course_id, an, [5, 4, 4, 3, 5])
        assert (
            await evaluation.invite_to_evaluate(session, course_id, now=NOW, settings=settings) == 0
        )


# --- over the fake Telegram server ---------------------------------------------------------


def _seen(fake: Any, chat: int, words: str) -> bool:
    """In a message sent to the chat or in an edit (answers replace the question)."""
    return any(words in (m.text or "") for m in [*fake.sent_to(chat), *fake.edits])


@pytest.mark.parametrize("channel", ["telegram"])
async def test_evaluation_and_results_over_telegram(db: Database, channel: str, fake: Any) -> None:
    from bot.channels.telegram import build_application
    from tests.test_telegram_e2e import settings_for
    from tests.transcript import make_dispatcher

    world, course_id = await _world(db, channel)
    an_chat, ha_chat = int(world.chats["an"]), int(world.chats["ha"])
    app = build_application(settings_for(fake, db), make_dispatcher(db, world.clock))
    async with app:
        await app.post_init(app)  # type: ignore[misc]
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            fake.push_text(an_chat, "/cuatoi")
            mine = (await fake.wait_sent(an_chat, 1))[-1]
            fake.push_callback(an_chat, mine.message_id, mine.callback_data("Đánh giá K-2026-09"))
            await fake.wait_sent(an_chat, 2)
            for n, point in enumerate(["5", "4", "4", "3", "5"], start=2):
                fake.push_callback(
                    an_chat,
                    mine.message_id,
                    EVAL_SCALE.pack(id=course_id, q=SCALED[n - 2], v=point),
                )
                await fake.wait_for(lambda n=n: len(fake.answered_callbacks) >= n)
            await fake.wait_for(lambda: _seen(fake, an_chat, "câu 6/6"))
            fake.push_callback(an_chat, mine.message_id, EVAL_SKIP.pack(id=course_id, q="improve"))
            await fake.wait_for(lambda: _seen(fake, an_chat, "Cảm ơn anh"))

            # Two more participants answer (directly): three answers show means and a chart.
            async with db.transaction() as session:
                for who in ("nhung", "ha"):
                    official = await session.get(Official, world.people[who].id)
                    assert official is not None
                    reg = await session.scalar(
                        select(Registration).where(
                            Registration.course_id == course_id,
                            Registration.official_id == official.id,
                        )
                    )
                    if reg is None:
                        await _done(session, course_id, official, RegStatus.ATTENDED)
                    else:
                        reg.status = RegStatus.COMPLETED
                    await session.flush()
                    await _answer_all(session, course_id, official, [3, 4, 5, 4, 4])
            fake.push_text(ha_chat, "/quantri")
            menu = (await fake.wait_sent(ha_chat, 1))[-1]
            fake.push_callback(ha_chat, menu.message_id, EVAL_SUMMARY_ASK.pack())
            pick = (await fake.wait_sent(ha_chat, 2))[-1]
            assert "K-2026-09" in str(pick.reply_markup)
            fake.push_callback(ha_chat, pick.message_id, pick.callback_data("K-2026-09"))
            await fake.wait_for(lambda: any(m.document for m in fake.sent_to(ha_chat)), timeout=30)
            sent = fake.sent_to(ha_chat)
            texts = "\n".join(m.text or m.caption or "" for m in sent)
            assert "3/3 học viên" in texts and "Giảng viên: 4,0 (3 phiếu)" in texts
            assert "Nguyễn Văn An" not in texts  # anonymous
            assert any(m.photo for m in sent), "the chart as a picture"
        finally:
            await app.updater.stop()
            await app.stop()
    async with db.transaction() as session:
        row = await session.scalar(select(EvaluationResponse).order_by(EvaluationResponse.id))
        assert row is not None and [row.answers[k] for k in SCALED] == [5, 4, 4, 3, 5]
        assert "improve" not in row.answers


def test_the_questionnaire_file_says_what_it_rests_on() -> None:
    assert FORM.wording == "team"  # not the circulars' wording: they were not read
    refs = {b.ref: b.verification for b in FORM.basis}
    assert refs == {"Thông tư 10/2017/TT-BNV": "U", "Thông tư 07/2023/TT-BNV": "U"}
    assert len(FORM.scaled) == 5 and 1 <= len(FORM.free) <= 2
    assert all(q.text.en for q in FORM.questions)
