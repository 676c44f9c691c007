"""Point 14 of issue #11: /dulieu gives the official all their own data — as a JSON file on
Telegram, as text on Zalo (no personal data as attachments there). On SQLite and
PostgreSQL."""

from __future__ import annotations

import json

import pytest

from bot.db import Database
from models.org.officials import by_employee_code
from tests.courses_world import NOW, link
from tests.test_registration_export import person
from tests.test_registration_export import world as world  # a fixture, re-exported
from tests.transcript import Clock, Person, make_dispatcher

pytestmark = pytest.mark.usefixtures("world")


async def test_my_data_as_a_file_on_telegram(db: Database) -> None:
    ha = person(db, "9006")  # the province's HR admin reads the registrations first
    await ha.say("/quantri")
    await ha.press("regx:ask")
    await ha.say("K-2026-03")
    nam = person(db, "9011")
    text = await nam.say("/dulieu")
    assert "toàn bộ dữ liệu" in text
    [attachment] = [a for r in nam.last for a in r.attachments]
    assert attachment.mime_type == "application/json"
    assert attachment.file_name.startswith("du-lieu-DB000011-")
    data = json.loads(attachment.content)
    record = data["record"]
    assert record["employee_code"] == "DB000011" and record["full_name"] == "Lê Văn Nam"
    assert record["birth_date"] == "1988-04-12" and record["ethnicity"] == "Kinh"
    assert record["unit"] == "Phòng Tổ chức cán bộ" and record["phone"].startswith("+84")
    assert {r["course"] for r in data["registrations"]} == {"K-2026-03", "K-2026-30"}
    assert [a["user_id"] for a in data["chat_accounts"]] == ["9011"]
    assert data["training_records"] == [] and isinstance(data["notices"], list)
    reads = [e for e in data["audit"] if e["action"] == "personal_data.read"]
    assert reads and reads[0]["by"] == "DB000006" and reads[0]["what"] == "registrations"
    assert any(e["action"] == "account.link" for e in data["audit"])
    # Nobody else's data: the other people of the course are not in the file.
    assert "Lò Thị Nhung" not in attachment.content.decode()


async def test_my_data_as_text_on_zalo(db: Database) -> None:
    async with db.transaction() as session:
        nam = await by_employee_code(session, "DB000011")
        assert nam is not None
        await link(session, nam, "z9011", channel="zalo")
    zalo = Person(make_dispatcher(db, Clock(NOW)), "z9011", channel="zalo")
    text = await zalo.say("/dulieu")
    assert all(not r.attachments for r in zalo.last)
    assert "Hồ sơ của anh/chị:" in text and "• Mã cán bộ: DB000011" in text
    # As in /hoso, no ethnicity and only the birth year in a chat text.
    assert "• Năm sinh: 1988" in text and "12/04/1988" not in text and "Kinh" not in text
    assert "Các lượt đăng ký khóa học: 2" in text and "K-2026-03" in text
    assert "Ai đã đọc dữ liệu của anh/chị:" in text


async def test_my_data_needs_a_linked_chat(db: Database) -> None:
    stranger = person(db, "123")
    text = await stranger.say("/dulieu")
    assert "DB0000" not in text and not [a for r in stranger.last for a in r.attachments]
