"""Proactive messages through the Bot API: the ``send(chat_id, html)`` that reminders and
notices (bot/delivery.py) are given, with Telegram's errors turned into the core's."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from typing import Any

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.delivery import Blocked, Refused, RetryLater, Send, Unreachable


def chat_of(chat_id: str) -> int | str:
    """A stored chat id as the Bot API takes it (a number, or an @channel name)."""
    return int(chat_id) if re.fullmatch(r"-?[0-9]{1,20}", chat_id) else chat_id


def wait_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that retry_after becomes a timedelta
        warnings.simplefilter("ignore")
        retry_after: Any = error.retry_after
    if isinstance(retry_after, dt.timedelta):
        return retry_after.total_seconds()
    return float(retry_after)


def sender(bot: Any, *, link_preview: bool = True) -> Send:
    """Send HTML through ``bot`` (anything with an async ``send_message``): one try, the
    caller decides about waiting and retrying."""
    options = None if link_preview else LinkPreviewOptions(is_disabled=True)

    async def send(chat_id: str, html: str) -> None:
        try:
            await bot.send_message(chat_id=chat_of(chat_id), text=html,
                                   parse_mode=ParseMode.HTML, link_preview_options=options)
        except RetryAfter as e:
            raise RetryLater(wait_seconds(e), e.message) from e
        except Forbidden as e:
            raise Blocked(e.message) from e
        except BadRequest as e:  # a subclass of NetworkError: check it first
            if "chat not found" in e.message.lower():
                raise Blocked(e.message) from e
            raise Refused(e.message) from e
        except NetworkError as e:
            raise Unreachable(e.message) from e

    return send
