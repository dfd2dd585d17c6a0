"""Claim, then send: a proactive message goes out once, whichever processes serve the bot.

A reminder (``reminder_sent``: winner, chat, milestone) or a notice (``broadcast_delivery``:
broadcast, chat) is claimed before it is sent: a row with the sending process as ``holder``,
``claimed_until`` a few minutes ahead and ``sent_at`` empty. Every process skips a row that is
sent or claimed by a live holder. Once the channel accepted the message, ``sent_at`` is set
(only while still the holder). A send that fails releases its claim (the row is deleted), so
a later run tries again. A holder that dies leaves its claim to expire, then any process may
take it over (a compare-and-set UPDATE) and send again: at most one repeat per crash (when it
died between the channel accepting and the record), never a loss.

On PostgreSQL a second INSERT of the same key waits for the first transaction and then fails,
and a takeover UPDATE re-checks its condition once a concurrent one commits, so one process
wins each claim; SQLite has one writer at a time. Claim times are each process's clock: hosts
sharing a database need clocks in step (NTP) to well within the claim time.

The channel's ``send(chat_id, html)`` raises the exceptions below, never its library's own,
so this module, the reminders and the notices know no channel.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import Table, and_, delete, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

logger = logging.getLogger(__name__)

CLAIM_SECONDS = 300.0  # DELIVERY_CLAIM_SECONDS: longer than any one send with its retries
MAX_RETRY_AFTER = 3  # flood-control waits per message before it is left for a later run

Send = Callable[[str, str], Awaitable[None]]


class DeliveryError(Exception):
    """A channel could not deliver a message."""


class Blocked(DeliveryError):
    """The chat blocked the bot or no longer exists (Telegram's 403, "chat not found"):
    send it nothing more."""


class RetryLater(DeliveryError):
    """Flood control: the channel asks to wait ``seconds`` before the next message."""

    def __init__(self, seconds: float, message: str = "") -> None:
        super().__init__(message or f"retry after {seconds:g} s")
        self.seconds = seconds


class Refused(DeliveryError):
    """The channel refused this message (a bad request); a later run tries again."""


class Unreachable(DeliveryError):
    """The channel could not be reached (network trouble); a later run tries again."""


_holder: tuple[int, str] | None = None


def process_holder() -> str:
    """This process's name in claims: host, pid and a random tag (a pid can be reused)."""
    global _holder
    if _holder is None or _holder[0] != os.getpid():
        _holder = (os.getpid(), f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}")
    return _holder[1]


def taken(table: Table, now: dt.datetime) -> ColumnElement[bool]:
    """A row that is sent, or claimed by a holder still alive at ``now``."""
    c = table.c
    return or_(c.sent_at.is_not(None), c.claimed_until > now)


def _key(table: Table, key: dict[str, Any]) -> ColumnElement[bool]:
    return and_(*(table.c[name] == value for name, value in key.items()))


def claim(session: Session, table: Table, key: dict[str, Any], holder: str,
          now: dt.datetime, seconds: float = CLAIM_SECONDS) -> bool:
    """Take the message at ``key`` for ``holder`` until ``now + seconds``: a new row, or a
    claim whose holder's time ran out. False when it is sent or another holder has it."""
    until = now + dt.timedelta(seconds=seconds)
    try:
        session.execute(insert(table).values(**key, holder=holder, claimed_until=until,
                                             sent_at=None))
        session.commit()
        return True
    except IntegrityError:
        session.rollback()
    c = table.c
    won = session.execute(update(table).where(_key(table, key), c.sent_at.is_(None),
                                              or_(c.claimed_until.is_(None),
                                                  c.claimed_until <= now))
                          .values(holder=holder, claimed_until=until)).rowcount
    session.commit()
    if won:
        logger.info("took over an expired claim on %s %s", table.name, key)
    return bool(won)


def extend(session: Session, table: Table, key: dict[str, Any], holder: str,
           now: dt.datetime, seconds: float = CLAIM_SECONDS) -> bool:
    """Keep the claim for another ``seconds`` (before sending after a long wait); False when
    it is no longer this holder's."""
    c = table.c
    kept = session.execute(update(table).where(_key(table, key), c.holder == holder,
                                               c.sent_at.is_(None))
                           .values(claimed_until=now + dt.timedelta(seconds=seconds))).rowcount
    session.commit()
    return bool(kept)


def mark_sent(session: Session, table: Table, key: dict[str, Any], holder: str,
              at: dt.datetime) -> bool:
    """Record the message as sent; False when the claim had passed to another holder."""
    c = table.c
    done = session.execute(update(table).where(_key(table, key), c.holder == holder,
                                               c.sent_at.is_(None))
                           .values(sent_at=at)).rowcount
    session.commit()
    if not done:
        logger.warning("%s %s was sent but its claim had passed to another process",
                       table.name, key)
    return bool(done)


def release(session: Session, table: Table, key: dict[str, Any], holder: str) -> None:
    """Give the claim up unsent, so any process may send it at its next run."""
    c = table.c
    session.execute(delete(table).where(_key(table, key), c.holder == holder,
                                        c.sent_at.is_(None)))
    session.commit()


class Outcome(enum.Enum):
    SENT = "sent"
    BLOCKED = "blocked"  # Blocked: the chat is unreachable for good
    REFUSED = "refused"  # Refused: this message, not the network
    UNREACHABLE = "unreachable"  # Unreachable
    GAVE_UP = "gave_up"  # RetryLater more than MAX_RETRY_AFTER times
    LOST = "lost"  # the claim passed to another process during a wait: not sent


async def send_held(send: Send, chat_id: str, html: str, *,
                    keep: Callable[[], Awaitable[bool]],
                    sleep: Callable[[float], Awaitable[Any]],
                    retries: int = MAX_RETRY_AFTER) -> tuple[Outcome, DeliveryError | None]:
    """Send one claimed message, waiting out flood control; after each wait the claim is
    checked and extended by ``keep()`` before the next try."""
    for attempt in range(retries + 1):
        try:
            await send(chat_id, html)
        except RetryLater as e:
            if attempt == retries:
                return Outcome.GAVE_UP, e
            logger.info("flood control: waiting %.0f s", e.seconds)
            await sleep(e.seconds)
            if not await keep():
                return Outcome.LOST, e
            continue
        except Blocked as e:
            return Outcome.BLOCKED, e
        except Refused as e:
            return Outcome.REFUSED, e
        except Unreachable as e:
            return Outcome.UNREACHABLE, e
        return Outcome.SENT, None
    raise AssertionError("unreachable")
