"""Deliver staff notices to subscribers (bot.features.subscribe) through the Bot API."""

from __future__ import annotations

import asyncio
import logging

from telegram.constants import ParseMode
from telegram.error import Forbidden
from telegram.ext import Application, ContextTypes

from bot.features.feedback import sessions_of
from bot.features.subscribe import Blocked, deliver_pending
from handlers.telegram.common import dialogue_of, with_retry

logger = logging.getLogger(__name__)

LOCK = "broadcast_lock"
IDLE = "broadcast_idle"  # an asyncio.Event set whenever no delivery run is going on
RATE = "broadcast_per_second"
INTERVAL = 60.0  # seconds between checks for an unfinished notice (resumes after a failure)


def schedule_broadcasts(app: Application, interval: float = INTERVAL) -> None:
    """Check for unfinished notices at start-up and every ``interval`` seconds."""
    assert app.job_queue is not None
    app.job_queue.run_repeating(broadcast_job, interval=interval, first=1.0, name="broadcast")


def kick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start delivering a notice now rather than at the next check."""
    assert context.job_queue is not None
    context.job_queue.run_once(broadcast_job, 0, name="broadcast-now")


async def broadcast_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send unfinished notices; one run at a time."""
    factory = sessions_of(dialogue_of(context).services)
    if factory is None:
        return
    lock: asyncio.Lock = context.bot_data.setdefault(LOCK, asyncio.Lock())
    if lock.locked():
        return

    async def send(chat_id: str, html: str) -> None:
        try:
            await with_retry(lambda: context.bot.send_message(
                int(chat_id), html, parse_mode=ParseMode.HTML))
        except Forbidden as e:
            raise Blocked(str(e)) from e

    idle: asyncio.Event = context.bot_data.setdefault(IDLE, asyncio.Event())
    async with lock:
        idle.clear()
        try:
            stats = await deliver_pending(factory, send,
                                          per_second=context.bot_data.get(RATE, 20.0))
        finally:
            idle.set()
    if stats.sent or stats.blocked:
        logger.info("broadcast: %s sent, %s blocked, interrupted=%s",
                    stats.sent, stats.blocked, stats.interrupted)
