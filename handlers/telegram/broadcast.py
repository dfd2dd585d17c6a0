"""Deliver staff notices to subscribers (bot.features.subscribe) through the Bot API.

Every process serving the bot checks for unfinished notices; each (notice, chat) is claimed
in the database before it is sent, so however many check at once, each subscriber gets the
notice once (bot/delivery.py)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.orm import sessionmaker
from telegram.ext import Application, ContextTypes

from bot.delivery import CLAIM_SECONDS, Send, Unreachable
from bot.features.feedback import sessions_of
from bot.features.subscribe import DeliveryStats, deliver_pending
from handlers.telegram.common import SEND_RETRIES, dialogue_of
from handlers.telegram.delivery import sender

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


def notice_sender(bot: Any) -> Send:
    """Send through ``bot``, riding out a short network failure before giving up the run."""
    once = sender(bot)

    async def send(chat_id: str, html: str) -> None:
        for attempt in range(SEND_RETRIES + 1):
            try:
                return await once(chat_id, html)
            except Unreachable:
                if attempt == SEND_RETRIES:
                    raise
                await asyncio.sleep(0.2 * 2**attempt)

    return send


async def deliver(bot: Any, factory: sessionmaker, *, per_second: float = 20.0,
                  claim_seconds: float = CLAIM_SECONDS) -> DeliveryStats:
    """One delivery run through ``bot``; the log says what this process sent."""
    stats = await deliver_pending(factory, notice_sender(bot), per_second=per_second,
                                  claim_seconds=claim_seconds)
    if stats.sent or stats.blocked or stats.elsewhere:
        logger.info("broadcast: sent=%s blocked=%s elsewhere=%s finished=%s interrupted=%s",
                    stats.sent, stats.blocked, stats.elsewhere, stats.finished,
                    stats.interrupted)
    return stats


async def broadcast_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send unfinished notices; one run at a time in this process."""
    services = dialogue_of(context).services
    factory = sessions_of(services)
    if factory is None:
        return
    lock: asyncio.Lock = context.bot_data.setdefault(LOCK, asyncio.Lock())
    if lock.locked():
        return
    settings = getattr(services, "settings", None)
    claim_seconds = getattr(settings, "delivery_claim_seconds", CLAIM_SECONDS)
    idle: asyncio.Event = context.bot_data.setdefault(IDLE, asyncio.Event())
    async with lock:
        idle.clear()
        try:
            await deliver(context.bot, factory, per_second=context.bot_data.get(RATE, 20.0),
                          claim_seconds=claim_seconds)
        finally:
            idle.set()
