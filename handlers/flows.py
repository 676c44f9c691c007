"""Dialog flows declared with their steps, so a mistyped step fails at import, not in a chat.

The dialog row (models/chat/dialogs.py) stores the flow and step as plain names; these
declarations are the only way handlers read or move them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.context import Context


@dataclass(frozen=True)
class Step:
    flow: Flow
    name: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.flow.name, self.name)

    @property
    def takes_free_text(self) -> bool:
        return self.name in self.flow.free_text

    def enter(self, ctx: Context, **data: Any) -> None:
        """Move the dialog here; data is merged with the flow's while it stays in the flow.

        A free-text step forgets the choices offered before it: otherwise a typed "1" (a
        unit code, an announcement) would pick the first button of an earlier question.
        Choices its own replies offer are remembered again after the update."""
        ctx.dialog.go(self.flow.name, self.name, **data)
        if self.takes_free_text:
            ctx.dialog.choices = []

    def is_current(self, ctx: Context) -> bool:
        return ctx.dialog.flow == self.flow.name and ctx.dialog.step == self.name

    @property
    def takes_number(self) -> bool:
        return self.name in self.flow.numbers


@dataclass(frozen=True)
class Flow:
    name: str
    steps: tuple[str, ...]
    free_text: tuple[str, ...] = ()  # the steps that read what the user types
    # Free-text steps whose answer is a number: a typed number is the answer ("1" seat,
    # "1" period), never the position of one of the step's buttons, which Zalo and the
    # console number 1, 2… (handlers/routing.py). Pressing a button, or typing its label,
    # still chooses it.
    numbers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.name or not self.steps or len(set(self.steps)) != len(self.steps):
            raise ValueError(f"flow {self.name!r}: needs a name and distinct steps")
        if not set(self.free_text) <= set(self.steps):
            raise ValueError(f"flow {self.name!r}: free-text steps must be among its steps")
        if not set(self.numbers) <= set(self.free_text):
            raise ValueError(f"flow {self.name!r}: number steps must be free-text steps")

    def step(self, name: str) -> Step:
        if name not in self.steps:
            raise ValueError(f"flow {self.name!r} has no step {name!r} (steps: {self.steps})")
        return Step(self, name)

    def is_active(self, ctx: Context) -> bool:
        return ctx.dialog.flow == self.name

    def data(self, ctx: Context) -> dict[str, Any]:
        """The flow's saved data, or nothing when the dialog is elsewhere."""
        return dict(ctx.dialog.data or {}) if self.is_active(ctx) else {}

    def end(self, ctx: Context) -> None:
        """Leave the dialog, but only if it is this flow's (another flow is left alone)."""
        if self.is_active(ctx):
            ctx.dialog.end()


# An admin pressed "Import a file": only then is an uploaded document downloaded at all
# (bot.dispatch.Dispatcher.expects_file, issue #11 point 4).
IMPORT_UPLOAD = Flow("admin_import", steps=("file",))
AWAITING_FILE = IMPORT_UPLOAD.step("file")

# --- nominations (#16.2) ---
# HR types part of a name; the course is kept in the dialog's data.
NOMINATING = Flow("nominate", steps=("search",), free_text=("search",))
NOMINATE_SEARCH = NOMINATING.step("search")
# The nominee chose "Khác" and types the reason; the registration id is in the data.
DECLINING = Flow("nomination_decline", steps=("reason",), free_text=("reason",))
DECLINE_REASON = DECLINING.step("reason")
# --- attendance (#16.3) ---
# "🧾 Điểm danh" in "Khóa học của tôi": the next text is the session's code.
CHECKING_IN = Flow("check_in", steps=("code",), free_text=("code",))
AWAITING_CHECK_IN_CODE = CHECKING_IN.step("code")
# "Vắng có lý do" → "Lý do khác": the next text is the reason.
EXCUSING = Flow("excuse", steps=("note",), free_text=("note",))
AWAITING_EXCUSE_NOTE = EXCUSING.step("note")
# --- self-reported certificates (#16.8) ---
# An official pressed "Send an external certificate": only then is their photo or PDF
# downloaded (bot.dispatch.Dispatcher.expects_file), and routed to this step, not to imports.
SELF_REPORT = Flow(
    "self_report",
    steps=("file", "kind", "title", "date", "periods"),
    free_text=("title", "date", "periods"),
    numbers=("periods",),
)
CERTIFICATE_FILE = SELF_REPORT.step("file")
# --- the year's plan (#16.1): the seats for one unit on one course, typed ---
PLAN_QUOTA = Flow("plan_quota", steps=("seats",), free_text=("seats",), numbers=("seats",))
TYPE_SEATS = PLAN_QUOTA.step("seats")
# --- course evaluation (#16.4) ---
# A free-text question of the questionnaire is on screen; data: course_id, q (its key).
# Only the typing lives here: the answers so far are in evaluation_drafts, so a chat that
# left the flow resumes from the "📝" button where it stopped.
EVALUATING = Flow("evaluation", steps=("text",), free_text=("text",))
EVAL_TYPING = EVALUATING.step("text")
