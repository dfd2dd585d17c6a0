"""Glue shared by the handlers: the dialogue turn for an update, and sending replies."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, ReplyParameters, Update
from telegram.constants import ChatAction, ChatMemberStatus, ChatType
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot.dialogue import Dialogue
from bot.state import conversation_key
from bot.turn import Reply, Turn
from handlers.telegram.render import render

logger = logging.getLogger(__name__)

DIALOGUE = "dialogue"  # bot_data keys (bot_data itself is not persisted)
ADMIN_IDS = "admin_ids"
STATES = "states"  # bot.state.StateStore (or MemoryStore without a database)
SEND_RETRIES = 3
TYPING_AFTER = 0.3  # seconds a turn may take before the chat shows "typing…"
TYPING_EVERY = 4.5  # Telegram shows a chat action for 5 s

T = TypeVar("T")


def dialogue_of(context: ContextTypes.DEFAULT_TYPE) -> Dialogue:
    return context.bot_data[DIALOGUE]


def is_staff(context: ContextTypes.DEFAULT_TYPE, user_id: int | None) -> bool:
    return user_id is not None and user_id in context.bot_data.get(ADMIN_IDS, frozenset())


def in_group(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


async def is_group_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether the sender administers this group (asked of Telegram; False when it cannot say)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return False
    try:
        member = await with_retry(lambda: context.bot.get_chat_member(chat.id, user.id))
    except TelegramError as e:
        logger.info("could not check admin rights in chat %s: %s", chat.id, e)
        return False
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


def conversation_of(update: Update) -> str:
    """The state key of this update's sender in this chat (bot.state)."""
    user, chat = update.effective_user, update.effective_chat
    chat_id = chat.id if chat else (user.id if user else "none")
    return conversation_key(chat_id, user.id if user else chat_id)


def turn_for(update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any], *,
             is_chat_admin: bool = False) -> Turn:
    """The dialogue turn for this update, on the conversation's state held for it."""
    user, chat = update.effective_user, update.effective_chat
    message = update.effective_message
    username = context.bot.username if context.bot else None
    html_text = None
    if message is not None and message.text and update.callback_query is None:
        try:
            html_text = message.text_html
        except (AttributeError, ValueError, TypeError):  # entities the library cannot render
            html_text = None
    return dialogue_of(context).turn(
        state,
        chat_id=str(chat.id) if chat else (str(user.id) if user else None),
        user_id=str(user.id) if user else None,
        is_staff=is_staff(context, user.id if user else None),
        channel="telegram",
        is_group=in_group(update),
        is_chat_admin=is_chat_admin,
        html_text=html_text,
        edited=update.edited_message is not None,
        deep_link=(lambda payload: f"https://t.me/{username}?start={payload}") if username
        else None,
    )


def states_of(context: ContextTypes.DEFAULT_TYPE) -> Any:
    return context.bot_data[STATES]


async def run_turn(update: Update, context: ContextTypes.DEFAULT_TYPE,
                   act: Callable[[Turn], list[Reply]], *,
                   is_chat_admin: bool = False) -> tuple[list[Reply], Turn]:
    """One turn of this update's conversation: its state held (locked against every process on
    the database), read fresh, the dialogue's answer, the state committed; only then does the
    caller send the replies. Runs in a worker thread (database and retrieval work)."""
    key = conversation_of(update)

    def work() -> tuple[list[Reply], Turn]:
        with states_of(context).hold(key) as state:
            turn = turn_for(update, context, state, is_chat_admin=is_chat_admin)
            return act(turn), turn

    chat = update.effective_chat
    return await typing_while(context, chat.id if chat else None, asyncio.to_thread(work),
                              group=in_group(update))


async def typing_while(context: ContextTypes.DEFAULT_TYPE, chat_id: int | None,
                       work: Awaitable[T], *, after: float | None = None,
                       group: bool = False) -> T:
    """Await ``work``; if it has not finished after ``after`` seconds (``TYPING_AFTER``), the
    chat shows "typing…" until it has (Telegram shows an action for 5 s: it is repeated).

    A fast turn makes no request, only a timer that is cancelled. The action is sent beside
    the work, never before it, so a slow Bot API or the rate limiter cannot delay the answer.
    Not in groups: the rate limiter counts a chat action against a group's 20 messages a
    minute.
    """
    if chat_id is None or group:
        return await work
    loop = asyncio.get_running_loop()
    typing: list[asyncio.Task[None]] = []
    timer = loop.call_later(TYPING_AFTER if after is None else after,
                            lambda: typing.append(loop.create_task(_keep_typing(context,
                                                                                chat_id))))
    try:
        return await work
    finally:
        timer.cancel()
        for task in typing:  # the answer is ready: a late action would show typing after it
            task.cancel()


async def _keep_typing(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
    while True:
        try:
            await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError as e:  # cosmetic: the answer follows anyway
            logger.debug("typing action not sent to %s: %s", chat_id, e)
        await asyncio.sleep(TYPING_EVERY)


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
    """Send the dialogue's replies in order (long ones in several messages); a pop-up note
    outside a button press is sent as a message."""
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


async def answer_press(context: ContextTypes.DEFAULT_TYPE, query: CallbackQuery,
                       replies: list[Reply], turn: Turn, *, group: bool) -> None:
    """After a button press: the pop-up (or an empty answer that stops the spinner), the
    pressed message's keyboard as the turn says, the reply that takes the pressed message's
    place edited into it, and the rest sent."""
    popups = [r for r in replies if r.popup]
    text = _plain(popups[0].html)[:200] if popups else None
    try:
        await with_retry(lambda: query.answer(text, show_alert=bool(text and len(text) > 60)))
    except BadRequest as e:  # the query is too old to answer: the rest still stands
        logger.info("callback query not answered: %s", e.message)
    message = query.message
    rest = [r for r in replies if not r.popup]
    if not isinstance(message, Message):  # an inline-mode message, or one too old to touch
        if message is not None and rest:
            await send_replies(context, message.chat.id, rest, group=group)
        return
    replace = next((r for r in rest if r.replace), None)
    if replace is not None:
        rest.remove(replace)
    elif turn.pressed != "keep":
        await _set_keyboard(message, _kept_keyboard(message, turn.pressed))
    if replace is not None:
        await _edit_into(context, message, replace, group=group)
    await send_replies(context, message.chat.id, rest, group=group)


def _kept_keyboard(message: Message, pressed: str) -> InlineKeyboardMarkup | None:
    """The pressed message's keyboard after the turn: none once a one-shot prompt is used, or
    without the buttons a ``drop:<prefix>`` names."""
    markup = message.reply_markup
    if pressed == "remove" or markup is None or not pressed.startswith("drop:"):
        return None
    prefix = pressed[len("drop:"):]
    rows = [[b for b in row
             if not (b.callback_data and str(b.callback_data).split(":", 1)[0]
                     .split("~", 1)[0] == prefix)]
            for row in markup.inline_keyboard]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


async def _set_keyboard(message: Message, markup: InlineKeyboardMarkup | None) -> None:
    try:
        await with_retry(lambda: message.edit_reply_markup(reply_markup=markup))
    except BadRequest as e:  # not modified, or too old to edit: nothing to undo
        logger.info("keyboard not changed: %s", e.message)


async def _edit_into(context: ContextTypes.DEFAULT_TYPE, message: Message, reply: Reply, *,
                     group: bool) -> None:
    """Edit ``message`` into ``reply`` (a long reply's first part; the rest follow as new
    messages); a message Telegram will not edit any more gets the reply as a new message."""
    parts = render(reply, group=group)
    first = dict(parts[0])
    first.pop("reply_markup", None)
    markup = parts[0].get("reply_markup") if len(parts) == 1 else None
    try:
        await with_retry(lambda: message.edit_text(**first, reply_markup=markup))
    except BadRequest as e:
        if "not modified" not in e.message.lower():
            logger.info("could not edit message %s (%s); sending anew", message.message_id,
                        e.message)
            await send_replies(context, message.chat.id, [reply], group=group)
            return
    for kwargs in parts[1:]:
        await with_retry(lambda kw=kwargs: context.bot.send_message(message.chat.id, **kw))


def _plain(html_text: str) -> str:
    import html as html_module
    import re

    return html_module.unescape(re.sub(r"<[^>]+>", "", html_text)).strip()
