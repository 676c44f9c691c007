"""One-time link codes that HR hands to an official.

Only a keyed hash is stored (the pepper, LINK_CODE_SECRET, is not in the database); a code
is single use (a conditional UPDATE claims it, so two phones racing with the same code
cannot both win) and expires. Wrong guesses are throttled per chat account and, because an
attacker can open any number of accounts, per channel too: every failure is audited, and
once a channel's failures in a sliding window reach the budget, no code is tried on that
channel until the window has moved on, and the operators and province admins are told.
Officials with admin roles get longer codes: theirs is the record worth guessing.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, ForeignKey, String, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from locales import _, format_datetime, format_number
from models import audit
from models.audit import AuditEntry
from models.base import Base
from models.chat.accounts import ChatAccount, link
from models.notices import outbox
from models.org.admins import has_admin_role, province_admin_ids
from models.org.officials import Official
from models.vocabulary import N_

log = logging.getLogger(__name__)
UTC_ZONE = ZoneInfo("UTC")

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I/O/0/1: they are misread on paper
CODE_LENGTH = 8
# 32^12 = 1.2e18 codes: for an admin's record even a spent budget of guesses over a code's
# whole life has a chance far below one in a million.
ADMIN_CODE_LENGTH = 12
DEFAULT_TTL = timedelta(days=14)
MAX_FAILED_ATTEMPTS = 5
BLOCK_FOR = timedelta(minutes=15)

FAILED_ACTION = "link_code.failed"
ALERT_ACTION = "link_code.budget_alert"
ALERT_KIND = "security_alert"
MSG_BUDGET_ALERT = N_(
    "Security alert: {count} wrong link codes were entered on {channel} in the last {minutes}"
    " minutes. Link codes on {channel} are paused until {time}. If this was not expected,"
    " please contact the system operators."
)


@dataclass(frozen=True)
class FailureBudget:
    """Wrong codes allowed on one channel, across all its accounts, in a sliding window
    (LINK_CODE_CHANNEL_FAILURES, LINK_CODE_CHANNEL_WINDOW_MINUTES)."""

    limit: int = 50
    window: timedelta = timedelta(hours=1)
    tz: ZoneInfo = UTC_ZONE  # for the time shown in the admins' alert


class LinkCode(Base):
    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("chat_accounts.id"))
    revoked_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(120))


class Outcome(enum.Enum):
    LINKED = "linked"
    WRONG = "wrong"
    EXPIRED = "expired"
    USED = "used"
    BLOCKED = "blocked"
    CHANNEL_PAUSED = "channel_paused"  # the channel's failure budget is spent
    INACTIVE = "inactive"


@dataclass(frozen=True)
class Redemption:
    outcome: Outcome
    official: Official | None = None
    blocked_until: datetime | None = None


def _hash(code: str, pepper: bytes) -> str:
    # An optional server-side pepper (LINK_CODE_SECRET) means a leaked database alone does
    # not reveal codes.
    return hmac.new(pepper, code.encode(), hashlib.sha256).hexdigest()


def normalize_code(text: str) -> str | None:
    """ "abcd 2345", "ABCD-2345", " abcd2345 " → "ABCD2345"; anything else → None."""
    compact = "".join(ch for ch in text.upper() if ch not in " -_.\u00a0\t")
    if len(compact) not in (CODE_LENGTH, ADMIN_CODE_LENGTH):
        return None
    if any(ch not in ALPHABET for ch in compact):
        return None
    return compact


def display_code(code: str) -> str:
    """Groups of four: "ABCD-2345", "ABCD-2345-WXYZ"."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


async def issue(
    session: AsyncSession,
    official: Official,
    *,
    now: datetime,
    created_by: str,
    pepper: bytes,
    ttl: timedelta = DEFAULT_TTL,
) -> str:
    """A fresh code for the official; earlier unused codes stop working. `pepper` is the
    configured secret (Settings.link_codes); redeem must be given the same one."""
    await session.execute(
        update(LinkCode)
        .where(
            LinkCode.official_id == official.id,
            LinkCode.used_at.is_(None),
            LinkCode.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    length = ADMIN_CODE_LENGTH if await has_admin_role(session, official.id) else CODE_LENGTH
    code = "".join(secrets.choice(ALPHABET) for _ in range(length))
    session.add(
        LinkCode(
            official_id=official.id,
            code_hash=_hash(code, pepper),
            created_at=now,
            expires_at=now + ttl,
            created_by=created_by,
        )
    )
    audit.record(
        session,
        actor=created_by,
        action="link_code.issue",
        subject=official.employee_code,
        affected=1,
        detail={"length": length},
        at=now,
    )
    await session.flush()
    return code


def _fail(account: ChatAccount, now: datetime) -> datetime | None:
    account.failed_link_attempts += 1
    if account.failed_link_attempts >= MAX_FAILED_ATTEMPTS:
        account.failed_link_attempts = 0
        account.link_blocked_until = now + BLOCK_FOR
        return account.link_blocked_until
    return None


def is_blocked(account: ChatAccount, now: datetime) -> bool:
    return account.link_blocked_until is not None and account.link_blocked_until > now


async def _channel_failures(
    session: AsyncSession, channel: str, since: datetime
) -> tuple[int, datetime | None]:
    """How many codes failed on `channel` since `since`, and the earliest of them."""
    row = (
        await session.execute(
            select(func.count(), func.min(AuditEntry.at)).where(
                AuditEntry.action == FAILED_ACTION,
                AuditEntry.subject == channel,
                AuditEntry.at > since,
            )
        )
    ).one()
    return int(row[0] or 0), row[1]


async def channel_paused_until(
    session: AsyncSession, channel: str, *, now: datetime, budget: FailureBudget
) -> datetime | None:
    """When codes may be tried on `channel` again, or None if its budget is not spent."""
    count, earliest = await _channel_failures(session, channel, now - budget.window)
    if count < budget.limit or earliest is None:
        return None
    return _aware(earliest, now) + budget.window


def _aware(moment: datetime, like: datetime) -> datetime:
    # SQLite hands back naive datetimes (stored as UTC).
    return moment.replace(tzinfo=like.tzinfo) if moment.tzinfo is None else moment


async def _record_failure(
    session: AsyncSession,
    account: ChatAccount,
    outcome: Outcome,
    *,
    now: datetime,
    budget: FailureBudget,
) -> None:
    """Audit the failure (never the code typed) and alert once per window when the
    channel's budget is reached."""
    audit.record(
        session,
        actor=f"{account.channel}:{account.external_user_id}",
        actor_official_id=account.official_id,
        action=FAILED_ACTION,
        subject=account.channel,
        affected=0,
        detail={"account_id": account.id, "outcome": outcome.value},
        at=now,
    )
    await session.flush()
    since = now - budget.window
    count, earliest = await _channel_failures(session, account.channel, since)
    if count < budget.limit:
        return
    alerted = await session.scalar(
        select(func.count()).where(
            AuditEntry.action == ALERT_ACTION,
            AuditEntry.subject == account.channel,
            AuditEntry.at > since,
        )
    )
    if alerted:
        return
    until = _aware(earliest or now, now) + budget.window
    await _alert(session, account.channel, count, until=until, now=now, budget=budget)


async def _alert(
    session: AsyncSession,
    channel: str,
    count: int,
    *,
    until: datetime,
    now: datetime,
    budget: FailureBudget,
) -> None:
    minutes = int(budget.window.total_seconds() // 60)
    # For the operators: counts and the channel only, never a code or a user's identifier.
    log.warning(
        "link codes: %d failures on %s in %d minutes; codes paused on %s until %s",
        count,
        channel,
        minutes,
        channel,
        until.isoformat(timespec="minutes"),
    )
    audit.record(
        session,
        actor="system",
        action=ALERT_ACTION,
        subject=channel,
        affected=count,
        detail={"failures": count, "window_minutes": minutes, "paused_until": until.isoformat()},
        at=now,
    )

    def render(_official: Official) -> str:
        return _(MSG_BUDGET_ALERT).format(
            count=format_number(count),
            channel=channel.capitalize(),
            minutes=format_number(minutes),
            time=format_datetime(until, budget.tz),
        )

    for official_id in await province_admin_ids(session):
        await outbox.enqueue(
            session,
            official_id=official_id,
            kind=ALERT_KIND,
            subject=f"link_codes:{channel}",
            due_at=now,
            render=render,
            urgent=True,
        )


async def redeem(
    session: AsyncSession,
    account: ChatAccount,
    code: str,
    *,
    now: datetime,
    pepper: bytes,
    budget: FailureBudget | None = None,
) -> Redemption:
    """Link the account to the code's official if the code is valid; count and audit
    failures, per account and per channel."""
    budget = budget or FailureBudget()
    if is_blocked(account, now):
        return Redemption(Outcome.BLOCKED, blocked_until=account.link_blocked_until)
    paused = await channel_paused_until(session, account.channel, now=now, budget=budget)
    if paused is not None:
        return Redemption(Outcome.CHANNEL_PAUSED, blocked_until=paused)
    row = await session.scalar(select(LinkCode).where(LinkCode.code_hash == _hash(code, pepper)))
    failure: Outcome | None = None
    blocked: datetime | None = None
    if row is None or row.revoked_at is not None:
        blocked = _fail(account, now)
        failure = Outcome.BLOCKED if blocked else Outcome.WRONG
    elif row.used_at is not None:
        _fail(account, now)
        failure = Outcome.USED
    elif row.expires_at <= now:
        _fail(account, now)
        failure = Outcome.EXPIRED
    if failure is not None:
        await _record_failure(session, account, failure, now=now, budget=budget)
        return Redemption(failure, blocked_until=blocked)
    assert row is not None
    # An UPDATE's result is a CursorResult, which has the rowcount.
    claimed = cast(
        CursorResult[Any],
        await session.execute(
            update(LinkCode)
            .where(LinkCode.id == row.id, LinkCode.used_at.is_(None))
            .values(used_at=now, used_by_account_id=account.id)
        ),
    )
    if claimed.rowcount != 1:
        return Redemption(Outcome.USED)
    official = await session.get(Official, row.official_id)
    if official is None or not official.active:
        return Redemption(Outcome.INACTIVE)
    await link(session, account, official, method="code", now=now)
    return Redemption(Outcome.LINKED, official=official)
