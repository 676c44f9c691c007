"""One-time link codes that HR hands to an official.

Only a hash is stored; a code is single use (a conditional UPDATE claims it, so two phones
racing with the same code cannot both win), expires, and wrong guesses are throttled per
chat account.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, ForeignKey, String, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models import audit
from models.base import Base
from models.chat.accounts import ChatAccount, link
from models.org.officials import Official

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I/O/0/1: they are misread on paper
CODE_LENGTH = 8
DEFAULT_TTL = timedelta(days=14)
MAX_FAILED_ATTEMPTS = 5
BLOCK_FOR = timedelta(minutes=15)


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
    if len(compact) != CODE_LENGTH or any(ch not in ALPHABET for ch in compact):
        return None
    return compact


def display_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


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
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
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


async def redeem(
    session: AsyncSession, account: ChatAccount, code: str, *, now: datetime, pepper: bytes
) -> Redemption:
    """Link the account to the code's official if the code is valid; count failures."""
    if is_blocked(account, now):
        return Redemption(Outcome.BLOCKED, blocked_until=account.link_blocked_until)
    row = await session.scalar(select(LinkCode).where(LinkCode.code_hash == _hash(code, pepper)))
    if row is None or row.revoked_at is not None:
        blocked = _fail(account, now)
        return Redemption(Outcome.BLOCKED if blocked else Outcome.WRONG, blocked_until=blocked)
    if row.used_at is not None:
        _fail(account, now)
        return Redemption(Outcome.USED)
    if row.expires_at <= now:
        _fail(account, now)
        return Redemption(Outcome.EXPIRED)
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
