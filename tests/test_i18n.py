"""Every string a person reads is in the catalogue, translated, and formats are Vietnamese."""

from __future__ import annotations

from datetime import date

from handlers import ROUTER
from locales import _, format_date, format_number, use_locale
from locales.catalog import missing
from locales.folding import clean, fold, fold_key


def test_every_vietnamese_message_is_translated() -> None:
    assert missing("vi") == []


def test_every_english_message_exists() -> None:
    assert missing("en") == []


def test_vietnamese_is_the_default() -> None:
    assert _("Yes, unlink") == "Có, hủy liên kết"
    with use_locale("en"):
        assert _("Yes, unlink") == "Yes, unlink"
    with use_locale("en-GB"):
        assert _("Yes, unlink") == "Yes, unlink"
    with use_locale("fr"):  # unsupported language: Vietnamese, not a crash
        assert _("Yes, unlink") == "Có, hủy liên kết"


def test_numbers_and_dates() -> None:
    with use_locale("vi"):
        assert format_number(24150) == "24.150"
        assert format_number(60.5) == "60,5"
        assert format_date(date(2026, 12, 31)) == "31/12/2026"
    with use_locale("en"):
        assert format_date(date(2026, 1, 5)) == "05/01/2026"


def test_folding_handles_nfd_tone_styles_and_d() -> None:
    nfd = "Qua\u0309n ly\u0301 nha\u0300 nu\u031bo\u031bc"
    assert fold(nfd) == "quan ly nha nuoc"
    assert fold("khóa") == fold("khoá") == "khoa"
    assert fold("thủy") == fold("thuỷ")
    assert fold("Điện Biên") == "dien bien"
    assert clean("a\u200bb  c ") == "ab c"
    assert fold_key("  Hồ   sơ!! ") == "ho so"


def test_command_descriptions_fit_telegram_limits() -> None:
    for locale in ("vi", "en"):
        with use_locale(locale):
            for _order, command, description in ROUTER.described:
                assert command.islower() and len(command) <= 32
                assert 3 <= len(_(description)) <= 256
