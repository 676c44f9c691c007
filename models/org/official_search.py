"""Finding an official in an admin's scope by what HR types: part of the name, with or
without diacritics ("lo thi nhung", "Nhung"), or the employee code."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from locales.collation import name_key
from locales.folding import search_key
from models.org.officials import Official
from models.org.units import OrgUnit

MIN_QUERY = 2  # one letter would match half the province


async def search_in_scope(
    session: AsyncSession, unit_paths: list[str], query: str, *, limit: int = 8
) -> list[Official]:
    """Active officials of the subtrees whose employee code is `query` or whose name has a
    word starting with each of its words (folded: marks and i/y spelling do not matter),
    sorted by name."""
    wanted = search_key(query)
    if len(wanted.replace(" ", "")) < MIN_QUERY or not unit_paths:
        return []
    in_scope = or_(*(OrgUnit.path.startswith(path) for path in unit_paths))
    rows = await session.execute(
        select(Official.id, Official.full_name, Official.employee_code)
        .join(OrgUnit, OrgUnit.id == Official.unit_id)
        .where(in_scope, Official.active.is_(True))
    )
    words = wanted.split()
    code = query.strip().casefold()
    # Names are folded here, not in SQL: SQLite and PostgreSQL fold Vietnamese differently.
    hits = [
        (name, official_id)
        for official_id, name, employee_code in rows
        if employee_code.casefold() == code or _name_matches(words, search_key(name).split())
    ]
    hits.sort(key=lambda hit: name_key(hit[0]))
    ids = [official_id for _name, official_id in hits[:limit]]
    if not ids:
        return []
    found = {o.id: o for o in await session.scalars(select(Official).where(Official.id.in_(ids)))}
    return [found[i] for i in ids]


def _name_matches(words: list[str], name_words: list[str]) -> bool:
    return all(any(n.startswith(w) for n in name_words) for w in words)
