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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, exists, literal
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.storage.models import ACTIVE, INDIVIDUAL, Binding, ReminderSent, Winner
from bot.turn import esc
from knowledge.pack import Pack

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
    q = (select(Winner.id, Binding.chat_id, milestone, Winner.name, Winner.kind,
                Winner.award_year, Winner.valid_until)
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


def _sentence(pack: Pack, article: int, contains: str) -> str:
    for s in pack.regulation.article(article).sentences:
        if contains in s.text:
            return s.text
    return pack.regulation.article(article).text


def render(r: Reminder, pack: Pack, today: dt.date) -> str:
    """The reminder as Telegram HTML, quoting the clause that applies."""
    award = pack.award_name
    wording = f"{r.award_year}年度{award}"
    you = "您" if r.kind == INDIVIDUAL else "贵单位"
    a4 = pack.fact("validity_years").ref.label
    a17 = pack.regulation.article(17).label
    a21 = pack.regulation.article(21)
    use = _sentence(pack, 21, "需注明获奖年份")
    stop = _sentence(pack, 21, "超过有效期后")
    again = _sentence(pack, 17, "有效期满后可再次申报")
    no_prize = _sentence(pack, 17, "不再给予物质奖励")
    head = f"<b>{esc(award)}有效期提醒</b>\n{esc(r.name)}："
    until = r.valid_until.isoformat()
    if r.milestone in ("d180", "d90", "d30"):
        left = (r.valid_until - today).days
        return (f"{head}{you}的{esc(wording)}有效期至 {until}，还有 {left} 天"
                f"（{a4}：奖项有效期四年）。\n"
                f"有效期内可在形象宣传中使用荣誉称号，请写作“{esc(wording)}”，不得用于产品、"
                f"包装等产品宣传：\n<blockquote>{a21.label}：{esc(use)}</blockquote>\n"
                f"期满后可再次申报（{a17}）。")
    if r.milestone == "last_day":
        return (f"{head}今天（{until}）是{you}的{esc(wording)}有效期的最后一天。"
                f"明天起请停止使用荣誉称号，及时撤下宣传材料中的相关内容：\n"
                f"<blockquote>{a21.label}：{esc(stop)}</blockquote>\n"
                f"期满后可再次申报（{a17}）。")
    return (f"{head}{you}的{esc(wording)}已于 {until} 期满，请停止使用荣誉称号：\n"
            f"<blockquote>{a21.label}：{esc(stop)}</blockquote>\n"
            f"可在下一轮申报中再次申报；再次获奖的，不再给予奖金，也不占用当年名额：\n"
            f"<blockquote>{a17}：{esc(again)}{esc(no_prize)}</blockquote>")


# -- sending ---------------------------------------------------------------------------------


@dataclass
class SendReport:
    planned: int = 0
    sent: int = 0
    blocked: int = 0  # Forbidden: bindings made inactive
    deferred: int = 0  # network trouble or a bad request: tried again at the next run


def _chat(chat_id: str) -> int | str:
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


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
