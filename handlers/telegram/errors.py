"""The one error handler: log with the stack, tell the user something useful, keep serving."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError
from telegram.ext import ContextTypes

from handlers.telegram import texts

logger = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure and apologise to the user whose update failed."""
    error = context.error
    if isinstance(error, Forbidden):
        logger.info("user blocked the bot: %s", error)
        return
    logger.error("error while handling an update", exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if isinstance(error, NetworkError) and not update.effective_message:
        return
    try:
        await context.bot.send_message(update.effective_chat.id, texts.ERROR)
    except Exception:  # noqa: BLE001 - the apology is best effort
        logger.warning("could not send the error note", exc_info=True)
