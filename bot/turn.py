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


T_BAD_NUMBER = "“{text}”不是{what}。请写 {lo} 到 {hi} 之间的整数，例如 {example}。"


class BadNumber(ValueError):
    """A number typed after a command is not one, or out of range; the message says, in
    Chinese, what was expected."""


def number_arg(arg: str, default: int, *, lo: int, hi: int, what: str, example: str) -> int:
    """The number typed after a command (/expiring 90, /stats 三十), read by the one parser
    for typed numbers (``knowledge.numerals.parse_int``); ``default`` when nothing is typed.
    A bad or out-of-range number raises BadNumber: never a silent default."""
    from knowledge.numerals import parse_int

    text = (arg or "").strip()
    if not text:
        return default
    n = parse_int(text, lo=lo, hi=hi)
    if n is None:
        raise BadNumber(T_BAD_NUMBER.format(text=text[:20], what=what, lo=lo, hi=hi,
                                            example=example))
    return n


@dataclass(frozen=True)
class Button:
    label: str
    data: str = ""  # callback data: at most 64 bytes (Telegram's limit)
    url: str | None = None  # a link instead (a deep link into a private chat)

    def __post_init__(self) -> None:
        if len(self.data.encode("utf-8")) > 64:
            raise ValueError(f"callback data too long: {self.data!r}")
        if bool(self.data) == bool(self.url):
            raise ValueError("a button has either callback data or a url")


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
    # A short note about the button just pressed (someone else's, used up, superseded): shown
    # as a pop-up on the button where the channel has one (Telegram's answerCallbackQuery),
    # else as a message. Plain text, no HTML.
    popup: bool = False
    # In answer to a button press: this reply takes the place of the message that carried the
    # button (the questionnaire is one message, edited per step) instead of a new message.
    replace: bool = False

# Commands that need to know who is asking, or to reach them later (a binding to an award,
# reminders, notices). The web chat stores no identity and has no way to reach anyone, so it
# neither offers nor runs them.
NEEDS_IDENTITY = frozenset({"bind", "unbind", "status", "subscribe", "unsubscribe"})


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
    is_group: bool = False  # a group chat: what is self-assessed goes to a private chat
    is_chat_admin: bool = False  # the sender administers this group (Telegram tells)
    # The message as the sender formatted it (bold, links…), as escaped HTML, where the
    # channel has formatting; staff's /notice keeps it.
    html_text: str | None = None
    # Makes a link that opens a private chat with the bot at ``payload`` (Telegram's
    # ``t.me/<bot>?start=<payload>``), where the channel has one.
    deep_link: Callable[[str], str | None] | None = None
    # What becomes of the pressed message's keyboard once the turn is answered: "keep",
    # "remove" (a one-shot prompt), or "drop:<prefix>" (only buttons whose data starts with
    # <prefix>: 👍/👎 once voted). The channel applies it.
    pressed: str = "keep"
    # The message is the user's edit of one already answered: a new question (or command),
    # never input to the flow that waits now (it would be recorded against another step).
    edited: bool = False
    # The input a command just ended (the dialogue ends it before any command runs): /cancel
    # says what it cancelled.
    ended_flow: str | None = None

    def owned(self, data: str) -> str:
        """Button data only this turn's user may press: ``prefix:rest`` becomes
        ``prefix~<owner>:rest`` (the dialogue refuses anyone else with a pop-up)."""
        prefix, sep, rest = data.partition(":")
        return f"{prefix}~{owner_tag(self.user_id)}{sep}{rest}"

    @property
    def pack(self) -> Pack:
        return self.dialogue.pack

    def offers(self, command: str) -> bool:
        """Whether this turn's channel runs ``/command`` (the web has no identity)."""
        return self.channel != "web" or command not in NEEDS_IDENTITY


def owner_tag(user_id: object) -> str:
    """A short tag of a user id for button data (64 bytes at most): six base-36 digits."""
    import zlib

    n = zlib.crc32(str(user_id).encode("utf-8"))
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    for _ in range(6):
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out


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
