"""Zalo rendering, inbound parsing, the file store and the ZALO_* settings: no network."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.channels.zalo_files import FileStore
from bot.channels.zalo_inbound import parse, unwrap
from bot.channels.zalo_render import render
from bot.config import ConfigError, Settings
from handlers.router import pick_offered_choice
from handlers.types import Attachment, Choice, Reply
from locales import use_locale

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def test_choices_numbered_across_replies_and_picked_back() -> None:
    replies = [
        Reply("Chọn ngôn ngữ:", choices=(Choice("Tiếng Việt", "lang:vi"),)),
        Reply(
            "Hoặc chọn:",
            choices=(Choice("🔑 Nhập mã", "link:code"), Choice("❓ Trợ giúp", "cmd:trogiup")),
        ),
    ]
    with use_locale("vi"):
        [message] = render(replies, TZ)
    assert "   [1] Tiếng Việt" in message.text
    assert "   [2] 🔑 Nhập mã" in message.text and "   [3] ❓ Trợ giúp" in message.text
    # The dispatcher stores the same flat list, so the number shown is the number that works.
    offered = [[c.label, c.value] for r in replies for c in r.choices]
    assert pick_offered_choice("3", offered) == "cmd:trogiup"
    assert pick_offered_choice("tro giup", offered) == "cmd:trogiup"  # label, no marks, no emoji
    assert pick_offered_choice("4", offered) is None


def test_long_replies_split_on_line_boundaries() -> None:
    lines = [f"{n}. " + "Bồi dưỡng kiến thức quản lý nhà nước " * 3 for n in range(1, 80)]
    messages = render([Reply("\n".join(lines))], TZ)
    assert len(messages) > 1
    assert all(len(m.text) <= 2000 for m in messages)
    assert "\n".join(m.text for m in messages) == "\n".join(lines)  # nothing lost, no cut line


def test_attachments_become_summary_or_expiring_link(tmp_path: Path) -> None:
    ics = Attachment(
        "lich-hoc.ics",
        b"BEGIN:VCALENDAR",
        "text/calendar",
        summary="Lịch học: 08:00 01/12/2026, Trường Chính trị tỉnh",
    )
    excel = Attachment("bao-cao.xlsx", b"PK..", "application/vnd.ms-excel", personal=False)
    with use_locale("vi"):
        [plain] = render([Reply("Đã đăng ký.", attachments=(ics, excel))], TZ)
    assert "Lịch học: 08:00 01/12/2026" in plain.text
    assert "bao-cao.xlsx: Zalo chưa nhận được tệp" in plain.text  # never silently dropped

    store = FileStore(tmp_path, "https://files.example.gov.vn/z", timedelta(hours=1))
    chart = Attachment(
        "bieu-do.png", b"\x89PNG", "image/png", is_image=True, summary="Tỷ lệ", personal=False
    )
    with use_locale("vi"):
        text, photo = render([Reply("Báo cáo", attachments=(excel, chart))], TZ, store)
    url = text.text.split("bao-cao.xlsx: ")[1].split(" ")[0]
    assert url.startswith("https://files.example.gov.vn/z/") and url.endswith("/bao-cao.xlsx")
    assert len(url.split("/")[-2]) >= 32  # an unguessable folder name
    assert "đường dẫn dùng được đến" in text.text
    assert photo.photo_url and photo.photo_url.endswith("/bieu-do.png") and photo.text == "Tỷ lệ"
    folder = tmp_path / url.split("/")[-2]
    assert (folder / "bao-cao.xlsx").read_bytes() == b"PK.."

    old = time.time() - 2 * 3600
    os.utime(folder, (old, old))
    assert store.prune() == 1 and not folder.exists()


def test_files_with_personal_data_are_never_published(tmp_path: Path) -> None:
    """Issue #11 point 7: an export listing officials is not written to the public folder
    and gets no link, even where the deployment publishes files; the admin is told where
    else to get it. Attachments are personal unless they say otherwise."""
    store = FileStore(tmp_path, "https://files.example.gov.vn/z", timedelta(hours=1))
    export = Attachment("dang-ky-K-2026-14.xlsx", b"PK..", "application/vnd.ms-excel")
    listing = Attachment("ds.png", b"\x89PNG", "image/png", is_image=True, summary="Danh sách")
    with use_locale("vi"):
        messages = render([Reply("Đăng ký", attachments=(export, listing))], TZ, store)
    text = "\n".join(m.text for m in messages)
    assert all(m.photo_url is None for m in messages)
    assert "https://" not in text
    assert "Tệp dang-ky-K-2026-14.xlsx chứa thông tin cá nhân" in text
    assert "Telegram" in text and "python -m bot export" in text
    assert list(tmp_path.iterdir()) == []  # nothing written where the web server serves


def test_inbound_shapes() -> None:
    update = {
        "event_name": "message.text.received",
        "message": {
            "from": {"id": "u1", "first_name": "Hoa", "is_bot": False},
            "chat": {"id": "u1", "chat_type": "PRIVATE"},
            "message_id": "m1",
            "date": 1750316131602,
            "text": "/yeucau",
        },
    }
    assert unwrap({"ok": True, "result": update}) == update
    assert unwrap(update) == update
    assert unwrap({"ok": False, "error_code": 408}) is None
    inbound = parse(update, bot_id="b1")
    assert inbound is not None and inbound.incoming.text == "/yeucau"
    assert inbound.incoming.sender_name == "Hoa" and inbound.dedup_key == "message.text.received:m1"
    assert parse(update, bot_id="u1") is None  # our own echo
    sticker = {**update, "event_name": "message.sticker.received"}
    parsed = parse(sticker, bot_id=None)
    assert parsed is not None and parsed.incoming.unsupported == "sticker"
    assert parsed.incoming.text is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ZALO_WEBHOOK_URL": "https://x.vn/z"}, "ZALO_WEBHOOK_SECRET is required"),
        ({"ZALO_WEBHOOK_URL": "http://x.vn/z", "ZALO_WEBHOOK_SECRET": "12345678"}, "https://"),
        ({"ZALO_WEBHOOK_SECRET": "short"}, "8 to 256"),
        ({"ZALO_MAX_PER_SECOND": "0"}, "more than 0"),
        ({"ZALO_MAX_PER_SECOND": "fast"}, "a number"),
        ({"ZALO_PUBLIC_FILE_BASE_URL": "files.example"}, "https://"),
    ],
)
def test_bad_zalo_settings_fail_with_one_line(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_zalo_settings() -> None:
    settings = Settings.from_env(
        {
            "ZALO_BOT_TOKEN": "123:abc",
            "LINK_CODE_SECRET": "s" * 32,
            "ZALO_API_BASE_URL": "http://127.0.0.1:9/",
            "ZALO_MAX_PER_SECOND": "2.5",
        }
    )
    assert settings.zalo_token == "123:abc"
    assert settings.zalo_api_base_url == "http://127.0.0.1:9"
    assert settings.zalo_max_per_second == 2.5
    assert Settings.from_env({}).zalo_api_base_url == "https://bot-api.zaloplatforms.com"
