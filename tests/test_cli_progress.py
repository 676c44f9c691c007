"""Issue #13 point 8: long command-line work shows its progress — a rich bar on a
terminal, a few plain lines otherwise (tests, cron, systemd) — and `troly plan` runs the
planning jobs once."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.progress import progress


def test_plain_lines_without_a_terminal() -> None:
    out = io.StringIO()
    with progress("Đang nhập", total=20, stream=out) as advance:
        for _ in range(20):
            advance(1)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Đang nhập: 0/20" and lines[-1] == "Đang nhập: 20/20"
    assert 3 <= len(lines) <= 12  # every tenth, not every row


def test_a_bar_on_a_terminal() -> None:
    out = io.StringIO()
    with progress("Đang cấp mã", total=4, stream=out, tty=True) as advance:
        advance(3)
        advance(1)
    text = out.getvalue()
    assert "Đang cấp mã" in text and "4/4" in text
    assert "Đang cấp mã: 0/4" not in text  # the bar, not the plain lines


def test_seed_demo_import_and_plan_show_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/troly.sqlite3")
    assert main(["seed-demo", "--size", "60"]) == 0
    seeded = capsys.readouterr()
    assert "Đang tạo tỉnh mẫu: 0/5" in seeded.err and "Đang tạo tỉnh mẫu: 5/5" in seeded.err
    assert "Đang tạo tỉnh mẫu" not in seeded.out  # stdout keeps only the result
    roster = tmp_path / "ds.csv"
    roster.write_text(
        "Mã cán bộ,Họ và tên,Giới tính,Ngày sinh,Số điện thoại,Đối tượng,Mã đơn vị\n"
        "DB700001,Vũ Thị Lan,Nữ,05/07/1990,0987 654 321,Công chức,T11\n",
        encoding="utf-8",
    )
    assert main(["import", "officials", str(roster)]) == 0
    imported = capsys.readouterr()
    assert "Đang nhập tệp ds.csv: 3/3" in imported.err, imported
    assert main(["link-codes", "T11", "--out", str(tmp_path / "kit")]) == 0
    issued = capsys.readouterr()
    assert "Đang cấp mã liên kết: 0/" in issued.err, issued
    assert "Đang cấp mã liên kết" not in issued.out
    assert main(["plan"]) == 0
    planned = capsys.readouterr()
    assert "Đang lên lịch nhắc nhở: 3/3" in planned.err
    assert planned.out.startswith("Đã lên lịch nhắc nhở: "), planned.out
