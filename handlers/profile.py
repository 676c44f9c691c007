"""/hoso: my own record, shown only to the linked official."""

from __future__ import annotations

from handlers.common import addressed, chat_catalogue, menu_reply
from handlers.context import Context
from handlers.router import Router
from handlers.types import Reply
from locales import _, format_date, ngettext
from models.org import units as org_units
from models.requirements.model import Catalogue
from models.requirements.training_records import Record, records_of
from models.vocabulary import (
    CATEGORIES,
    EDUCATION_LEVELS,
    LEADERSHIP_TIERS,
    LEVELS,
    POLITICAL_THEORY_LEVELS,
)

router = Router("profile")
router.describe("hoso", "My profile", 50)
router.menu_item("👤 My profile", "hoso", 50)

_SHOWN_RECORDS = 10


def _label(vocab: dict[str, str], code: str | None) -> str | None:
    if code is None:
        return None
    return _(vocab[code]) if code in vocab else code


def mask_phone(phone: str | None) -> str | None:
    """Show enough to recognise the number without printing it whole in a chat."""
    if not phone or len(phone) < 7:
        return phone
    return phone[:5] + "•" * (len(phone) - 8) + phone[-3:]


@router.command("hoso", "profile", needs_link=True)
@router.intent(
    "hồ sơ", "ho so cua toi", "thông tin cá nhân", "tôi là ai", "profile", needs_link=True
)
async def on_profile(ctx: Context) -> list[Reply]:
    official = ctx.official
    assert official is not None
    lines = [
        addressed(_("👤 Your profile"), official),
        _("Full name: {value}").format(value=official.full_name),
        _("Employee code: {value}").format(value=official.employee_code),
    ]
    if official.birth_date:
        # The platforms' servers see every reply: the year is enough to recognise the record.
        lines.append(_("Year of birth: {value}").format(value=str(official.birth_date.year)))
    if official.post_title:
        lines.append(_("Post: {value}").format(value=official.post_title))
    if official.leadership_tier:
        lines.append(
            _("Leadership post: {value}").format(
                value=_label(LEADERSHIP_TIERS, official.leadership_tier)
            )
        )
    unit = await org_units.unit_label(ctx.session, official.unit, parts=3)
    lines.append(_("Unit: {value}").format(value=unit))
    lines.append(_("Level: {value}").format(value=_label(LEVELS, official.level)))
    lines.append(_("Category: {value}").format(value=_label(CATEGORIES, official.category)))
    if official.rank_code:
        lines.append(_("Rank code: {value}").format(value=official.rank_code))
    if official.education_level:
        lines.append(
            _("Education: {value}").format(value=_label(EDUCATION_LEVELS, official.education_level))
        )
    if official.political_theory_level:
        lines.append(
            _("Political theory: {value}").format(
                value=_label(POLITICAL_THEORY_LEVELS, official.political_theory_level)
            )
        )
    if official.languages:
        lines.append(
            _("Ethnic-minority languages: {value}").format(value=", ".join(official.languages))
        )
    if official.phone:
        lines.append(_("Phone: {value}").format(value=mask_phone(official.phone)))
    lines.append("")
    lines.extend(await completed_training_lines(ctx))
    lines.append("")
    lines.append(_("If anything is wrong, please ask your HR office to correct the roster."))
    return [menu_reply(ctx, "\n".join(lines))]


# --- /hoso: completed training -----------------------------------------------------------


async def completed_training_lines(ctx: Context) -> list[str]:
    """The /hoso section listing the official's completed training, newest first."""
    assert ctx.official is not None
    catalogue = await chat_catalogue(ctx)
    records = await records_of(ctx.session, ctx.official.id)
    if not records:
        return [_("🎓 No completed training is recorded yet.")]
    lines = [_("🎓 Completed training:")]
    for record in records[:_SHOWN_RECORDS]:
        lines.append("• " + _record_text(catalogue, record))
    hidden = len(records) - _SHOWN_RECORDS
    if hidden > 0:
        lines.append(ngettext("… and {n} more", "… and {n} more", hidden).format(n=hidden))
    return lines


def _record_text(catalogue: Catalogue, record: Record) -> str:
    text = f"{format_date(record.completed_on)} — {catalogue.kind_title(record.kind)}"
    if record.title:
        text += f": {record.title}"
    details = []
    if record.periods:
        details.append(
            ngettext("{n} period", "{n} periods", record.periods).format(n=record.periods)
        )
    if record.certificate_no:
        details.append(_("certificate {number}").format(number=record.certificate_no))
    if details:
        text += " (" + ", ".join(details) + ")"
    return text
