"""The catalogue in the database: every distinct document loaded, one row per rule id ever
loaded, and the catalogue in force compiled once per process.

Loading validates the whole file and writes nothing unless all of it is good; loading the
same content again changes nothing. Until HR loads one, the national rules apply, composed
with the province file the deployment names (`use_province_file`, from PROVINCE_FILE).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import JSON, ForeignKey, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from locales import _
from models import audit
from models.base import Base, utcnow
from models.org.units import OrgUnit
from models.requirements.bases import lapse_warnings
from models.requirements.model import Catalogue
from models.requirements.parser import compile_catalogue, read_document, unit_codes
from models.requirements.province import catalogue_document
from models.requirements.reader import MSG_YAML, CatalogueError

# The province file composed with the national rules when no catalogue is stored. Set once
# at start by the composition root (bot/), which reads PROVINCE_FILE; None: national only.
_province_file: Path | None = None


def use_province_file(path: Path | None) -> None:
    global _province_file
    _province_file = path
    default_catalogue.cache_clear()
    forget_current_catalogue()


def province_file() -> Path | None:
    return _province_file


def default_document() -> dict[str, Any]:
    """The shipped catalogue as a document: national rules (+ the province file)."""
    return catalogue_document(_province_file)


class RequirementCatalogue(Base):
    """Every distinct catalogue ever loaded; the newest row is the one in force."""

    __tablename__ = "requirement_catalogues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(120))


class RequirementRule(Base):
    """One row per rule id ever loaded, so notices and reports can refer to rules by id;
    a rule dropped from the catalogue is retired, never deleted."""

    __tablename__ = "requirement_rules"

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    catalogue_id: Mapped[int] = mapped_column(ForeignKey("requirement_catalogues.id"), index=True)
    position: Mapped[int]
    title_vi: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]
    retired_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class LoadResult:
    errors: list[CatalogueError]
    changed: bool = False
    catalogue_id: int | None = None
    version: str = ""
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    warnings: tuple[CatalogueError, ...] = ()  # loaded all the same; HR should act on them

    @property
    def ok(self) -> bool:
        return not self.errors


async def load_catalogue_file(
    session: AsyncSession,
    source: str | Path | bytes | dict[str, Any],
    *,
    actor: str,
    now: datetime,
    today: date | None = None,
) -> LoadResult:
    """Validate the whole file, then store it as the catalogue in force. Nothing is written
    when there are errors, or when the newest stored catalogue already has this content.

    `today` (the local date) turns on the warnings about rules whose bases have all lapsed."""
    try:
        document = source if isinstance(source, dict) else read_document(source)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return LoadResult([CatalogueError("catalogue", MSG_YAML, {"error": str(exc)[:300]})])
    catalogue, errors = compile_catalogue(document)
    if catalogue is None:
        return LoadResult(errors)
    warnings = tuple(lapse_warnings(catalogue, today)) if today is not None else ()
    latest = await session.scalar(
        select(RequirementCatalogue).order_by(RequirementCatalogue.id.desc()).limit(1)
    )
    if latest is not None and latest.sha256 == catalogue.sha256:
        return LoadResult(
            [],
            False,
            latest.id,
            catalogue.version,
            unchanged=len(catalogue.rules),
            warnings=warnings,
        )
    row = RequirementCatalogue(
        name=catalogue.name,
        version=catalogue.version,
        sha256=catalogue.sha256,
        document=document,
        loaded_at=now,
        loaded_by=actor,
    )
    session.add(row)
    await session.flush()
    existing = {r.id: r for r in await session.scalars(select(RequirementRule))}
    definitions = {str(spec["id"]): spec for spec in document["rules"]}
    added = updated = unchanged = retired = 0
    for rule in catalogue.rules:
        spec = definitions[rule.id]
        current = existing.pop(rule.id, None)
        if current is None:
            current = RequirementRule(id=rule.id)
            session.add(current)
            added += 1
        elif current.definition == spec and current.retired_at is None:
            unchanged += 1
        else:
            updated += 1
        current.catalogue_id = row.id
        current.position = rule.position
        current.title_vi = rule.title.vi[:300]
        current.title_en = rule.title.en[:300] if rule.title.en else None
        current.definition = spec
        current.valid_from = rule.valid_from
        current.valid_to = rule.valid_to
        current.retired_at = None
        current.updated_at = now
    for gone in existing.values():
        if gone.retired_at is None:
            gone.retired_at = now
            retired += 1
    audit.record(
        session,
        actor=actor,
        action="rules.load",
        subject=f"{catalogue.name} {catalogue.version}",
        affected=added + updated + retired,
        detail={"sha256": catalogue.sha256, "added": added, "updated": updated, "retired": retired},
        at=now,
    )
    await session.flush()
    forget_current_catalogue()
    return LoadResult(
        [], True, row.id, catalogue.version, added, updated, unchanged, retired, warnings
    )


async def ensure_default_catalogue(session: AsyncSession, now: datetime) -> LoadResult | None:
    """Load the shipped catalogue when none is stored yet; never replaces one HR loaded."""
    if await session.scalar(select(RequirementCatalogue.id).limit(1)) is not None:
        return None
    return await load_catalogue_file(session, default_document(), actor="system:default", now=now)


# Compiled catalogues by (content hash, resolved units): a unit's path differs between
# databases, so a catalogue naming units is compiled per resolution, never shared blindly.
_compiled: dict[tuple[str, tuple[tuple[str, str, str], ...]], Catalogue] = {}
_codes_by_hash: dict[str, frozenset[str]] = {}


@cache
def default_catalogue() -> Catalogue:
    """The shipped catalogue, compiled: what applies until one is stored in the database."""
    catalogue, errors = compile_catalogue(default_document())
    if catalogue is None:
        raise ValueError("shipped catalogue is invalid: " + "; ".join(map(str, errors)))
    return catalogue


# How long a process trusts the catalogue it last read. A catalogue loaded by HR reaches
# other processes within this time; in exchange /yeucau and /hoso skip two queries.
CATALOGUE_TTL_SECONDS = 5.0
_latest: dict[str, tuple[float, Catalogue]] = {}  # by database URL


async def current_catalogue(session: AsyncSession, *, max_age: float = 0.0) -> Catalogue:
    """The catalogue in force, compiled once per process. Chat handlers pass
    max_age=CATALOGUE_TTL_SECONDS to reuse what this process read a moment ago; jobs and
    reports read afresh."""
    database = str(session.get_bind().engine.url)  # a bound Connection has its engine too
    now = time.monotonic()
    hit = _latest.get(database)
    if hit is not None and now - hit[0] < max_age:
        return hit[1]
    found = await _read_current_catalogue(session)
    _latest[database] = (now, found)
    return found


def forget_current_catalogue() -> None:
    _latest.clear()


async def _read_current_catalogue(session: AsyncSession) -> Catalogue:
    """One small query, plus one for the units when the catalogue names any."""
    latest = (
        await session.execute(
            select(RequirementCatalogue.id, RequirementCatalogue.sha256)
            .order_by(RequirementCatalogue.id.desc())
            .limit(1)
        )
    ).first()
    if latest is None:
        return default_catalogue()
    catalogue_id, sha = latest
    document: dict[str, Any] | None = None
    codes = _codes_by_hash.get(sha)
    if codes is None:
        document = await _document(session, catalogue_id)
        codes = _codes_by_hash[sha] = frozenset(unit_codes(document))
    units: dict[str, tuple[str, str]] = {}
    if codes:
        rows = await session.execute(
            select(OrgUnit.code, OrgUnit.path, OrgUnit.name).where(OrgUnit.code.in_(codes))
        )
        units = {code: (path, name) for code, path, name in rows}
    key = (sha, tuple(sorted((c, p, n) for c, (p, n) in units.items())))
    found = _compiled.get(key)
    if found is None:
        document = document or await _document(session, catalogue_id)
        found, errors = compile_catalogue(document, units)
        if found is None:  # stored only after validation, so this means a code change broke it
            raise ValueError("stored catalogue no longer compiles: " + "; ".join(map(str, errors)))
        if len(_compiled) > 16:
            _compiled.clear()
        _compiled[key] = found
    return found


async def _document(session: AsyncSession, catalogue_id: int) -> dict[str, Any]:
    document = await session.scalar(
        select(RequirementCatalogue.document).where(RequirementCatalogue.id == catalogue_id)
    )
    assert document is not None
    return document


def format_load_result(result: LoadResult) -> str:
    if result.errors:
        lines = [_("The catalogue was not loaded. Please fix these problems:")]
        lines += [f"• {e.message()}" for e in result.errors]
        return "\n".join(lines)
    text = _summary(result)
    if result.warnings:
        lines = [text, _("Warnings:")]
        lines += [f"• {w.message()}" for w in result.warnings]
        text = "\n".join(lines)
    return text


def _summary(result: LoadResult) -> str:
    if not result.changed:
        return _("The catalogue {version} is already in force. Nothing changed.").format(
            version=result.version
        )
    return _(
        "Catalogue {version} loaded: {added} new rules, {updated} changed, {unchanged} "
        "unchanged, {retired} retired."
    ).format(
        version=result.version,
        added=result.added,
        updated=result.updated,
        unchanged=result.unchanged,
        retired=result.retired,
    )
