"""Answered course evaluations: one row per registration, written once when the official
submits the questionnaire (questions and their wording live in the questionnaire file, the
answers are kept by question key with the questionnaire's version).

The certificate of completion waits for this row (Thông tư 10/2017/TT-BNV makes evaluating
the quality of training a duty), so the check lives here, apart from the chat flow.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class EvaluationResponse(Base):
    __tablename__ = "evaluation_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("course_registrations.id"), unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    questionnaire: Mapped[str] = mapped_column(String(60))
    # {question key: 1..5 for a scaled question, text for a free one}; no names in it.
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)


async def has_answered(session: AsyncSession, registration_id: int) -> bool:
    found = await session.scalar(
        select(EvaluationResponse.id).where(EvaluationResponse.registration_id == registration_id)
    )
    return found is not None


class EvaluationDraft(Base):
    """A questionnaire begun and not yet sent: the answers so far, so the official resumes
    where they stopped on any chat, days later. Deleted when the response is written."""

    __tablename__ = "evaluation_drafts"

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("course_registrations.id"), primary_key=True
    )
    questionnaire: Mapped[str] = mapped_column(String(60))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
