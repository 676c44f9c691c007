"""The routing table: features register their commands, buttons, dialog steps and free-text
intents here, so adding a feature is adding a module, not editing a dispatcher."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from handlers.context import Context
from handlers.types import Reply
from locales.folding import fold_key, fold_words

Handler = Callable[[Context], Awaitable[list[Reply]]]

_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]+)?(?:\s+(.*))?$", re.DOTALL)


@dataclass(frozen=True)
class Route:
    handler: Handler
    needs_link: bool


@dataclass(frozen=True)
class MenuItem:
    label: str  # msgid, translated when the menu is shown
    command: str
    order: int
    needs_link: bool
    admin_only: bool = False


@dataclass(frozen=True)
class Intent:
    phrases: tuple[tuple[str, ...], ...]  # folded word sequences
    route: Route


@dataclass
class Router:
    commands: dict[str, Route] = field(default_factory=dict)
    choices: dict[str, Route] = field(default_factory=dict)
    steps: dict[tuple[str, str], Handler] = field(default_factory=dict)
    intents: list[Intent] = field(default_factory=list)
    menu: list[MenuItem] = field(default_factory=list)
    special: dict[str, Handler] = field(default_factory=dict)
    # (order, command, description msgid): the command list a platform shows in its menu.
    described: list[tuple[int, str, str]] = field(default_factory=list)

    def command(self, *names: str, needs_link: bool = False) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            for name in names:
                if name in self.commands:
                    raise ValueError(f"command /{name} registered twice")
                self.commands[name] = Route(fn, needs_link)
            return fn

        return register

    def choice(self, prefix: str, *, needs_link: bool = False) -> Callable[[Handler], Handler]:
        """Buttons whose value starts with "<prefix>:"; the handler validates the rest."""

        def register(fn: Handler) -> Handler:
            if prefix in self.choices or ":" in prefix:
                raise ValueError(f"bad or duplicate choice prefix {prefix!r}")
            self.choices[prefix] = Route(fn, needs_link)
            return fn

        return register

    def step(self, flow: str, step: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.steps[(flow, step)] = fn
            return fn

        return register

    def intent(self, *phrases: str, needs_link: bool = False) -> Callable[[Handler], Handler]:
        """Free text: any phrase (matched folded, word by word) routes to the handler."""

        def register(fn: Handler) -> Handler:
            folded = tuple(tuple(fold_words(p)) for p in phrases)
            self.intents.append(Intent(folded, Route(fn, needs_link)))
            return fn

        return register

    def menu_item(self, label: str, command: str, order: int, *, needs_link: bool = True) -> None:
        self.menu.append(MenuItem(label, command, order, needs_link))
        self.menu.sort(key=lambda m: m.order)

    def describe(self, command: str, description: str, order: int) -> None:
        self.described.append((order, command, description))
        self.described.sort()

    def on(self, event: str) -> Callable[[Handler], Handler]:
        """Special hooks: "contact", "document", "unsupported", "unknown", "link_required",
        "stale", "code"."""

        def register(fn: Handler) -> Handler:
            self.special[event] = fn
            return fn

        return register

    # -- matching -------------------------------------------------------------------

    @staticmethod
    def parse_command(text: str) -> tuple[str, str] | None:
        match = _COMMAND.match(text.strip())
        if not match:
            return None
        return match.group(1).lower(), (match.group(2) or "").strip()

    def match_intent(self, text: str) -> Route | None:
        words = fold_words(text)
        best: tuple[int, Route] | None = None
        for intent in self.intents:
            for phrase in intent.phrases:
                n = len(phrase)
                if n and any(tuple(words[i : i + n]) == phrase for i in range(len(words) - n + 1)):
                    score = sum(len(w) for w in phrase)
                    if best is None or score > best[0]:
                        best = (score, intent.route)
        return best[1] if best else None


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


router = Router()
