"""📝 The course evaluation questionnaire in the chat (issue #16.4).

Buttons carry a course id and a question key; who answers is always `ctx.official`, and
models/courses/evaluation.py accepts an answer only from someone who attended or completed
the course, only once, and only for the question asked now:
  eval:<course>                 start, or resume where the official stopped
  eval:a:<course>:<q>:<1..5>    a point of the scale
  eval:skip:<course>:<q>        skip an optional free-text question
A free-text question also waits for typed text (handlers/flows.py EVAL_TYPING).
"""

from __future__ import annotations

from handlers.common import addressed, command_choice, menu_reply, stale_reply
from handlers.context import Context
from handlers.flows import EVAL_TYPING, EVALUATING
from handlers.payloads import EVAL_SCALE, EVAL_SCALE_POINTS, EVAL_SKIP, EVALUATE, Values
from handlers.router import Router
from handlers.types import Choice, Reply
from locales import _
from models.courses import evaluation
from models.courses.evaluation import EvalOutcome, EvaluationStep, questionnaire

router = Router("evaluation")


@router.choice(EVALUATE, needs_link=True)
async def on_evaluate(ctx: Context, values: Values) -> list[Reply]:
    assert ctx.official is not None
    step = await evaluation.start_evaluation(
        ctx.session, course_id=values.number("id"), official=ctx.official, now=ctx.now
    )
    return _replies(ctx, step, replace=False)  # the list it came from stays


@router.choice(EVAL_SCALE, needs_link=True)
async def on_scale(ctx: Context, values: Values) -> list[Reply]:
    return await _answer(ctx, values.number("id"), values.text("q"), int(values.text("v")))


@router.choice(EVAL_SKIP, needs_link=True)
async def on_skip(ctx: Context, values: Values) -> list[Reply]:
    return await _answer(ctx, values.number("id"), values.text("q"), None)


@router.step(EVAL_TYPING)
async def on_typed(ctx: Context) -> list[Reply]:
    data = EVALUATING.data(ctx)
    course_id, key = data.get("course_id"), data.get("q")
    if not isinstance(course_id, int) or not isinstance(key, str):
        EVALUATING.end(ctx)
        return stale_reply(ctx)
    return await _answer(ctx, course_id, key, ctx.text)


async def _answer(ctx: Context, course_id: int, key: str, value: int | str | None) -> list[Reply]:
    assert ctx.official is not None
    EVALUATING.end(ctx)
    step = await evaluation.answer(
        ctx.session,
        course_id=course_id,
        official=ctx.official,
        question_key=key,
        value=value,
        now=ctx.now,
    )
    if step.outcome is EvalOutcome.QUESTION and step.question is None:
        step = await evaluation.submit(
            ctx.session, course_id=course_id, official=ctx.official, now=ctx.now
        )
    # A pressed answer replaces its question; typed text leaves the question on screen.
    return _replies(ctx, step, replace=ctx.incoming.choice is not None)


def _replies(ctx: Context, step: EvaluationStep, *, replace: bool) -> list[Reply]:
    official, course = ctx.official, step.course
    if step.outcome is EvalOutcome.NO_COURSE or course is None:
        return stale_reply(ctx)
    if step.outcome is EvalOutcome.NOT_ELIGIBLE:
        return [
            menu_reply(
                ctx,
                addressed(
                    _(
                        "Only participants who attended or completed course {code} can "
                        "evaluate it, and {title}'s record does not show that. Nothing was "
                        "changed. If this is a mistake, {title} please contact the organiser."
                    ),
                    official,
                    code=course.code,
                ),
            )
        ]
    if step.outcome is EvalOutcome.ALREADY_ANSWERED:
        return [
            Reply(
                addressed(
                    _(
                        "{Title} has already evaluated course {code}; an evaluation is sent "
                        "only once. Thank you. Nothing was changed."
                    ),
                    official,
                    code=course.code,
                ),
                choices=(_my_courses(),),
            )
        ]
    if step.outcome is EvalOutcome.SUBMITTED:
        return [
            Reply(
                addressed(
                    _(
                        "Thank you, {title}: the evaluation of course {code} is recorded. "
                        "The summary for the organiser names nobody. The certificate of "
                        "completion can now be downloaded: button “📜 Certificates” below "
                        "(/chungnhan)."
                    ),
                    official,
                    code=course.code,
                ),
                choices=(command_choice(_("📜 Certificates"), "chungnhan"), _my_courses()),
                replace=replace,
            )
        ]
    prefix = ""
    if step.outcome is EvalOutcome.WRONG_QUESTION:
        prefix = _("That button belongs to another question. Nothing was changed.") + "\n\n"
    elif step.outcome is EvalOutcome.INVALID:
        prefix = _("Please answer with one of the choices below.") + "\n\n"
    elif step.outcome is EvalOutcome.INCOMPLETE:
        prefix = _("A few questions are still open.") + "\n\n"
    # A refusal comes as a new message, so the question it refers to stays readable.
    return [_question(ctx, step, prefix, replace=replace and not prefix)]


def _question(ctx: Context, step: EvaluationStep, prefix: str, *, replace: bool) -> Reply:
    course, question = step.course, step.question
    assert course is not None and question is not None
    form = questionnaire()
    head = _("📝 Evaluation of course {code} · question {n}/{total}").format(
        code=course.code, n=step.number, total=step.total
    )
    body = f"{question.heading.localized()}: {evaluation.question_text(question, _gender(ctx))}"
    if question.kind == evaluation.SCALE:
        # Said in words, not only by the buttons: on Zalo the points are typed numbers.
        legend = addressed(
            _("Choose a number from {low} ({low_label}) to {high} ({high_label})."),
            ctx.official,
            low=form.low,
            low_label=form.labels[form.low].localized().lower(),
            high=form.high,
            high_label=form.labels[form.high].localized().lower(),
        )
        points = [str(p) for p in range(form.low, form.high + 1) if str(p) in EVAL_SCALE_POINTS]
        choices = tuple(
            Choice(p, EVAL_SCALE.pack(id=course.id, q=question.key, v=p)) for p in points
        )
        return Reply(
            f"{prefix}{head}\n{body}\n{legend}",
            choices=choices,
            columns=len(choices),
            replace=replace,
        )
    EVAL_TYPING.enter(ctx, course_id=course.id, q=question.key)
    hint = _("Type {title}'s answer in one message.")
    skip: tuple[Choice, ...] = ()
    if question.optional:
        skip = (Choice(_("⏭ Skip"), EVAL_SKIP.pack(id=course.id, q=question.key)),)
    return Reply(
        f"{prefix}{head}\n{body}\n{addressed(hint, ctx.official)}", choices=skip, replace=replace
    )


def _gender(ctx: Context) -> str | None:
    return ctx.official.gender if ctx.official is not None else None


def _my_courses() -> Choice:
    return command_choice(_("🗂 My courses"), "cuatoi")
