"""Button presses: answer the callback query first, then the dialogue's replies."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from handlers.telegram.common import dialogue_of, in_group, send_replies, turn_for, with_retry


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop the button's spinner, then send what the press means."""
    query = update.callback_query
    if query is None:
        return
    await with_retry(query.answer)
    if query.message is None:  # a button on an inline-mode message: nothing to reply to
        return
    replies = dialogue_of(context).on_button(turn_for(update, context), query.data or "")
    await send_replies(context, query.message.chat.id, replies, group=in_group(update))
