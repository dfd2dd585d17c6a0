"""Expiry reminders: plan the day's messages from the database, claim each, send, record.

Milestones (days before ``valid_until``): 180, 90, 30, the last valid day, and the day after.
On a given day each (winner, chat) pair is due at most one milestone: the latest one reached.
So after downtime only the latest missed milestone goes out, never a burst. The expiry notice
stays due for a year (``EXPIRY_NOTICE_DAYS``), then the award drops out of planning.

Once, from any number of processes (bot/delivery.py): before sending, a process claims the
reminder's ``reminder_sent`` row (primary key winner, chat, milestone) for a few minutes
(``DELIVERY_CLAIM_SECONDS``); only the claimant sends, and it sets ``sent_at`` once the
channel accepted the message, one commit per message. Planning skips pairs whose due milestone
is sent or claimed by a live holder. A failed send gives its claim up, so a later run retries.
A crash between sending and recording leaves a claim that expires, and a later run sends that
one message again; a message is never recorded before it was sent, so none is lost.

No channel here: ``send_due`` takes a ``send(chat_id, html)`` that raises bot.delivery's
exceptions. handlers/telegram/reminders.py sends through the Bot API and schedules the runs
(daily and at start-up); each run asks the database what is due.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, exists, func, literal, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bot import delivery
from bot.delivery import CLAIM_SECONDS, Outcome, Send
from bot.storage.models import ACTIVE, INDIVIDUAL, REVOKED, Binding, ReminderSent, Winner
from bot.turn import esc
from knowledge.claims import load_claims
from knowledge.pack import Pack
from knowledge.validity import period

if TYPE_CHECKING:
    from sqlalchemy.orm import sessionmaker

logger = logging.getLogger(__name__)

# (key, days before valid_until); the last entry is the day after the last valid day.
MILESTONES: tuple[tuple[str, int], ...] = (
    ("d180", 180), ("d90", 90), ("d30", 30), ("last_day", 0), ("expired", -1))
HORIZON = MILESTONES[0][1]
# The expiry notice is due for a year after the last valid day: long enough for any downtime,
# and a chat bound to an award that ended years ago learns its state from /status instead.
# This bounds planning to an index range of valid_until (about 6% of a 25-year roster).
EXPIRY_NOTICE_DAYS = 365
MAX_NETWORK_FAILURES = 3  # consecutive network errors end the run; the rest wait for the next


@dataclass(frozen=True)
class Reminder:
    winner_id: int
    chat_id: str
    milestone: str
    name: str
    kind: str
    award_year: int
    valid_until: dt.date
    # 第二十四条: another award of the same winner was revoked, so no "可再次申报"
    barred: bool = False
    # the last day of a later, unrevoked award of the same winner and kind that runs beyond
    # this one: the winner applies again after that one (第四条/第十七条), not after this
    later_until: dt.date | None = None


def due_milestone(valid_until: dt.date, today: dt.date) -> str | None:
    """The latest milestone reached on ``today``, or None before the first."""
    due = None
    for key, days in MILESTONES:
        if today >= valid_until - dt.timedelta(days=days):
            due = key
    return due


def plan(session: Session, today: dt.date, now: dt.datetime | None = None) -> list[Reminder]:
    """The reminders due today, one per (winner, chat) at most, neither sent nor claimed by a
    process alive at ``now`` (default: the current time)."""
    now = now or dt.datetime.now(dt.UTC)
    vu = col(Winner.valid_until)
    milestone = case(
        *[(vu <= today + dt.timedelta(days=days), literal(key))
          for key, days in reversed(MILESTONES)],
        else_=literal(None))
    taken = exists().where(and_(  # sent, or being sent by a live process
        col(ReminderSent.winner_id) == col(Winner.id),
        col(ReminderSent.chat_id) == col(Binding.chat_id),
        col(ReminderSent.milestone) == milestone,
        or_(col(ReminderSent.sent_at).is_not(None), col(ReminderSent.claimed_until) > now)))
    other = aliased(Winner)
    barred = exists().where(and_(other.name_key == col(Winner.name_key),
                                 other.status == REVOKED))
    newer = aliased(Winner)
    later_until = (select(func.max(newer.valid_until))
                   .where(newer.name_key == col(Winner.name_key), newer.kind == col(Winner.kind),
                          newer.status == ACTIVE, newer.valid_until > vu)
                   .scalar_subquery())
    q = (select(Winner.id, Binding.chat_id, milestone, Winner.name, Winner.kind,
                Winner.award_year, Winner.valid_until, barred, later_until)
         .join(Binding, col(Binding.winner_id) == col(Winner.id))
         .where(Winner.status == ACTIVE)  # revoked winners get nothing more (第二十四条)
         .where(col(Binding.active).is_(True))
         .where(vu <= today + dt.timedelta(days=HORIZON))
         .where(vu >= today - dt.timedelta(days=EXPIRY_NOTICE_DAYS))
         .where(~taken)
         .order_by(Winner.valid_until, Winner.id, Binding.chat_id))
    return [Reminder(*row) for row in session.exec(q)]  # type: ignore[call-overload]


def _key(r: Reminder) -> dict[str, Any]:
    return {"winner_id": r.winner_id, "chat_id": r.chat_id, "milestone": r.milestone}


_TABLE = ReminderSent.__table__  # type: ignore[attr-defined]


def claim(session: Session, r: Reminder, holder: str, now: dt.datetime,
          seconds: float = CLAIM_SECONDS) -> bool:
    """Take ``r`` for ``holder`` before sending it; False when it is sent or held elsewhere."""
    return delivery.claim(session, _TABLE, _key(r), holder, now, seconds)


def mark_sent(session: Session, r: Reminder, holder: str, at: dt.datetime) -> bool:
    """Record ``r`` as sent, right after the channel accepted it."""
    return delivery.mark_sent(session, _TABLE, _key(r), holder, at)


def record(session: Session, r: Reminder, at: dt.datetime) -> bool:
    """Record ``r`` as sent without claiming it first (it reached the chat some other way);
    False when it was already recorded."""
    session.add(ReminderSent(winner_id=r.winner_id, chat_id=r.chat_id, milestone=r.milestone,
                             sent_at=at))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


# -- the messages ----------------------------------------------------------------------------


def render(r: Reminder, pack: Pack, today: dt.date) -> str:
    """The reminder as Telegram HTML: every legal sentence from the pack's claims.yaml, with
    the clause it rests on quoted; the date to apply again only for a winner not barred by
    第二十四条."""
    claims = load_claims(pack)
    award = pack.award_name
    values = {"you": "您" if r.kind == INDIVIDUAL else "贵单位",
              "wording": esc(f"{r.award_year}年度{award}"), "until": r.valid_until.isoformat()}
    again = (r.valid_until + dt.timedelta(days=1)).isoformat()
    head = f"<b>{esc(award)}有效期提醒</b>\n{esc(r.name)}："

    def quoted(claim_id: str) -> str:
        label = claims.get(claim_id).refs[0]
        return f"\n<blockquote>{label.label}：{esc(claims.sentence(claim_id))}</blockquote>\n"

    if r.barred:
        tail = ""  # no date to apply again; the ban itself is never sent beside a date
    elif r.later_until is not None:  # a later award runs on: its end, not this one's, counts
        tail = claims.text("reminder.later_award_valid", until=r.later_until.isoformat(),
                           again=(r.later_until + dt.timedelta(days=1)).isoformat())
    elif r.milestone == "expired":
        tail = claims.text("reminder.next_round") + quoted("reminder.next_round").rstrip("\n")
    else:
        tail = claims.text("reminder.reapply_from", again=again)
    if r.milestone in ("d180", "d90", "d30"):
        return (head + claims.text("reminder.ahead", left=(r.valid_until - today).days, **values)
                + "\n" + claims.text("reminder.use", wording=values["wording"])
                + quoted("reminder.use") + tail).rstrip("\n")
    if r.milestone == "last_day":
        return (head + claims.text("reminder.last_day", **values)
                + quoted("reminder.expired") + tail).rstrip("\n")
    return (head + claims.text("reminder.expired", **values) + quoted("reminder.expired")
            + tail).rstrip("\n")


def basis(pack: Pack) -> str:
    """How the dates in reminders are counted (shown with them)."""
    return period(pack).basis


# -- sending ---------------------------------------------------------------------------------


@dataclass
class SendReport:
    """What one run of one process did."""

    planned: int = 0  # due and free when this process planned
    sent: int = 0  # by this process
    blocked: int = 0  # the chat blocked the bot or is gone: bindings made inactive
    deferred: int = 0  # network trouble or a refused message: tried again at the next run
    elsewhere: int = 0  # claimed or sent by another process first
    holder: str = ""

    def __str__(self) -> str:
        return (f"sent={self.sent} blocked={self.blocked} deferred={self.deferred} "
                f"elsewhere={self.elsewhere} planned={self.planned} holder={self.holder}")


async def send_due(send: Send, sessions: sessionmaker[Session], pack: Pack, today: dt.date, *,
                   holder: str | None = None, claim_seconds: float = CLAIM_SECONDS,
                   now: Callable[[], dt.datetime] | None = None,
                   sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> SendReport:
    """Send today's reminders through ``send(chat_id, html)``, each one claimed first, so
    processes running this at the same time send each reminder once between them."""
    from bot import registry

    clock = now or (lambda: dt.datetime.now(dt.UTC))
    holder = holder or delivery.process_holder()

    def db(fn: Callable[..., Any], *args: Any) -> Awaitable[Any]:
        def run() -> Any:
            with sessions() as s:
                return fn(s, *args)
        return asyncio.to_thread(run)

    due = await db(plan, today, clock())
    report = SendReport(planned=len(due), holder=holder)
    blocked: set[str] = set()
    network_failures = 0
    for n, r in enumerate(due):
        if r.chat_id in blocked:
            continue
        if not await db(claim, r, holder, clock(), claim_seconds):
            report.elsewhere += 1
            continue

        async def keep(r: Reminder = r) -> bool:  # before sending again after a long wait
            return bool(await db(delivery.extend, _TABLE, _key(r), holder, clock(),
                                 claim_seconds))

        try:
            outcome, error = await delivery.send_held(send, r.chat_id, render(r, pack, today),
                                                      keep=keep, sleep=sleep)
        except Exception:
            await db(delivery.release, _TABLE, _key(r), holder)
            raise
        if outcome is Outcome.SENT:
            network_failures = 0
            await db(mark_sent, r, holder, clock())  # only after the channel accepted it
            report.sent += 1
            continue
        if outcome is Outcome.LOST:
            report.elsewhere += 1
            continue
        await db(delivery.release, _TABLE, _key(r), holder)
        if outcome is Outcome.BLOCKED:
            logger.info("chat %s blocked the bot or is gone; its bindings are now inactive",
                        r.chat_id)
            await db(registry.deactivate_chat, r.chat_id, clock())
            blocked.add(r.chat_id)
            report.blocked += 1
            continue
        report.deferred += 1
        if outcome is Outcome.UNREACHABLE:
            logger.warning("reminder to chat %s not sent (%s); next run retries", r.chat_id,
                           error)
            network_failures += 1
        else:
            logger.warning("reminder to chat %s not sent (%s): %s; next run retries",
                           r.chat_id, outcome.value, error)
        if network_failures >= MAX_NETWORK_FAILURES:
            left = sum(1 for later in due[n + 1:] if later.chat_id not in blocked)
            report.deferred += left
            logger.warning("network unavailable; the remaining reminders wait for the next run")
            break
    logger.info("reminders: %s", report)
    from bot import stats  # numbers for the office's /stats

    stats.record(sessions, today, stats.REMINDER_SENT, report.sent)
    stats.record(sessions, today, stats.REMINDER_FAILED, report.blocked + report.deferred)
    return report
