"""The worker step of a chat check, run before the update's transaction.

When an admin picks what a pending upload holds (or confirms it), the file is checked
again: read and validated in the worker process (models.imports.isolated), then compared
with the database. On SQLite the update's transaction holds the one writer lock from its
first statement, so the worker step must not run inside it: every other user's update
would wait seconds for the lock. Here the upload, the admin's scope and what the worker
needs (`preload`) are read in one short transaction, the worker runs with no transaction
open, and the update's own transaction then does only the database part
(`TableImporter.plan(..., prechecked=...)`), which re-checks everything it relies on:
the upload, the scope and the preloaded data (else it runs the worker step itself).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.chat.accounts import ChatAccount
from models.imports import uploads
from models.imports.importer import PreChecked, TableImporter
from models.imports.kinds import IMPORTERS
from models.imports.table import EncodedSheets
from models.org.admins import scope_of
from models.org.officials import Official


async def precheck_upload(
    transaction: Callable[[], AbstractAsyncContextManager[AsyncSession]],
    *,
    channel: str,
    user_id: str,
    chat_id: str,
    upload_id: int,
    kind: str,
    now: datetime,
    today: date,
    pepper: bytes,
) -> tuple[int, PreChecked] | None:
    """(upload id, the worker step's result) for this sender's pending upload checked as
    `kind`, or None when there is nothing to check ahead (the handler then decides)."""
    importer = IMPORTERS.get(kind)
    if not isinstance(importer, TableImporter):
        return None
    async with transaction() as session:
        row = (
            await session.execute(
                select(ChatAccount.official_id, ChatAccount.link_method).where(
                    ChatAccount.channel == channel,
                    ChatAccount.external_user_id == user_id,
                    ChatAccount.chat_id == chat_id,
                )
            )
        ).first()
        if row is None or row.official_id is None or row.link_method == "phone":
            return None
        upload = await uploads.owned(session, upload_id, row.official_id, now)
        if upload is None or upload.kind not in (None, kind):
            return None
        scope = await scope_of(session, await session.get(Official, row.official_id))
        if not scope.is_admin:
            return None
        runs, scope_unit = importer.plan_scope(scope.widest)
        if not runs:
            return None
        plan = importer.new_plan(upload.file_name, today, scope_unit, pepper)
        content = upload.content if upload.parsed is None else EncodedSheets(upload.parsed)
        preloaded = await importer.preload(session)
    return upload_id, await importer.precheck(plan, content, preloaded)
