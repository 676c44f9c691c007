"""Button payloads: every declaration packs and unpacks to the same fields, the wire format
of buttons already in people's chats is unchanged, and forged or malformed values are
refused in the one place that parses them."""

from __future__ import annotations

import pytest

from handlers import payloads
from handlers.payloads import (
    BROADCAST_NO_COURSE,
    BROADCAST_STOP,
    COURSE_CARD,
    COURSE_KINDS,
    COURSE_PAGE,
    COURSE_SEARCH,
    LANGUAGE,
    NUDGE,
    REGISTER,
    REGISTER_CONFIRMED,
    REMINDER_LEAD_MENU,
    UPLOAD_APPLY,
    Payload,
    Values,
)

DECLARED = [v for v in vars(payloads).values() if isinstance(v, Payload)]


def _sample(kind: payloads.FieldType) -> int | str:
    if kind is int:
        return 123456789
    if kind is str or kind is payloads.Unchecked:
        return "x.y+z"
    assert isinstance(kind, tuple)
    return kind[-1]


@pytest.mark.parametrize("payload", DECLARED, ids=lambda p: p.tag)
def test_every_declared_payload_round_trips(payload: Payload) -> None:
    values = {name: _sample(kind) for name, kind in payload.fields}
    packed = payload.pack(**values)
    unpacked = payload.unpack(packed)
    assert unpacked is not None and dict(unpacked) == values


def test_no_two_declarations_share_a_tag_and_arity() -> None:
    shapes = [(p.tag, len(p.fields)) for p in DECLARED]
    assert len(shapes) == len(set(shapes))


def test_the_wire_format_is_the_one_buttons_already_carry() -> None:
    assert COURSE_PAGE.pack(filter="all", page=1) == "page:all:1"
    assert COURSE_CARD.pack(id=42) == "crs:42"
    assert REGISTER.pack(id=42) == "reg:42"  # also built by models/notices/broadcasts.py
    assert REGISTER_CONFIRMED.pack(id=42, confirm="y", nonce="ab12") == "reg:42:y:ab12"
    assert BROADCAST_STOP.pack(id=7) == "bc:stop:7"  # also built by bot/broadcast_progress.py
    assert BROADCAST_NO_COURSE.pack() == "bc:course:none"
    assert NUDGE.pack(who="all") == "nudge:all"  # also built by models/notices/digest.py
    assert LANGUAGE.pack(code="en") == "lang:en"
    assert UPLOAD_APPLY.pack(id=3, kind="officials", rows="good") == "upl:3:officials:good"
    # Buttons without fields used to end in ':'; those still in chats keep working.
    assert COURSE_SEARCH.unpack("find:") == {} and COURSE_SEARCH.unpack("find") == {}
    assert COURSE_KINDS.unpack("kinds:") == {}
    assert REMINDER_LEAD_MENU.unpack("rem:lead:") == {}


@pytest.mark.parametrize(
    ("payload", "value"),
    [
        (COURSE_CARD, "crs"),  # no field
        (COURSE_CARD, "crs:"),  # an empty field
        (COURSE_CARD, "crs:1:2"),  # one field too many
        (COURSE_CARD, "crs:abc"),  # not an integer
        (COURSE_CARD, "crs:-1"),
        (COURSE_CARD, "crs:1.5"),
        (COURSE_CARD, "crs:١٢"),  # digits, but not ASCII ones
        (COURSE_CARD, "crs:1234567890"),  # no id of ours, and over an INTEGER column
        (COURSE_CARD, "crsx:1"),  # another tag that starts alike
        (COURSE_CARD, "reg:1"),  # another payload's tag
        (COURSE_CARD, ""),
        (REGISTER_CONFIRMED, "reg:1:n:ab12"),  # outside the declared set
        (REGISTER_CONFIRMED, "reg:1:y"),  # a confirm without the card's nonce
        (REGISTER_CONFIRMED, "reg:1"),
        (LANGUAGE, "lang:fr"),
        (COURSE_PAGE, "page:all"),
        (COURSE_PAGE, "page:q.a:b:1"),  # a field may not hold ':'
        (COURSE_PAGE, "page:" + "q" * 60 + ":1"),  # over Telegram's 64 bytes
        (COURSE_SEARCH, "find:x"),
        (COURSE_SEARCH, "find::"),
        (NUDGE, "nudgex:1"),
    ],
)
def test_forged_or_malformed_values_are_refused(payload: Payload, value: str) -> None:
    assert payload.unpack(value) is None


def test_pack_refuses_what_unpack_would_refuse() -> None:
    with pytest.raises(ValueError):
        COURSE_CARD.pack()
    with pytest.raises(ValueError):
        COURSE_CARD.pack(id=1, page=2)
    with pytest.raises(ValueError):
        COURSE_CARD.pack(id="1")
    with pytest.raises(ValueError):
        COURSE_CARD.pack(id=True)
    with pytest.raises(ValueError):
        COURSE_CARD.pack(id=10**9)
    with pytest.raises(ValueError):
        COURSE_PAGE.pack(filter="a:b", page=1)
    with pytest.raises(ValueError):
        COURSE_PAGE.pack(filter="", page=1)
    with pytest.raises(ValueError):
        COURSE_PAGE.pack(filter="q" * 60, page=1)
    with pytest.raises(ValueError):
        LANGUAGE.pack(code="fr")


def test_a_bad_declaration_fails_at_import() -> None:
    with pytest.raises(ValueError):
        Payload("")
    with pytest.raises(ValueError):
        Payload("bc::x")
    with pytest.raises(ValueError):
        Payload("x", id=float)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Payload("x", answer=())


def test_an_unchecked_field_is_passed_on_verbatim_for_its_model_to_judge() -> None:
    # models/notices/digest.nudge audits forged presses, so it must see them as sent.
    for who in ("", "all:1", "1;DROP", "١٢"):
        values = NUDGE.unpack(f"nudge:{who}")
        assert values is not None and values.text("who") == who
    with pytest.raises(ValueError):
        Payload("x", note=payloads.Unchecked, id=int)


def test_values_are_read_with_their_declared_type() -> None:
    values = COURSE_PAGE.unpack("page:fit:3")
    assert isinstance(values, Values)
    assert values.number("page") == 3 and values.text("filter") == "fit"
    with pytest.raises(TypeError):
        values.number("filter")
    with pytest.raises(TypeError):
        values.text("page")
