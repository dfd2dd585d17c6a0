"""What a feature works with: one user turn in, replies with buttons out.

Kept apart from ``bot.dialogue`` so that features import these types without importing the
dialogue that registers them.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.dialogue import Dialogue
    from knowledge.pack import Pack


def esc(text: object) -> str:
    """Escape text for Telegram HTML."""
    return html.escape(str(text), quote=False)


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # callback data: at most 64 bytes (Telegram's limit)

    def __post_init__(self) -> None:
        if len(self.data.encode("utf-8")) > 64:
            raise ValueError(f"callback data too long: {self.data!r}")


@dataclass
class Reply:
    html: str
    buttons: list[list[Button]] = field(default_factory=list)
    # True when the dialogue waits for typed input (a number of years, a code): a terminal
    # then reads a bare number as text instead of as a button choice.
    expects_text: bool = False
    # Structured data a richer channel may show besides the text (the web's 预审单 print view
    # reads ``data["report"]``); channels that do not know a key ignore it.
    data: dict[str, Any] | None = None


@dataclass
class Turn:
    """Everything a feature needs for one user turn."""

    dialogue: Dialogue
    state: dict[str, Any]
    today: dt.date
    chat_id: str | None = None
    user_id: str | None = None
    is_staff: bool = False
    channel: str = "terminal"  # or "telegram", "web"

    @property
    def pack(self) -> Pack:
        return self.dialogue.pack


CommandFunc = Callable[[Turn, str], list[Reply]]
ButtonFunc = Callable[[Turn, str], list[Reply]]
FlowFunc = Callable[[Turn, str], list[Reply] | None]


@dataclass(frozen=True)
class Command:
    name: str
    func: CommandFunc
    description: str
    staff: bool = False
    menu: bool = True  # listed in /help and Telegram's command menu
