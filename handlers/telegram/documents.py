"""A roster file sent by staff as a document is imported into the winner registry.

Anyone else sending a roster-like file (CSV, .xlsx, .txt) is refused and the attempt logged;
any other file gets the media hint (``handlers.telegram.media``).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import PurePath

from telegram import Update
from telegram.ext import ContextTypes

from bot.roster_upload import import_roster_bytes
from bot.turn import Reply, esc
from handlers.telegram import texts
from handlers.telegram.common import (
    dialogue_of,
    is_staff,
    send_replies,
    typing_while,
    with_retry,
)
from handlers.telegram.media import send_hint

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
    name = doc.file_name or "roster.csv"
    roster_like = PurePath(name).suffix.lower() in SUFFIXES
    if not is_staff(context, user.id if user else None):
        if not roster_like:  # a PDF, a photo sent as a file…: not meant as a roster
            await send_hint(update, context)
            return
        logger.warning("non-staff user %s sent a document", user.id if user else None)
        await send_replies(context, message.chat_id, [Reply(texts.DOCUMENT_NOT_STAFF)])
        return
    if not roster_like:
        await send_replies(context, message.chat_id, [Reply(texts.DOCUMENT_BAD_TYPE)])
        return
    if (doc.file_size or 0) > MAX_BYTES:
        await send_replies(context, message.chat_id, [Reply(texts.DOCUMENT_TOO_BIG)])
        return
    services = dialogue_of(context).services
    if services is None:
        await send_replies(context, message.chat_id, [Reply(texts.DOCUMENT_NO_IMPORT)])
        return

    async def download_and_import() -> str:
        file = await with_retry(lambda: context.bot.get_file(doc.file_id))
        data = bytes(await with_retry(file.download_as_bytearray))
        return await asyncio.to_thread(import_roster_bytes, services, name, data)

    try:  # a large roster takes seconds: the chat shows "typing…" from the start
        summary = await typing_while(context, message.chat_id, download_and_import(), after=0)
    except Exception as e:  # noqa: BLE001 - shown to staff; nothing was written
        from knowledge.errors import QabotError

        if not isinstance(e, QabotError):
            raise
        await send_replies(context, message.chat_id,
                           [Reply(texts.IMPORT_FAILED.format(error=esc(str(e))))])
        return
    await send_replies(context, message.chat_id, [Reply(summary)])
