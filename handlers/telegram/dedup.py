"""Each update is answered once, by one process, however often Telegram delivers it.

Telegram sends an update again when its webhook got no answer (a process killed mid-request,
a load balancer's timeout), and a restarted poller fetches again what it had not confirmed.
Before any handler runs, the update is claimed in ``telegram_update``; a process that finds it
claimed drops it. The claim is committed before the update is handled, so a process killed in
between loses that one update (it is never answered twice); rows older than
``KEEP_DAYS`` are purged (Telegram keeps an update for 24 hours at most).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from sqlalchemy import Engine, delete, insert
from sqlalchemy.exc import IntegrityError
from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.storage import write_lock
from bot.storage.models import TelegramUpdate, utcnow

logger = logging.getLogger(__name__)

ENGINE = "dedup_engine"  # bot_data key
KEEP_DAYS = 3
_CLAIM = insert(TelegramUpdate.__table__)  # type: ignore[arg-type]  # built once


def claim(engine: Engine, bot_id: int, update_id: int) -> bool:
    """True for the first process to take this update; False for every later delivery."""
    try:  # SQLite writers of this process queue instead of sleeping in the busy handler
        with write_lock(engine), engine.begin() as conn:
            conn.execute(_CLAIM, {"bot_id": bot_id, "update_id": update_id, "seen_at": utcnow()})
    except IntegrityError:
        return False
    return True


def purge(engine: Engine, now: dt.datetime | None = None) -> int:
    cutoff = (now or utcnow()) - dt.timedelta(days=KEEP_DAYS)
    with engine.begin() as conn:
        n = conn.execute(delete(TelegramUpdate).where(
            TelegramUpdate.seen_at < cutoff)).rowcount  # type: ignore[arg-type]
    return int(n or 0)


async def claim_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop an update another process (or an earlier delivery) has already taken."""
    engine: Engine | None = context.bot_data.get(ENGINE)
    if engine is None or not isinstance(update, Update) or update.inline_query is not None:
        return  # inline queries change nothing and are answered by id
    if await asyncio.to_thread(claim, engine, context.bot.id, update.update_id):
        return
    logger.info("update %s already taken; not answered again", update.update_id)
    raise ApplicationHandlerStop
