"""Zalo OA settings and the token commands: secrets registered with the log redactor, the
link-code pepper required, `python -m bot zalo-oa set-token|status` storing the first pair
from standard input without printing it."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.config import ConfigError, Settings

PEPPER = "p" * 40
ENV = {
    "ZALO_OA_APP_ID": "1234567890123456789",
    "ZALO_OA_SECRET_KEY": "app-secret-key-ABCDEFGHIJ",
    "ZALO_OA_WEBHOOK_SECRET_KEY": "oa-secret-key-KLMNOPQRST",
    "ZALO_OA_WEBHOOK_PATH": "hooks/oa/",
    "ZALO_OA_API_BASE_URL": "http://127.0.0.1:9/",
    "LINK_CODE_SECRET": PEPPER,
}


def test_settings_and_secrets() -> None:
    settings = Settings.from_env(ENV)
    oa = settings.zalo_oa
    assert oa.configured and oa.webhook_path == "/hooks/oa" and oa.webhook_port == 8446
    assert oa.api_base_url == "http://127.0.0.1:9" and oa.oauth_base_url.startswith("https://")
    assert oa.interaction_window_hours == 48
    assert {ENV["ZALO_OA_SECRET_KEY"], ENV["ZALO_OA_WEBHOOK_SECRET_KEY"]} <= set(settings.secrets())
    with pytest.raises(ConfigError, match="LINK_CODE_SECRET"):
        Settings.from_env({k: v for k, v in ENV.items() if k != "LINK_CODE_SECRET"})
    with pytest.raises(ConfigError, match="ZALO_OA_INTERACTION_WINDOW_HOURS"):
        Settings.from_env({**ENV, "ZALO_OA_INTERACTION_WINDOW_HOURS": "0"})


def test_set_token_reads_stdin_and_status_never_prints_it(
    sqlite_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    database = tmp_path / "troly.db"
    shutil.copy(sqlite_template, database)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    assert main(["zalo-oa", "status"]) == 1
    monkeypatch.setattr("sys.stdin", io.StringIO("AT-first-secret\nRT-first-secret\n"))
    assert main(["zalo-oa", "set-token"]) == 0
    assert main(["zalo-oa", "status"]) == 0
    out, err = capsys.readouterr()
    assert "thế hệ 1" in out
    assert "first-secret" not in out + err
