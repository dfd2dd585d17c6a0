"""The channel-agnostic dialogue: what the bot answers to a text or a button press.

``qabot chat`` renders it in a terminal and the Telegram handlers render it in chat, so a
feature is written once. Replies are a small, escaped subset of Telegram HTML (``<b>``, ``<i>``,
``<code>``, ``<blockquote>``) with rows of buttons; per-user state is a JSON-serialisable dict
(Telegram's ``user_data``) that the channel keeps and hands back on the next turn.

Features live in ``bot/features/*`` and register commands and button prefixes here; they
import the turn and reply types from ``bot.turn``, so nothing imports back into this module.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from bot import configured
from bot.features import register_all
from bot.turn import (
    ButtonFunc,
    Command,
    CommandFunc,
    FlowFunc,
    Reply,
    Turn,
    esc,
    owner_tag,
)
from knowledge.cache import paused_gc
from knowledge.pack import Pack

logger = logging.getLogger(__name__)

DB_UNAVAILABLE = "数据库暂时不可用，请稍后再试。"
STAFF_ONLY = "抱歉，这个命令仅限质量奖办公室工作人员使用。"
NOT_YOURS = "这个按钮属于另一位用户的对话，您点它不会改变任何内容。您可以自己发送命令或问题。"

Listener = Callable[[str, Turn, dict[str, Any]], None]


def is_database_outage(error: BaseException) -> bool:
    """A database that is down or locked (PostgreSQL restarting, SQLite locked past its busy
    timeout). Checked lazily: importing sqlalchemy costs ~0.1 s that `qabot ask` never needs,
    and an error can only come from sqlalchemy once sqlalchemy is loaded."""
    exc = sys.modules.get("sqlalchemy.exc")
    if exc is None:
        return False
    return isinstance(error, (exc.DBAPIError, exc.TimeoutError))


class Dialogue:
    """Routes commands, free text and button presses to the registered features."""

    def __init__(self, pack: Pack | None = None, services: Any = None,
                 features: list[str] | None = None) -> None:
        # the registry's pack when there is one, else QABOT_KNOWLEDGE_PACK (bot.configured): a
        # date from /status and from a free question is counted by the same rule
        self.pack = pack or getattr(services, "pack", None) or configured.pack()
        self.services = services  # storage-backed services (registry, bindings), if any
        self.commands: dict[str, Command] = {}
        self.buttons: dict[str, ButtonFunc] = {}
        self.staff_buttons: set[str] = set()  # prefixes only staff may press
        self.flows: dict[str, FlowFunc] = {}
        self.fallback: CommandFunc | None = None
        self.listeners: list[Listener] = []
        # Functions that see every turn's replies (e.g. the notice that the measures were
        # revised): (turn, what was asked: "/article", "btn:art" or "text", replies) -> replies
        self.reply_filters: list[Callable[[Turn, str, list[Reply]], list[Reply]]] = []
        self._tz = ZoneInfo(str(self.pack.meta.get("timezone", "Asia/Shanghai")))
        with paused_gc():  # the features' imports: a burst of long-lived objects
            register_all(self, features)

    # -- registration -------------------------------------------------------------------
    def command(self, name: str, description: str, *, staff: bool = False,
                menu: bool = True) -> Callable[[CommandFunc], CommandFunc]:
        def deco(func: CommandFunc) -> CommandFunc:
            self.commands[name] = Command(name, func, description, staff, menu)
            return func

        return deco

    def button(self, prefix: str, *, staff: bool = False) -> Callable[[ButtonFunc], ButtonFunc]:
        """Handle button data ``prefix:rest``; the function gets ``rest``. A staff button
        refuses everyone else, whatever the data says."""

        def deco(func: ButtonFunc) -> ButtonFunc:
            self.buttons[prefix] = func
            if staff:
                self.staff_buttons.add(prefix)
            return func

        return deco

    def flow(self, name: str) -> Callable[[FlowFunc], FlowFunc]:
        """Handle free text while ``state["flow"] == name``; return None to let it pass."""

        def deco(func: FlowFunc) -> FlowFunc:
            self.flows[name] = func
            return func

        return deco

    # -- events (metrics) ---------------------------------------------------------------
    def listen(self, listener: Listener) -> None:
        """Call ``listener(event, turn, data)`` on every event: ``turn`` (seconds),
        ``question`` (answered), ``selfcheck_started``, ``selfcheck_finished`` (verdict),
        ``error``."""
        self.listeners.append(listener)

    def emit(self, event: str, turn: Turn, **data: Any) -> None:
        for listener in self.listeners:
            try:
                listener(event, turn, data)
            except Exception:  # a broken metric must never cost a user a reply
                logger.warning("event listener failed on %s", event, exc_info=True)

    # -- turns --------------------------------------------------------------------------
    def today(self) -> dt.date:
        return dt.datetime.now(self._tz).date()

    def turn(self, state: dict[str, Any], **kw: Any) -> Turn:
        kw.setdefault("today", self.today())
        return Turn(self, state, **kw)

    def on_text(self, turn: Turn, text: str) -> list[Reply]:
        """Answer a message: a /command, input to the running flow, or a free question."""
        return self._timed(turn, self._on_text, text)

    def on_button(self, turn: Turn, data: str) -> list[Reply]:
        """Answer a button press; data from an old or forged message gets a polite note."""
        return self._timed(turn, self._on_button, data)

    def _timed(self, turn: Turn, handle: Callable[[Turn, str], list[Reply]],
               arg: str) -> list[Reply]:
        start = time.perf_counter()
        try:
            return handle(turn, arg)
        except Exception as e:
            self.emit("error", turn, database=is_database_outage(e))
            if not is_database_outage(e):
                raise
            logger.warning("database unavailable for user %s", turn.user_id, exc_info=True)
            return [Reply(DB_UNAVAILABLE)]
        finally:
            self.emit("turn", turn, seconds=time.perf_counter() - start)

    def _filtered(self, turn: Turn, asked: str, replies: list[Reply]) -> list[Reply]:
        for f in self.reply_filters:
            replies = f(turn, asked, replies)
        return replies

    def _on_text(self, turn: Turn, text: str) -> list[Reply]:
        text = _clean(text)
        if text.startswith(("/", "／")):
            asked = "/" + text[1:].partition(" ")[0].split("@", 1)[0].lower()
        else:
            asked = "text"
        return self._filtered(turn, asked, self._answer_text(turn, text))

    def _answer_text(self, turn: Turn, text: str) -> list[Reply]:
        if not text:
            return [Reply("请输入您的问题，例如：<i>公示期几天</i>。发送 /help 查看全部功能。")]
        if text.startswith(("/", "／")):
            name, _, arg = text[1:].partition(" ")
            name = name.split("@", 1)[0].lower()
            cmd = self.commands.get(name)
            if cmd is None:
                return [Reply(f"没有 /{esc(name[:30])} 这个命令。发送 /help 查看可用命令。")]
            if cmd.staff and not turn.is_staff:
                logger.warning("non-staff user %s tried staff command /%s", turn.user_id, name)
                return [Reply(STAFF_ONLY)]
            # Any command ends input the bot was waiting for (/usage, then /help, then a
            # question: the question is a question). A flow that survives a command (the
            # questionnaire's buttons) keeps its own data and re-arms itself on a press.
            turn.ended_flow = turn.state.pop("flow", None)
            return cmd.func(turn, arg.strip())
        flow = turn.state.get("flow")
        if flow in self.flows and not turn.edited:
            replies = self.flows[flow](turn, text)
            if replies is not None:
                return replies
        if self.fallback is None:
            return [Reply("抱歉，暂时无法回答。")]
        return self.fallback(turn, text)

    def _on_button(self, turn: Turn, data: str) -> list[Reply]:
        prefix, _, rest = (data or "").partition(":")
        prefix, mark, owner = prefix.partition("~")
        if mark and owner != owner_tag(turn.user_id):
            # a button of another user's message (a group): it changes nothing
            return [Reply(NOT_YOURS, popup=True)]
        func = self.buttons.get(prefix)
        if func is None:
            return [Reply("这个按钮已失效，请重新发送命令或问题。")]
        if prefix in self.staff_buttons and not turn.is_staff:
            logger.warning("non-staff user %s pressed a staff button %s", turn.user_id, prefix)
            return [Reply(STAFF_ONLY)]
        return self._filtered(turn, f"btn:{prefix}", func(turn, rest))


def _clean(text: str) -> str:
    # Control and zero-width characters carry no meaning in a question; drop them.
    out = "".join(c for c in (text or "") if c.isprintable() or c in "\n\t")
    out = out.replace("\u200b", "").replace("\u200c", "").replace("\u200d", "").replace("\ufeff", "")
    return out.strip()
