"""Stickers, photos, voice, video, locations, contacts and files: one short hint of what the bot
reads (typed questions, /selfcheck, /help).

In groups only a message addressed to the bot (its caption mentions it, or it replies to the
bot) gets the hint. A burst (an album, ten stickers in a row) gets one: the hint is not
repeated in a conversation within ``QUIET`` seconds, held in the conversation's state so every
process agrees.
"""

from __future__ import annotations

import asyncio
import time

from telegram import Update
from telegram.ext import ContextTypes, filters

from bot.turn import Reply
from handlers.telegram import texts
from handlers.telegram.chat import addressed_text, replies_to_bot
from handlers.telegram.common import (
    conversation_of,
    in_group,
    is_staff,
    send_replies,
    states_of,
)

QUIET = 60.0  # seconds after a hint in which further media get none
HINTED = "tg_media_hint"  # conversation state key: {"at": epoch seconds, "album": id}

MEDIA = (filters.Sticker.ALL | filters.PHOTO | filters.VOICE | filters.AUDIO | filters.VIDEO
         | filters.VIDEO_NOTE | filters.ANIMATION | filters.LOCATION | filters.VENUE
         | filters.CONTACT | filters.Document.ALL | filters.POLL | filters.Dice.ALL)


async def on_media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Tell the sender, once, that the bot reads typed questions; in groups only if asked."""
    message = update.effective_message
    if message is None:
        return
    group = in_group(update)
    if group and addressed_text(message.caption or "", context.bot.username or "",
                                replying_to_bot=replies_to_bot(update, context.bot.id)) is None:
        return
    await send_hint(update, context)


async def send_hint(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The hint in reply to this message, unless the conversation had one just now."""
    message = update.effective_message
    if message is None or not await asyncio.to_thread(_first_of_burst, update, context):
        return
    user = update.effective_user
    staff = is_staff(context, user.id if user else None)
    text = texts.MEDIA_HINT_STAFF if staff else texts.MEDIA_HINT
    await send_replies(context, message.chat_id, [Reply(text)], group=in_group(update),
                       reply_to=message.message_id)


def _first_of_burst(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    message = update.effective_message
    album = message.media_group_id if message is not None else None
    now = time.time()
    with states_of(context).hold(conversation_of(update)) as state:
        last = state.get(HINTED)
        if isinstance(last, dict):
            if album is not None and last.get("album") == album:
                return False
            at = last.get("at")
            if isinstance(at, int | float) and 0 <= now - at < QUIET:
                return False
        state[HINTED] = {"at": now, "album": album}
    return True
