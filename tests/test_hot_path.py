"""Issue #15 point 2: /hoso, /yeucau and a "Vì sao?" press stay cheap — on SQLite the
update's transaction hops to a worker thread only for BEGIN IMMEDIATE and COMMIT, no
training record is built as a tracked ORM object, and a repeated command has nothing to
flush. Counted, never timed (speed is benchmarks/bench_hoso.py's job)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.db import Database
from models.chat.accounts import ChatAccount
from models.chat.dialogs import DialogState
from models.org.officials import Official
from models.org.units import OrgUnit
from models.requirements.training_records import TrainingRecord
from tests.test_requirements_transcripts import person
from tests.test_requirements_transcripts import world as world  # a fixture, re-exported

pytestmark = pytest.mark.usefixtures("world")


@contextmanager
def thread_hops() -> Iterator[list[int]]:
    """Counts results handed back to the loop from other threads (aiosqlite's or ours)."""
    loop = asyncio.get_running_loop()
    count = [0]
    original = loop.call_soon_threadsafe

    def counted(*args: Any, **kwargs: Any) -> Any:
        count[0] += 1
        return original(*args, **kwargs)

    setattr(loop, "call_soon_threadsafe", counted)  # noqa: B010 - an instance override
    try:
        yield count
    finally:
        del loop.call_soon_threadsafe


@contextmanager
def counted_events(target: Any, name: str) -> Iterator[list[int]]:
    count = [0]

    def listener(*_args: Any) -> None:
        count[0] += 1

    event.listen(target, name, listener)
    try:
        yield count
    finally:
        event.remove(target, name, listener)


@pytest.mark.parametrize("channel", ["telegram"])
async def test_hoso_yeucau_and_why_are_two_thread_hops_on_sqlite(
    db: Database, world: dict[str, Any]
) -> None:
    if db.dialect != "sqlite":
        pytest.skip("thread hops are SQLite's (aiosqlite) cost")
    teacher = person(db, world, "teacher_no_ethics")
    await teacher.say("/yeucau")  # first contact: the privacy notice, caches warmed
    why = teacher.last[0].choices[0].value
    for ask in (lambda: teacher.say("/hoso"), lambda: teacher.say("/yeucau")):
        with thread_hops() as hops:
            text = await ask()
        assert text and hops[0] <= 2, (text[:40], hops[0])
    with thread_hops() as hops:
        text = await teacher.press(why)
    assert text.startswith("❓") and hops[0] <= 2


@pytest.mark.parametrize("channel", ["telegram"])
async def test_no_training_record_is_built_as_an_orm_object(
    db: Database, world: dict[str, Any]
) -> None:
    teacher = person(db, world, "teacher_no_ethics")
    with counted_events(TrainingRecord, "load") as loaded:
        text = await teacher.say("/hoso")
        await teacher.say("/yeucau")
        await teacher.press(teacher.last[0].choices[0].value)
    assert "(480 tiết, chứng chỉ số CC-01)" in text  # the records are still all shown
    assert loaded[0] == 0


@pytest.mark.parametrize("channel", ["telegram"])
async def test_a_repeated_command_has_nothing_to_flush(db: Database, world: dict[str, Any]) -> None:
    teacher = person(db, world, "teacher_no_ethics")
    await teacher.say("/hoso")
    with counted_events(Session, "before_flush") as flushes:
        again = await teacher.say("/hoso")
        await teacher.say("/yeucau")
        await teacher.say("/yeucau")
    assert "🎓 Bồi dưỡng đã hoàn thành:" in again
    assert flushes[0] <= 1  # only /yeucau's new buttons are written


@pytest.mark.parametrize("channel", ["telegram"])
async def test_the_chat_is_opened_without_the_orm_loading_pipeline(
    db: Database, world: dict[str, Any]
) -> None:
    """Account, dialog and official (with the unit) come from one Core row and are attached
    as persistent objects (models/chat/locked_chat.py); what a handler changes on them (the
    offered buttons) is still written."""
    teacher = person(db, world, "teacher_no_ethics")
    await teacher.say("/hoso")  # first contact creates the rows through the ORM
    with contextlib.ExitStack() as stack:
        loads = [
            stack.enter_context(counted_events(cls, "load"))
            for cls in (ChatAccount, DialogState, Official, OrgUnit)
        ]
        profile = await teacher.say("/hoso")
        await teacher.say("/yeucau")
        why = await teacher.press(teacher.last[0].choices[0].value)
    assert "🎓 Bồi dưỡng đã hoàn thành:" in profile
    assert why.startswith("❓")  # the buttons /yeucau offered were saved on the dialog
    assert [count[0] for count in loads] == [0, 0, 0, 0]


@pytest.mark.parametrize("channel", ["telegram"])
async def test_a_repeated_hoso_makes_no_thread_hop_on_sqlite(
    db: Database, world: dict[str, Any]
) -> None:
    """Nothing to write and nobody else holding the writer lock: BEGIN IMMEDIATE and the
    COMMIT of the SELECTs run inline (bot/sqlite_inline.py)."""
    if db.dialect != "sqlite":
        pytest.skip("thread hops are SQLite's (aiosqlite) cost")
    teacher = person(db, world, "teacher_no_ethics")
    await teacher.say("/hoso")
    await teacher.say("/hoso")
    with thread_hops() as hops:
        text = await teacher.say("/hoso")
    assert "🎓 Bồi dưỡng đã hoàn thành:" in text and hops[0] == 0
