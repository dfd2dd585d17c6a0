"""Dialogue features; each module has ``register(dialogue)``.

Order matters only for /help: features are listed in the order registered here.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.dialogue import Dialogue

FEATURES = [
    "bot.features.qa",  # /start /help /toc /article, free questions
    "bot.features.selfcheck",  # /selfcheck (issue 3)
    "bot.features.winners",  # /status /bind /verify /usage … (issue 4)
    "bot.features.subscribe",  # /subscribe /unsubscribe, staff /notice (issue 5)
    "bot.features.feedback",  # 👍/👎 and staff /feedback (issue 5)
    "bot.features.teach",  # triage buttons, /synonym /learned /stats /hot, 热点问题 (issue 13)
    "bot.features.pack_status",  # the notice that the measures were revised (issue 10)
]


def register_all(dialogue: Dialogue, only: list[str] | None = None) -> None:
    for name in only or FEATURES:
        try:
            module = import_module(name)
        except ModuleNotFoundError as e:
            if e.name == name:  # a feature not built yet
                continue
            raise
        module.register(dialogue)
