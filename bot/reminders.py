"""Expiry reminders: plan the day's messages from the database, send them, record each one.

Milestones (days before ``valid_until``): 180, 90, 30, the last valid day, and the day after.
On a given day each (winner, chat) pair is due at most one milestone: the latest one reached.
So after downtime only the latest missed milestone goes out, never a burst. The expiry notice
stays due for a year (``EXPIRY_NOTICE_DAYS``), then the award drops out of planning.

Exactly once: a reminder is recorded in ``reminder_sent`` (primary key winner, chat,
milestone) right after Telegram accepted it, one commit per message, and planning skips pairs
whose due milestone is recorded. A crash between sending and recording can repeat that one
message on the next run; a message is never recorded before it was sent, so none is lost.

The schedule lives in the database, not in the job queue: ``schedule_reminders`` registers a
daily run and one at start-up, and each run asks the database what is due.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, exists, literal
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bot.storage.models import ACTIVE, INDIVIDUAL, REVOKED, Binding, ReminderSent, Winner
from bot.turn import esc
from knowledge.claims import load_claims
from knowledge.pack import Pack
from knowledge.validity import period

if TYPE_CHECKING:
    from sqlalchemy.orm import sessionmaker
    from telegram.ext import Application, Job

    from bot.services import Services
    from bot.settings import Settings

logger = logging.getLogger(__name__)

# (key, days before valid_until); the last entry is the day after the last valid day.
MILESTONES: tuple[tuple[str, int], ...] = (
    ("d180", 180), ("d90", 90), ("d30", 30), ("last_day", 0), ("expired", -1))
HORIZON = MILESTONES[0][1]
# The expiry notice is due for a year after the last valid day: long enough for any downtime,
# and a chat bound to an award that ended years ago learns its state from /status instead.
# This bounds planning to an index range of valid_until (about 6% of a 25-year roster).
EXPIRY_NOTICE_DAYS = 365
MAX_RETRY_AFTER = 3  # RetryAfter retries per message
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


def due_milestone(valid_until: dt.date, today: dt.date) -> str | None:
    """The latest milestone reached on ``today``, or None before the first."""
    due = None
    for key, days in MILESTONES:
        if today >= valid_until - dt.timedelta(days=days):
            due = key
    return due


def plan(session: Session, today: dt.date) -> list[Reminder]:
    """The reminders due today, one per (winner, chat) at most, not yet sent."""
    vu = col(Winner.valid_until)
    milestone = case(
        *[(vu <= today + dt.timedelta(days=days), literal(key))
          for key, days in reversed(MILESTONES)],
        else_=literal(None))
    sent = exists().where(and_(
        col(ReminderSent.winner_id) == col(Winner.id),
        col(ReminderSent.chat_id) == col(Binding.chat_id),
        col(ReminderSent.milestone) == milestone))
    other = aliased(Winner)
    barred = exists().where(and_(other.name_key == col(Winner.name_key),
                                 other.status == REVOKED))
    q = (select(Winner.id, Binding.chat_id, milestone, Winner.name, Winner.kind,
                Winner.award_year, Winner.valid_until, barred)
         .join(Binding, col(Binding.winner_id) == col(Winner.id))
         .where(Winner.status == ACTIVE)  # revoked winners get nothing more (第二十四条)
         .where(col(Binding.active).is_(True))
         .where(vu <= today + dt.timedelta(days=HORIZON))
         .where(vu >= today - dt.timedelta(days=EXPIRY_NOTICE_DAYS))
         .where(~sent)
         .order_by(Winner.valid_until, Winner.id, Binding.chat_id))
    return [Reminder(*row) for row in session.exec(q)]  # type: ignore[call-overload]


def record(session: Session, r: Reminder, at: dt.datetime) -> bool:
    """Record a sent reminder; False when it was already recorded (a concurrent run)."""
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
    planned: int = 0
    sent: int = 0
    blocked: int = 0  # Forbidden: bindings made inactive
    deferred: int = 0  # network trouble or a bad request: tried again at the next run


def _chat(chat_id: str) -> int | str:
    return int(chat_id) if re.fullmatch(r"-?[0-9]{1,20}", chat_id) else chat_id


def _wait_seconds(error: Any) -> float:
    import warnings

    with warnings.catch_warnings():  # PTB 22 warns that retry_after becomes a timedelta
        warnings.simplefilter("ignore")
        retry_after = error.retry_after
    if isinstance(retry_after, dt.timedelta):
        return retry_after.total_seconds()
    return float(retry_after)


async def send_due(bot: Any, sessions: sessionmaker[Session], pack: Pack, today: dt.date, *,
                   now: Callable[[], dt.datetime] | None = None,
                   sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> SendReport:
    """Send today's reminders through ``bot`` (anything with an async ``send_message``)."""
    from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

    from bot import registry

    clock = now or (lambda: dt.datetime.now(dt.UTC))
    with sessions() as s:
        due = plan(s, today)
    report = SendReport(planned=len(due))
    blocked: set[str] = set()
    network_failures = 0
    for r in due:
        if r.chat_id in blocked:
            continue
        text = render(r, pack, today)
        for attempt in range(MAX_RETRY_AFTER + 1):
            try:
                await bot.send_message(chat_id=_chat(r.chat_id), text=text, parse_mode="HTML",
                                       disable_web_page_preview=True)
            except RetryAfter as e:
                if attempt == MAX_RETRY_AFTER:
                    report.deferred += 1
                    break
                wait = _wait_seconds(e)
                logger.info("flood control: waiting %.0f s", wait)
                await sleep(wait)
                continue
            except Forbidden:
                logger.info("chat %s blocked the bot; its bindings are now inactive", r.chat_id)
                with sessions() as s:
                    registry.deactivate_chat(s, r.chat_id, clock())
                blocked.add(r.chat_id)
                report.blocked += 1
            except BadRequest as e:  # a subclass of NetworkError: check it first
                logger.warning("reminder to chat %s refused: %s", r.chat_id, e.message)
                if "chat not found" in e.message.lower():
                    with sessions() as s:
                        registry.deactivate_chat(s, r.chat_id, clock())
                    blocked.add(r.chat_id)
                report.deferred += 1
            except NetworkError as e:
                logger.warning("reminder to chat %s not sent (%s); next run retries",
                               r.chat_id, e.message)
                report.deferred += 1
                network_failures += 1
            else:
                network_failures = 0
                with sessions() as s:  # recorded only after Telegram accepted it
                    record(s, r, clock())
                report.sent += 1
            break
        if network_failures >= MAX_NETWORK_FAILURES:
            report.deferred += report.planned - report.sent - report.blocked - report.deferred
            logger.warning("network unavailable; the remaining reminders wait for the next run")
            break
    logger.info("reminders: %s", report)
    from bot import stats  # numbers for the office's /stats

    stats.record(sessions, today, stats.REMINDER_SENT, report.sent)
    stats.record(sessions, today, stats.REMINDER_FAILED, report.blocked + report.deferred)
    return report


def schedule_reminders(application: Application, settings: Settings,
                       services: Services | None = None) -> tuple[Job, Job]:
    """Run reminders daily at ``settings.reminder_time`` (in ``settings.tz``) and once now.

    PTB does not persist jobs; the database says what is due, so rebuilding this schedule at
    every start is all that is needed.
    """
    if application.job_queue is None:
        raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
    if services is None:
        from bot.services import Services

        services = Services.from_settings(settings)
    svc = services
    lock = asyncio.Lock()

    async def run(context: Any) -> None:
        async with lock:  # the start-up run and a daily run never overlap
            today = dt.datetime.now(settings.tz).date()
            try:
                await send_due(context.bot, svc.sessions, svc.pack, today)
            except Exception:
                logger.exception("reminder run failed; the next run tries again")

    at = settings.reminder_time
    if at.tzinfo is None:
        at = at.replace(tzinfo=settings.tz)
    daily = application.job_queue.run_daily(run, time=at, name="reminders-daily")
    startup = application.job_queue.run_once(run, when=1, name="reminders-startup")
    return daily, startup
