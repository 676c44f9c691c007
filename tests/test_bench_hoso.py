"""Issue #15 point 1: bench_hoso's echo is fair — it answers with the replies the real bot
gave (text and keyboard), per case, so the benchmark compares our dispatch and nothing
else. The benchmark itself is not run here (it takes minutes)."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks._bots import EchoDispatcher
from benchmarks.bench_hoso import capture_replies, percentile
from bot.db import Database
from handlers.types import Incoming
from tests.test_requirements_transcripts import world as world  # a fixture, re-exported

pytestmark = pytest.mark.usefixtures("world")


@pytest.mark.parametrize("channel", ["telegram"])
async def test_echo_answers_with_the_bots_own_replies(db: Database, world: dict[str, Any]) -> None:
    uid = world["chat"]["teacher_no_ethics"]
    replies = await capture_replies(db.url, uid)
    assert "🎓 Bồi dưỡng đã hoàn thành:" in replies["hoso"][0].text
    assert len(replies["hoso"][0].choices) == 7  # the menu keyboard comes along
    assert replies["yeucau"][0].text.startswith("📋") and replies["yeucau"][0].choices
    assert replies["button"][0].text.startswith("❓")
    echo = EchoDispatcher(replies)
    for case, incoming in (
        ("hoso", Incoming("telegram", uid, uid, text="/hoso")),
        ("yeucau", Incoming("telegram", uid, uid, text="/yeucau")),
        ("button", Incoming("telegram", uid, uid, choice=replies["yeucau"][0].choices[0].value)),
    ):
        assert await echo.handle(incoming) == replies[case]


def test_percentile_of_handler_times() -> None:
    times = [float(n) for n in range(1, 101)]
    assert percentile(times, 0.95) == 96.0 and percentile([], 0.95) == 0.0
