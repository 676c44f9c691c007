"""`troly national`: national compliance figures from every province's own database.

Each province keeps its own database (docs/deployment.md); the national operator reads
them one after another, read-only, and adds up each rule's counts. Nothing is copied:
the figures are computed where the data lives, by the same code the provinces run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import pool
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from bot.config import ConfigError, database_url
from bot.db import SCHEMA_HEAD
from locales import _, format_number
from models.requirements.compliance import ComplianceReport, compliance


@dataclass
class RuleTotal:
    title: str
    applicable: int = 0
    met: int = 0
    unknown: int = 0

    @property
    def share(self) -> float | None:
        known = self.applicable - self.unknown
        return self.met / known if known else None


@dataclass
class NationalFigures:
    year: int
    provinces: list[tuple[str, int]] = field(default_factory=list)  # (name, officials)
    rules: dict[str, RuleTotal] = field(default_factory=dict)

    def add(self, name: str, report: ComplianceReport) -> None:
        self.provinces.append((name, report.officials))
        for rule in report.rules:
            total = self.rules.setdefault(rule.rule.id, RuleTotal(rule.rule.title.localized()))
            total.applicable += rule.applicable
            total.met += rule.met
            total.unknown += rule.unknown


def parse_sources(items: Sequence[str], from_file: Path | None) -> list[tuple[str, str]]:
    """NAME=DATABASE_URL pairs from the arguments and the file (one a line, # comments)."""
    lines = list(items)
    if from_file is not None:
        lines += [
            line.strip()
            for line in from_file.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.strip().startswith("#")
        ]
    sources = []
    for line in lines:
        name, eq, url = line.partition("=")
        if not eq or not name.strip() or not url.strip():
            raise ConfigError(f"expected NAME=DATABASE_URL, got {line.split('=')[0]!r}…")
        sources.append((name.strip(), database_url(url.strip())))
    return sources


def read_only_engine(url: str) -> AsyncEngine:
    """An engine that cannot write: PostgreSQL's default_transaction_read_only, SQLite's
    read-only open mode. One connection, closed after use."""
    if url.startswith("sqlite"):
        path = make_url(url).database or ""
        return create_async_engine(
            f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true", poolclass=pool.NullPool
        )
    return create_async_engine(
        url,
        poolclass=pool.NullPool,
        connect_args={"server_settings": {"default_transaction_read_only": "on"}},
    )


async def province_report(url: str, *, year: int, today: date) -> ComplianceReport:
    engine = read_only_engine(url)
    try:
        async with engine.connect() as conn:
            from sqlalchemy import text

            revision = (
                await conn.execute(text("SELECT version_num FROM alembic_version"))
            ).scalar()
            if revision != SCHEMA_HEAD:
                raise ConfigError(
                    f"the database is at schema {revision}, this release reads {SCHEMA_HEAD}: "
                    "upgrade it (troly db upgrade) or use the release that matches it"
                )
            session = AsyncSession(bind=conn)
            try:
                return await compliance(session, year=year, today=today)
            finally:
                await session.close()
    finally:
        await engine.dispose()


async def national_figures(
    sources: Sequence[tuple[str, str]], *, year: int, today: date
) -> NationalFigures:
    figures = NationalFigures(year)
    for name, url in sources:
        try:
            report = await province_report(url, year=year, today=today)
        except ConfigError as exc:
            raise ConfigError(f"{name}: {exc}") from None
        figures.add(name, report)
    return figures


def format_figures(figures: NationalFigures) -> str:
    total = sum(n for _name, n in figures.provinces)
    lines = [
        _("National figures for {year}: {provinces} provinces, {officials} officials.").format(
            year=figures.year,
            provinces=format_number(len(figures.provinces)),
            officials=format_number(total),
        )
    ]
    for name, officials in figures.provinces:
        lines.append(f"  {name}: {format_number(officials)}")
    for rule_id, rule in figures.rules.items():
        if not rule.applicable:
            continue  # a rule nobody in any province falls under says nothing here
        share = rule.share
        lines.append(
            _("{rule} ({id}): {met} of {known} met ({share}), {unknown} without data").format(
                rule=rule.title,
                id=rule_id,
                met=format_number(rule.met),
                known=format_number(rule.applicable - rule.unknown),
                share="—" if share is None else format_number(round(share * 100, 1)) + "%",
                unknown=format_number(rule.unknown),
            )
        )
    return "\n".join(lines)
