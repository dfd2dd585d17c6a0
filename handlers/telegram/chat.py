"""Messages: commands and text go to the dialogue; its replies are rendered back."""

from __future__ import annotations

import logging
import re

from telegram import Update
from telegram.ext import ContextTypes

from bot.turn import Reply
from handlers.telegram import texts
from handlers.telegram.common import (
    dialogue_of,
    in_group,
    is_group_admin,
    run_turn,
    send_replies,
)

logger = logging.getLogger(__name__)

# Only a group's admins (or staff) change the group's binding and records.
GROUP_ADMIN_COMMANDS = frozenset({"unbind", "forget"})


def command_name(text: str) -> tuple[str, str | None]:
    """``/Article@bot 15`` -> ("article", "bot")."""
    head = text[1:].split(maxsplit=1)[0] if len(text) > 1 else ""
    name, _, target = head.partition("@")
    return name.lower(), (target or None)


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a /command; in groups only those for this bot."""
    message = update.effective_message
    if message is None or not message.text:
        return
    name, target = command_name(message.text)
    if target and target.lower() != (context.bot.username or "").lower():
        return  # addressed to another bot in the group
    group = in_group(update)
    command = dialogue_of(context).commands.get(name)
    if group and command is not None and command.staff:
        await send_replies(context, message.chat_id, [Reply(texts.STAFF_IN_GROUP)],
                           group=True, reply_to=message.message_id)
        return
    admin = group and name in GROUP_ADMIN_COMMANDS and await is_group_admin(update, context)
    text = message.text
    replies, _ = await run_turn(update, context, lambda turn: dialogue_of(context).on_text(
        turn, text), is_chat_admin=admin)
    await send_replies(context, message.chat_id, replies, group=group,
                       reply_to=message.message_id)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer free text: always in private chats, in groups only when addressed."""
    message = update.effective_message
    if message is None or not message.text:
        return
    text = message.text
    group = in_group(update)
    if group:
        text = addressed_text(text, context.bot.username or "",
                              replying_to_bot=replies_to_bot(update, context.bot.id))
        if text is None:
            return
    replies, _ = await run_turn(update, context,
                                lambda turn: dialogue_of(context).on_text(turn, text))
    await send_replies(context, message.chat_id, replies, group=group,
                       reply_to=message.message_id)


def addressed_text(text: str, username: str, *, replying_to_bot: bool) -> str | None:
    """The text meant for the bot in a group message, or None when it is not addressed."""
    mention = re.compile(rf"@{re.escape(username)}\b", re.I) if username else None
    if mention is not None and mention.search(text):
        return mention.sub(" ", text).strip()
    return text if replying_to_bot else None


def replies_to_bot(update: Update, bot_id: int) -> bool:
    message = update.effective_message
    replied = message.reply_to_message if message else None
    return bool(replied and replied.from_user and replied.from_user.id == bot_id)
