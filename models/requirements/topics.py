"""How far one official is with a "k of n topics" rule: the domain's answer to "which
topics have I done, and which compulsory ones are missing", for /yeucau and for callers
that are not a chat (the year's end-to-end journey, reports)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from models.org.officials import Official
from models.requirements.evaluation import (
    Status,
    TopicsProgress,
    evaluate_rule,
    group_by_kind,
    profile_of,
    topics_progress,
)
from models.requirements.model import TopicsItem
from models.requirements.store import current_catalogue
from models.requirements.training_records import records_of


async def topics_status_of(
    session: AsyncSession, official: Official, rule_id: str, today: date
) -> TopicsProgress | None:
    """The official's progress on the rule's topics item on `today` (its window: this
    year for a yearly rule); None when the rule is unknown, has no topics item or does not
    apply to the official. `official.unit` must be loaded."""
    catalogue = await current_catalogue(session)
    rule = catalogue.rules_by_id.get(rule_id)
    item = next((i for i in rule.items if isinstance(i, TopicsItem)), None) if rule else None
    if rule is None or item is None:
        return None
    records = group_by_kind(r.completion() for r in await records_of(session, official.id))
    status = evaluate_rule(rule, profile_of(official), records, today)
    if status.status is Status.NOT_APPLICABLE:
        return None
    return topics_progress(item, records, status.period_start, today)
