"""Added to a group: one short note of what the bot does there and what it does in private."""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.turn import Button, Reply, esc
from handlers.telegram import texts
from handlers.telegram.common import dialogue_of, send_replies

logger = logging.getLogger(__name__)

# What makes sense in a group: reading the measures and checking public records. The
# questionnaire's answers and a winner's binding belong in a private chat.
GROUP_COMMANDS = ("help", "article", "search", "toc", "verify", "usage")


async def on_my_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Acknowledge being added to a group; a promotion or removal says nothing."""
    change = update.my_chat_member
    if change is None or change.chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return
    if _present(change.old_chat_member) or not _present(change.new_chat_member):
        return
    new = change.new_chat_member
    if new.status == ChatMemberStatus.RESTRICTED and not getattr(new, "can_send_messages", False):
        return  # may not post there
    dialogue = dialogue_of(context)
    commands = " ".join(f"/{c}" for c in GROUP_COMMANDS if c in dialogue.commands)
    text = texts.ADDED_TO_GROUP.format(title=esc(dialogue.pack.title), commands=commands)
    username = context.bot.username
    buttons = [[Button(texts.PRIVATE_CHAT, url=f"https://t.me/{username}")]] if username else []
    logger.info("added to group %s by %s", change.chat.id, change.from_user.id)
    try:
        await send_replies(context, change.chat.id, [Reply(text, buttons)], group=True)
    except TelegramError as e:  # added and at once removed, or no right to post
        logger.info("could not greet group %s: %s", change.chat.id, e)


def _present(member: ChatMember) -> bool:
    if member.status in (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR,
                         ChatMemberStatus.OWNER):
        return True
    return member.status == ChatMemberStatus.RESTRICTED and bool(getattr(member, "is_member",
                                                                         False))
