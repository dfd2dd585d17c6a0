"""Glue shared by the handlers: the dialogue turn for an update, and sending replies."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import Message, ReplyParameters, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import ContextTypes

from bot.dialogue import Dialogue
from bot.turn import Reply, Turn
from handlers.telegram.render import render

logger = logging.getLogger(__name__)

DIALOGUE = "dialogue"  # bot_data keys (bot_data itself is not persisted)
ADMIN_IDS = "admin_ids"
SEND_RETRIES = 3

T = TypeVar("T")


def dialogue_of(context: ContextTypes.DEFAULT_TYPE) -> Dialogue:
    return context.bot_data[DIALOGUE]


def is_staff(context: ContextTypes.DEFAULT_TYPE, user_id: int | None) -> bool:
    return user_id is not None and user_id in context.bot_data.get(ADMIN_IDS, frozenset())


def in_group(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


def turn_for(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Turn:
    """The dialogue turn for this update; the user's state is their persisted user_data."""
    user, chat = update.effective_user, update.effective_chat
    state = context.user_data if context.user_data is not None else {}
    return dialogue_of(context).turn(
        state,
        chat_id=str(chat.id) if chat else (str(user.id) if user else None),
        user_id=str(user.id) if user else None,
        is_staff=is_staff(context, user.id if user else None),
        channel="telegram",
    )


async def with_retry(call: Callable[[], Awaitable[T]]) -> T:
    """Run a Bot API call, retrying network failures and flood waits a few times.

    A request that timed out may have reached Telegram: a retry can then show a message
    twice, which is better than losing an answer.
    """
    for attempt in range(SEND_RETRIES + 1):
        try:
            return await call()
        except RetryAfter as e:
            if attempt == SEND_RETRIES:
                raise
            delay = e.retry_after
            await asyncio.sleep(delay if isinstance(delay, int | float)
                                else delay.total_seconds())
        except BadRequest:
            raise
        except NetworkError:
            if attempt == SEND_RETRIES:
                raise
            await asyncio.sleep(0.2 * 2**attempt)
    raise AssertionError("unreachable")


async def send_replies(context: ContextTypes.DEFAULT_TYPE, chat_id: int, replies: list[Reply],
                       *, group: bool = False, reply_to: int | None = None) -> list[Message]:
    """Send the dialogue's replies in order (long ones in several messages)."""
    sent: list[Message] = []
    for reply in replies:
        for kwargs in render(reply, group=group):
            extra: dict[str, Any] = {}
            if group and reply_to is not None and not sent:
                extra["reply_parameters"] = ReplyParameters(reply_to,
                                                            allow_sending_without_reply=True)
            sent.append(await with_retry(
                lambda kw=kwargs, ex=extra: context.bot.send_message(chat_id, **kw, **ex)))
    return sent
