"""Per-user flood control: a user sending dozens of messages a second is slowed, politely.

Runs before every other handler (group -1). Counts each user's updates in a sliding window;
over the limit, updates are dropped and the user gets one note per window. Others are
unaffected. Inline queries are not counted (Telegram sends one per keystroke).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from handlers.telegram import texts

logger = logging.getLogger(__name__)

FLOOD_GATE = "flood_gate"  # bot_data key


class FloodGate:
    """At most ``limit`` updates per user in any ``window`` seconds."""

    def __init__(self, limit: int = 20, window: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._seen: dict[int, deque[float]] = {}
        self._noted: dict[int, float] = {}

    def admit(self, user_id: int) -> bool:
        now = self.clock()
        seen = self._seen.setdefault(user_id, deque())
        while seen and now - seen[0] > self.window:
            seen.popleft()
        if len(seen) >= self.limit:
            return False
        seen.append(now)
        if len(self._seen) > 10_000:  # forget idle users
            for uid in [u for u, s in self._seen.items() if not s or now - s[-1] > self.window]:
                del self._seen[uid]
        return True

    def should_note(self, user_id: int) -> bool:
        """True once per window for a throttled user."""
        now = self.clock()
        if now - self._noted.get(user_id, -1e9) > self.window:
            self._noted[user_id] = now
            return True
        return False


async def flood_guard(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Drop an update from a user who is flooding, with one polite note."""
    user = update.effective_user
    gate: FloodGate | None = context.bot_data.get(FLOOD_GATE)
    if user is None or gate is None or update.inline_query is not None:
        return
    if gate.admit(user.id):
        return
    if gate.should_note(user.id):
        logger.info("flood control: slowing user %s", user.id)
        if update.callback_query is not None:
            await update.callback_query.answer(texts.FLOOD, show_alert=False)
        elif update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, texts.FLOOD)
    elif update.callback_query is not None:
        await update.callback_query.answer()
    raise ApplicationHandlerStop
