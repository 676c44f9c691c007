"""Button payloads, declared once: a tag and typed fields, one `pack` and one `unpack`.

A button's value comes back from the chat platform and is untrusted: it may be forged,
truncated, or left over from an older release. `unpack` is the one place that rejects
such values (unknown tag, wrong number of fields, a non-integer where an integer belongs,
a value outside its declared set, more than Telegram's 64 bytes; no field holds a ':'
unless it is declared Unchecked).
Handlers only ever see values that fit their declaration; everything else gets the polite
"stale" answer.

The wire format is `tag:field:field…`, as before the declarations existed, so buttons
already sitting in people's chats keep working. Some values are built in `models/` (the
broadcast's "Register" button, the digest's "Remind" buttons, the broadcast progress'
"Stop"); their declarations here match what those modules write.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from locales.i18n import SUPPORTED_LOCALES

MAX_BYTES = 64  # Telegram's callback_data limit
MAX_INT_DIGITS = 9  # beyond this it is no id of ours (and would overflow an INTEGER column)


class Unchecked:
    """A last field taken verbatim (empty, colons and all), for a value a model checks and
    audits itself: models/notices/digest.nudge logs every forged "Remind" press."""


FieldType = type[int] | type[str] | type[Unchecked] | tuple[str, ...]  # tuple: allowed values


class Values(Mapping[str, int | str]):
    """The fields of an unpacked payload, read with the type they were declared with."""

    def __init__(self, fields: dict[str, int | str]) -> None:
        self._fields = fields

    def __getitem__(self, name: str) -> int | str:
        return self._fields[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def number(self, name: str) -> int:
        value = self._fields[name]
        if not isinstance(value, int):
            raise TypeError(f"payload field {name!r} is not declared as int")
        return value

    def text(self, name: str) -> str:
        value = self._fields[name]
        if not isinstance(value, str):
            raise TypeError(f"payload field {name!r} is not declared as text")
        return value


@dataclass(frozen=True, init=False)
class Payload:
    tag: str  # one or more literal parts, e.g. "crs" or "bc:aud"
    fields: tuple[tuple[str, FieldType], ...]

    def __init__(self, tag: str, **fields: FieldType) -> None:
        if not tag or any(not part for part in tag.split(":")):
            raise ValueError(f"bad payload tag {tag!r}")
        for index, (name, kind) in enumerate(fields.items()):
            if kind not in (int, str, Unchecked) and not (
                isinstance(kind, tuple) and kind and all(isinstance(v, str) for v in kind)
            ):
                raise ValueError(f"payload {tag}: field {name!r} has an unsupported type")
            if kind is Unchecked and index != len(fields) - 1:
                raise ValueError(f"payload {tag}: only the last field may be Unchecked")
        object.__setattr__(self, "tag", tag)
        object.__setattr__(self, "fields", tuple(fields.items()))

    @property
    def head(self) -> str:
        """The first part of the tag: what the router looks payloads up by."""
        return self.tag.split(":", 1)[0]

    @property
    def tag_parts(self) -> int:
        return self.tag.count(":") + 1

    def pack(self, **values: int | str) -> str:
        """The button value; raises ValueError for values that `unpack` would refuse."""
        if set(values) != {name for name, _kind in self.fields}:
            raise ValueError(f"payload {self.tag} needs exactly {[n for n, _k in self.fields]}")
        parts = [self.tag]
        for name, kind in self.fields:
            parts.append(_encode(self.tag, name, kind, values[name]))
        value = ":".join(parts)
        if len(value.encode()) > MAX_BYTES:
            raise ValueError(f"payload {value[:20]}… is over {MAX_BYTES} bytes")
        return value

    def unpack(self, value: str) -> Values | None:
        """The fields of `value`, or None when it is not a well-formed value of this payload."""
        if len(value.encode()) > MAX_BYTES:
            return None
        if not self.fields:
            # A payload without fields also accepts a trailing ':' ("find:", older buttons).
            return Values({}) if value in (self.tag, self.tag + ":") else None
        prefix = self.tag + ":"
        if not value.startswith(prefix):
            return None
        rest = value[len(prefix) :]
        if self.fields[-1][1] is Unchecked:
            raw = rest.split(":", len(self.fields) - 1)
        else:
            raw = rest.split(":")
        if len(raw) != len(self.fields):
            return None
        decoded: dict[str, int | str] = {}
        for (name, kind), text in zip(self.fields, raw, strict=True):
            field = _decode(kind, text)
            if field is None:
                return None
            decoded[name] = field
        return Values(decoded)


def _encode(tag: str, name: str, kind: FieldType, value: int | str) -> str:
    if kind is int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"payload {tag}: {name!r} must be a non-negative int")
        text = str(value)
    elif kind is Unchecked:
        if not isinstance(value, str):
            raise ValueError(f"payload {tag}: {name!r} must be text")
        text = value
    elif kind is str:
        if not isinstance(value, str) or not value or ":" in value:
            raise ValueError(f"payload {tag}: {name!r} must be non-empty text without ':'")
        text = value
    else:
        assert isinstance(kind, tuple)
        if value not in kind:
            raise ValueError(f"payload {tag}: {name!r} must be one of {kind}")
        text = str(value)
    if _decode(kind, text) is None:
        raise ValueError(f"payload {tag}: {name!r}={text!r} would not unpack")
    return text


def _decode(kind: FieldType, text: str) -> int | str | None:
    if kind is int:
        if not (text.isascii() and text.isdigit() and len(text) <= MAX_INT_DIGITS):
            return None
        return int(text)
    if kind is Unchecked:
        return text
    if kind is str:
        return text or None
    assert isinstance(kind, tuple)
    return text if text in kind else None


YES_NO = ("yes", "no")

# --- the declarations --------------------------------------------------------------------
# Menu buttons name a command and behave exactly like typing it (handlers/routing.py).
MENU_COMMAND = Payload("cmd", name=str)

LINK_CODE = Payload("link:code")
UNLINK = Payload("unlink", answer=YES_NO)
LANGUAGE = Payload("lang", code=SUPPORTED_LOCALES)

WHY = Payload("why", rule=str)

# Courses; a filter is all | fit | k.<kind> | q.<word+word>.
COURSE_PAGE = Payload("page", filter=str, page=int)
COURSE_KINDS = Payload("kinds")
COURSE_SEARCH = Payload("find")
COURSE_CARD = Payload("crs", id=int)
REGISTER = Payload("reg", id=int)
# The nonce binds a confirm to the one card the user was shown (handlers/my_courses.py).
REGISTER_CONFIRMED = Payload("reg", id=int, confirm=("y",), nonce=str)
UNREGISTER = Payload("unreg", id=int)
UNREGISTER_CONFIRMED = Payload("unreg", id=int, confirm=("y",))
# On the "a seat became free" notice (written by models/notices/planning.py as "ics:<id>").
COURSE_CALENDAR = Payload("ics", id=int)

REMINDER_SWITCH = Payload("rem", switch=("on", "off"), kind=str)
REMINDER_LEAD_MENU = Payload("rem:lead")
REMINDER_LEAD_DAY = Payload("rem:lead", days=int)
REMINDER_CHANNEL = Payload("rem:ch", channel=str)

# A staff member's id, or "all": models/notices/digest.py builds, checks and audits it.
NUDGE = Payload("nudge", who=Unchecked)

ADMIN_IMPORT = Payload("adm:import")
ADMIN_GRANT = Payload("adm:grant")
ADMIN_KIT = Payload("adm:kit")
ADMIN_UNLINKED = Payload("adm:unlinked")
ADMIN_REISSUE = Payload("adm:reissue")
REISSUE_PICK = Payload("reissue", id=int)  # an official's id, checked against the scope
REISSUE_CANCEL = Payload("reissue:cancel")
TEMPLATE_ASK = Payload("tpl:ask")
TEMPLATE_KIND = Payload("tpl", kind=str)
GRANT = Payload("grant", answer=YES_NO)
REPORT_YEAR = Payload("rpt", year=int)
EXPORT_ASK = Payload("regx:ask")
# The "chưa liên lạc được" list as .xlsx (handlers/unreached.py)
UNREACHED_LIST = Payload("adm:unreached")
EXPORT_CANCEL = Payload("regx:cancel")
EXPORT_COURSE = Payload("regx", id=int)
UPLOAD_KIND = Payload("upl", id=int, kind=str)  # kind "cancel" drops the upload
UPLOAD_APPLY = Payload("upl", id=int, kind=str, rows=("all", "good"))

BROADCAST_AUDIENCE = Payload("bc:aud", kind=str)
BROADCAST_VALUE = Payload("bc:val", value=str)
BROADCAST_COURSE = Payload("bc:course", id=int)
BROADCAST_NO_COURSE = Payload("bc:course:none")
BROADCAST_URGENT = Payload("bc:urgent")
BROADCAST_SEND = Payload("bc:send")
BROADCAST_CANCEL = Payload("bc:cancel")
BROADCAST_STOP = Payload("bc:stop", id=int)  # also built by bot/broadcast_progress.py
# On the final report (bot/broadcast_progress.py): send again to those it missed, their list.
BROADCAST_RESEND = Payload("bc:resend", id=int)
BROADCAST_MISSED = Payload("bc:missed", id=int)

# --- nominations (#16.2) ---
ADMIN_NOMINATE = Payload("adm:nominate")
NOMINATE_COURSE = Payload("nom:crs", id=int)
NOMINATE_PICK = Payload("nom:pick", course=int, official=int)  # both re-checked on use
NOMINATE_CONFIRM = Payload("nom:ok", course=int, official=int)
NOMINATE_CANCEL = Payload("nom:cancel")
# On the official's notice: models/courses/nominations.answer_buttons writes these values.
NOMINATION_ACCEPT = Payload("nom:yes", id=int)
NOMINATION_DECLINE = Payload("nom:no", id=int)
NOMINATION_REASON = Payload("nom:why", id=int, reason=("busy", "ill", "done", "other"))
# --- year-end report (#16.6) ---
YEAR_REPORT_MENU = Payload("yr:menu")  # on /baocao: "Báo cáo năm", then the year chooser
YEAR_REPORT = Payload("yr", year=int)  # checked against today and the admin's scope
# --- attendance (#16.3): handlers/attendance.py; a day is yyyymmdd ---
ATTENDANCE_MENU = Payload("att:menu")
ATTENDANCE_CODE = Payload("att:code", id=int)  # the organiser's code screen; "🔄 Mã mới"
ATTENDANCE_ROSTER = Payload("att:roster", id=int)
ATTENDANCE_CLOSE = Payload("att:close", id=int)
ATTENDANCE_CLOSE_CONFIRMED = Payload("att:close", id=int, confirm=("y",))
CHECK_IN_ASK = Payload("ci:ask")
EXCUSE_ASK = Payload("exc", id=int)
EXCUSE_DAY = Payload("exc", id=int, day=int)
EXCUSE_REASON = Payload("exc", id=int, day=int, reason=("sick", "work", "family", "other"))
# --- self-reported certificates (#16.8) ---
SELF_REPORT_START = Payload("sr:start")
SELF_REPORT_CANCEL = Payload("sr:cancel")
SELF_REPORT_KIND = Payload("sr:kind", id=int, kind=str)  # the draft's id and a catalogue kind
SELF_REPORT_NO_PERIODS = Payload("sr:noper", id=int)
# HR's queue; "after" is only where to continue, every id is re-checked against the scope.
REVIEW_OPEN = Payload("srq:open")
REVIEW_NEXT = Payload("srq:next", after=int)
REVIEW_VERIFY = Payload("srq:ok", id=int)
REVIEW_REJECT = Payload("srq:no", id=int)
REVIEW_REASON = Payload(
    "srq:why",
    id=int,
    reason=("unreadable", "not_certificate", "mismatch", "not_recognised", "other"),
)
# --- certificates (#16.5) ---
CERT_PDF = Payload("cert:pdf", id=int)  # a certificate id, checked against ctx.official
CERT_REVOKE_CANCEL = Payload("cert:revoke:cancel")
CERT_REVOKE_PICK = Payload("cert:revoke", id=int)  # from a course's list; re-checked
# --- the year's plan (#16.1): ids are looked up again and checked against the scope ---
PLAN_MENU = Payload("yplan")  # the year chooser, as /kehoach
PLAN_YEAR = Payload("yplan:year", year=int)  # the workbook and the year's courses
PLAN_COURSE = Payload("yplan:crs", id=int)
PLAN_ALLOCATE = Payload("yplan:alloc", id=int)  # "Phân bổ chỉ tiêu": choose a unit
PLAN_UNIT = Payload("yplan:unit", id=int, unit=int)  # then type the seats
PLAN_CANCEL = Payload("yplan:cancel")
# --- course evaluation (#16.4) ---
# Start or resume the questionnaire of a course; also on the invitation notice, written by
# models/courses/evaluation.py as "eval:<course id>".
EVALUATE = Payload("eval", id=int)
EVAL_SCALE_POINTS = ("1", "2", "3", "4", "5")
# One point of the scale for one question: models/courses/evaluation.answer accepts it only
# for the question asked now, so an old message's button changes nothing.
EVAL_SCALE = Payload("eval:a", id=int, q=str, v=EVAL_SCALE_POINTS)
EVAL_SKIP = Payload("eval:skip", id=int, q=str)  # an optional free-text question
EVAL_SUMMARY_ASK = Payload("evs:ask")  # /quantri → which course's results
EVAL_SUMMARY = Payload("evs", id=int)  # a course's results, checked against the scope
