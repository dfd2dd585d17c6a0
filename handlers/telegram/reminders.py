"""Expiry reminders (bot/reminders.py) on Telegram: sent through the Bot API, run daily and
at start-up by python-telegram-bot's JobQueue, and once by ``qabot remind``."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from bot import reminders
from bot.reminders import SendReport
from handlers.telegram.delivery import sender

if TYPE_CHECKING:
    from sqlalchemy.orm import sessionmaker
    from sqlmodel import Session
    from telegram.ext import Application, Job

    from bot.services import Services
    from bot.settings import Settings
    from knowledge.pack import Pack

logger = logging.getLogger(__name__)


async def send_due(bot: Any, sessions: sessionmaker[Session], pack: Pack, today: dt.date,
                   **kw: Any) -> SendReport:
    """Send today's reminders through ``bot`` (anything with an async ``send_message``)."""
    return await reminders.send_due(sender(bot, link_preview=False), sessions, pack, today,
                                    **kw)


async def remind_once(settings: Settings, services: Services, today: dt.date) -> SendReport:
    """One run with a Bot of its own (``qabot remind``)."""
    from telegram import Bot
    from telegram.request import HTTPXRequest

    request = HTTPXRequest(proxy=settings.telegram_proxy)
    async with Bot(settings.require_token(), base_url=settings.telegram_base_url,
                   request=request) as bot:
        return await send_due(bot, services.sessions, services.pack, today,
                              claim_seconds=settings.delivery_claim_seconds)


def schedule_reminders(application: Application, settings: Settings,
                       services: Services | None = None) -> tuple[Job, Job]:
    """Run reminders daily at ``settings.reminder_time`` (in ``settings.tz``) and once now.

    PTB does not persist jobs; the database says what is due (and what another process has
    claimed), so rebuilding this schedule at every start of every process is all it takes.
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
                await send_due(context.bot, svc.sessions, svc.pack, today,
                               claim_seconds=settings.delivery_claim_seconds)
            except Exception:
                logger.exception("reminder run failed; the next run tries again")

    at = settings.reminder_time
    if at.tzinfo is None:
        at = at.replace(tzinfo=settings.tz)
    daily = application.job_queue.run_daily(run, time=at, name="reminders-daily")
    startup = application.job_queue.run_once(run, when=1, name="reminders-startup")
    return daily, startup
