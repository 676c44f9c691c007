"""Routers: each feature module fills its own with commands, buttons, dialog steps and
free-text intents; handlers/__init__.py composes them into the one the dispatcher uses,
refusing anything declared twice."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from handlers.context import Context
from handlers.flows import Step
from handlers.payloads import Payload, Values
from handlers.types import Reply
from locales.folding import fold_key, search_words

Handler = Callable[[Context], Awaitable[list[Reply]]]
ChoiceHandler = Callable[[Context, Values], Awaitable[list[Reply]]]

_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]+)?(?:\s+(.*))?$", re.DOTALL)


class Hook(StrEnum):
    """Updates that are neither a command, a button nor a dialog step."""

    CONTACT = "contact"  # a shared phone number
    DOCUMENT = "document"  # an uploaded file
    UNSUPPORTED = "unsupported"  # a sticker, voice, image… or empty text
    UNKNOWN = "unknown"  # nothing matched
    LINK_REQUIRED = "link_required"  # a personal route, and the chat is not linked
    CODE = "code"  # free text from an unlinked chat, tried as a link code first (optional)


REQUIRED_HOOKS = frozenset(Hook) - {Hook.CODE}


@dataclass(frozen=True)
class Route:
    handler: Handler
    needs_link: bool


@dataclass(frozen=True)
class ChoiceRoute:
    payload: Payload
    handler: ChoiceHandler
    needs_link: bool


@dataclass(frozen=True)
class MenuItem:
    label: str  # msgid, translated when the menu is shown
    command: str
    order: int
    needs_link: bool


@dataclass(frozen=True)
class Intent:
    phrases: tuple[tuple[str, ...], ...]  # folded word sequences
    route: Route


@dataclass
class Router:
    name: str
    commands: dict[str, Route] = field(default_factory=dict)
    choices: list[ChoiceRoute] = field(default_factory=list)
    steps: dict[tuple[str, str], Handler] = field(default_factory=dict)
    number_steps: set[tuple[str, str]] = field(default_factory=set)  # Flow.numbers
    intents: list[Intent] = field(default_factory=list)
    menu: list[MenuItem] = field(default_factory=list)
    hooks: dict[Hook, Handler] = field(default_factory=dict)
    # (order, command, description msgid): the command list a platform shows in its menu.
    described: list[tuple[int, str, str]] = field(default_factory=list)

    # -- declaring ------------------------------------------------------------------

    def command(self, *names: str, needs_link: bool = False) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            for name in names:
                self._add_command(name, Route(fn, needs_link))
            return fn

        return register

    def choice(
        self, *payloads: Payload, needs_link: bool = False
    ) -> Callable[[ChoiceHandler], ChoiceHandler]:
        """Buttons of these payloads; the handler gets the unpacked, validated fields."""

        def register(fn: ChoiceHandler) -> ChoiceHandler:
            for payload in payloads:
                self._add_choice(ChoiceRoute(payload, fn, needs_link))
            return fn

        return register

    def step(self, step: Step) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self._add_step(step.key, fn)
            if step.takes_number:
                self.number_steps.add(step.key)
            return fn

        return register

    def intent(self, *phrases: str, needs_link: bool = False) -> Callable[[Handler], Handler]:
        """Free text: any phrase (matched folded, word by word) routes to the handler."""

        def register(fn: Handler) -> Handler:
            folded = tuple(tuple(search_words(p)) for p in phrases)
            self.intents.append(Intent(folded, Route(fn, needs_link)))
            return fn

        return register

    def menu_item(self, label: str, command: str, order: int, *, needs_link: bool = True) -> None:
        self.menu.append(MenuItem(label, command, order, needs_link))
        self.menu.sort(key=lambda m: m.order)

    def describe(self, command: str, description: str, order: int) -> None:
        self.described.append((order, command, description))
        self.described.sort()

    def on(self, hook: Hook) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            if hook in self.hooks:
                raise ValueError(f"router {self.name}: hook {hook} registered twice")
            self.hooks[hook] = fn
            return fn

        return register

    def _add_command(self, name: str, route: Route) -> None:
        if name in self.commands:
            raise ValueError(f"router {self.name}: command /{name} registered twice")
        self.commands[name] = route

    def _add_choice(self, route: ChoiceRoute) -> None:
        shape = (route.payload.tag, len(route.payload.fields))
        if any((c.payload.tag, len(c.payload.fields)) == shape for c in self.choices):
            raise ValueError(f"router {self.name}: payload {shape} registered twice")
        self.choices.append(route)
        # Longest tag first: "rem:lead:3" is REMINDER_LEAD_DAY, not a "rem" payload.
        self.choices.sort(key=lambda c: -c.payload.tag_parts)

    def _add_step(self, key: tuple[str, str], fn: Handler) -> None:
        if key in self.steps:
            raise ValueError(f"router {self.name}: step {key} registered twice")
        self.steps[key] = fn

    # -- matching -------------------------------------------------------------------

    @staticmethod
    def parse_command(text: str) -> tuple[str, str] | None:
        match = _COMMAND.match(text.strip())
        if not match:
            return None
        return match.group(1).lower(), (match.group(2) or "").strip()

    def match_choice(self, value: str) -> tuple[ChoiceRoute, Values] | None:
        head = value.split(":", 1)[0]
        for route in self.choices:
            if route.payload.head == head:
                values = route.payload.unpack(value)
                if values is not None:
                    return route, values
        return None

    def match_intent(self, text: str) -> Route | None:
        words = search_words(text)
        best: tuple[int, Route] | None = None
        for intent in self.intents:
            for phrase in intent.phrases:
                n = len(phrase)
                if n and any(tuple(words[i : i + n]) == phrase for i in range(len(words) - n + 1)):
                    score = sum(len(w) for w in phrase)
                    if best is None or score > best[0]:
                        best = (score, intent.route)
        return best[1] if best else None


def compose(name: str, routers: Iterable[Router]) -> Router:
    """One router holding every feature's routes, in the given order (intents that score
    the same go to the earlier feature); anything declared twice is refused."""
    merged = Router(name)
    for router in routers:
        for command, route in router.commands.items():
            merged._add_command(command, route)
        for choice in router.choices:
            merged._add_choice(choice)
        for key, handler in router.steps.items():
            merged._add_step(key, handler)
        merged.number_steps |= router.number_steps
        for hook, handler in router.hooks.items():
            merged.on(hook)(handler)
        merged.intents.extend(router.intents)
        merged.menu.extend(router.menu)
        merged.described.extend(router.described)
    missing = REQUIRED_HOOKS - set(merged.hooks)
    if missing:
        raise ValueError(f"router {name}: nobody answers {sorted(missing)}")
    merged.menu.sort(key=lambda m: m.order)
    merged.described.sort()
    return merged


def pick_offered_choice(text: str, offered: list[list[str]]) -> str | None:
    """Map "2", "2.", "số 2" or a typed label (any diacritics) to a choice offered last."""
    key = fold_key(text)
    if not key or not offered:
        return None
    digits = key.removeprefix("so ").strip()
    if digits.isdigit():
        index = int(digits)
        return offered[index - 1][1] if 1 <= index <= len(offered) else None
    for label, value in offered:
        if fold_key(label) == key:
            return value
    return None
