"""A roster file sent by staff as a document is imported into the winner registry."""

from __future__ import annotations

import asyncio
import logging
from pathlib import PurePath

from telegram import Update
from telegram.ext import ContextTypes

from bot.roster_upload import import_roster_bytes
from bot.turn import Reply, esc
from handlers.telegram import texts
from handlers.telegram.common import dialogue_of, is_staff, send_replies, with_retry

logger = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
SUFFIXES = {".csv", ".xlsx", ".txt"}


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Import a roster from staff; refuse anyone else politely (and log the attempt)."""
    message = update.effective_message
    user = update.effective_user
    if message is None or message.document is None:
        return
    doc = message.document
    if not is_staff(context, user.id if user else None):
        logger.warning("non-staff user %s sent a document", user.id if user else None)
        await send_replies(context, message.chat_id, [Reply(texts.DOCUMENT_NOT_STAFF)])
        return
    name = doc.file_name or "roster.csv"
    if PurePath(name).suffix.lower() not in SUFFIXES:
        await send_replies(context, message.chat_id, [Reply(texts.DOCUMENT_BAD_TYPE)])
        return
    if (doc.file_size or 0) > MAX_BYTES:
        await send_replies(context, message.chat_id, [Reply(texts.DOCUMENT_TOO_BIG)])
        return
    file = await with_retry(lambda: context.bot.get_file(doc.file_id))
    data = bytes(await with_retry(file.download_as_bytearray))
    services = dialogue_of(context).services
    if services is None:
        await send_replies(context, message.chat_id, [Reply(texts.DOCUMENT_NO_IMPORT)])
        return
    try:
        summary = await asyncio.to_thread(import_roster_bytes, services, name, data)
    except Exception as e:  # noqa: BLE001 - shown to staff; nothing was written
        from knowledge.errors import QabotError

        if not isinstance(e, QabotError):
            raise
        await send_replies(context, message.chat_id,
                           [Reply(texts.IMPORT_FAILED.format(error=esc(str(e))))])
        return
    await send_replies(context, message.chat_id, [Reply(summary)])
