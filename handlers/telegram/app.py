"""Build the Telegram ``Application``: the one place where handlers are wired.

Token, Bot API base URL and proxy come from settings; sending goes through
``AIORateLimiter`` (Telegram's flood limits, retrying 429s); user state lives in the project's
database, one row per user and chat, held for each update and committed before the reply
(``bot.state``); an update delivered twice is answered once (``handlers.telegram.dedup``);
updates of different conversations run concurrently while each one's stay in order. At
start-up the command menus are set in Chinese per scope (private chats, groups, each staff
member's chat), with the bot's description and short description, and the reminder and
broadcast jobs are scheduled.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import Engine
from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ChatMemberHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.dialogue import Dialogue
from bot.registry import CODE_ALPHABET
from bot.settings import Settings

logger = logging.getLogger(__name__)

class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Run updates concurrently, but one at a time per user (their state is one dict)."""

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _owner(update)
        if key is None:
            await coroutine
            return
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


def _owner(update: object) -> int | None:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return None


def file_url_for(base_url: str) -> str:
    """The file download base for a Bot API base (``…/bot`` -> ``…/file/bot``)."""
    base = base_url.rstrip("/")
    if base.endswith("/bot"):
        return base[: -len("bot")] + "file/bot"
    return base.rsplit("/", 1)[0] + "/file/bot"


_SECRETS: set[str] = set()


# The registry's bind codes (three groups of four), wherever they stand, even next to CJK text.
_CODE_CHAR = f"[{CODE_ALPHABET}]"
_BIND_CODE = re.compile(rf"(?i)(?<![0-9A-Z]){_CODE_CHAR}{{4}}[-\s]?{_CODE_CHAR}{{4}}[-\s]?"
                        rf"{_CODE_CHAR}{{4}}(?![0-9A-Z])")
# What a user typed after /bind, even if wrong, and a deep link's bind_<code> (typed as
# "/start bind_…", or in a t.me link's start=bind_…).
_BIND_ARG = re.compile(r"(?i)(/bind(?:@\w+)?\s+|/start(?:@\w+)?\s+bind_|start=bind_)"
                       r"[^\s\"'\\&]+")


def redact_in_logs(secret: str) -> None:
    """Replace ``secret`` in every log record from now on (Bot API URLs carry the token).

    python-telegram-bot logs its API URL at DEBUG and httpx each request line at INFO; a
    record factory catches them all, whichever handler or level is configured later.
    """
    if not _SECRETS:
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001 - a broken record is logging's to report
                return record
            redacted = message
            for s in _SECRETS:
                redacted = redacted.replace(s, "<TELEGRAM_BOT_TOKEN>")
            # At DEBUG the library logs every sendMessage and update: bind codes too.
            redacted = _BIND_ARG.sub(r"\1<BIND_CODE>", _BIND_CODE.sub("<BIND_CODE>", redacted))
            if redacted != message:
                record.msg, record.args = redacted, None
            return record

        logging.setLogRecordFactory(factory)
    _SECRETS.add(secret)


def make_services(settings: Settings) -> Any:
    """The storage-backed services (migrations applied)."""
    from bot.services import Services

    return Services.from_settings(settings)


def build_application(
    settings: Settings,
    *,
    dialogue: Dialogue | None = None,
    engine: Engine | None = None,
    timeouts: float = 10.0,
    max_concurrent_updates: int = 64,
    schedule_jobs: bool = True,
    rate_limit: bool = True,
    post_init: Callable[[Application], Awaitable[None]] | None = None,
) -> Application:
    """The Telegram application for ``settings``; raises SettingsError on a bad setting."""
    from handlers.telegram.guard import FLOOD_GATE, FloodGate

    token = settings.require_token()
    redact_in_logs(token)
    if dialogue is None:
        dialogue = Dialogue(services=make_services(settings))
    if engine is None:
        engine = _engine_of(dialogue.services, settings)

    request_kw: dict[str, Any] = {"connect_timeout": timeouts, "read_timeout": timeouts,
                                  "write_timeout": timeouts, "pool_timeout": timeouts}
    if settings.telegram_proxy:
        request_kw["proxy"] = settings.telegram_proxy
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_base_url)
        .base_file_url(file_url_for(settings.telegram_base_url))
        .request(HTTPXRequest(connection_pool_size=max_concurrent_updates + 8, **request_kw))
        .get_updates_request(HTTPXRequest(connection_pool_size=2, **request_kw))
        .concurrent_updates(PerUserUpdateProcessor(max_concurrent_updates))
        .post_init(_make_post_init(settings, schedule_jobs, post_init))
    )
    if rate_limit:  # Telegram's limits (30 messages/s overall, 20/min per group); retries 429s
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    # No PTB persistence: it loads state once and writes it back later, which two processes
    # on one database would overwrite; each update holds its conversation's row instead.
    app = builder.build()
    from bot.state import MemoryStore, StateStore
    from handlers.telegram.dedup import ENGINE as DEDUP_ENGINE

    app.bot_data.update({"dialogue": dialogue, "admin_ids": frozenset(settings.admin_ids),
                         "settings": settings, FLOOD_GATE: FloodGate(),
                         "states": StateStore(engine) if engine is not None else MemoryStore(),
                         DEDUP_ENGINE: engine})
    add_handlers(app)
    return app


def add_handlers(app: Application) -> None:
    """Wire every handler; the flood guard runs first."""
    from handlers.telegram.buttons import on_button
    from handlers.telegram.chat import on_command, on_text
    from handlers.telegram.dedup import claim_update
    from handlers.telegram.documents import on_document
    from handlers.telegram.errors import on_error
    from handlers.telegram.guard import flood_guard
    from handlers.telegram.inline import on_inline
    from handlers.telegram.media import MEDIA, on_media
    from handlers.telegram.membership import on_my_membership

    app.add_handler(TypeHandler(Update, claim_update), group=-2)
    app.add_handler(TypeHandler(Update, flood_guard), group=-1)
    new_message = filters.UpdateType.MESSAGE
    # An edited message is a new question (its own update id: answered once, like any other).
    text_message = filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE
    app.add_handler(MessageHandler(text_message & filters.COMMAND, on_command))
    app.add_handler(MessageHandler(text_message & filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(MessageHandler(new_message & filters.Document.ALL & filters.ChatType.PRIVATE,
                                   on_document))
    app.add_handler(MessageHandler(new_message & MEDIA, on_media))  # the first match wins
    app.add_handler(ChatMemberHandler(on_my_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(InlineQueryHandler(on_inline))
    app.add_error_handler(on_error)


def bot_commands(dialogue: Dialogue, *, staff: bool = False,
                 group: bool = False) -> list[BotCommand]:
    """The command menu in Chinese: public commands, plus staff ones for staff; in groups only
    those that make sense there (``membership.GROUP_COMMANDS``)."""
    from handlers.telegram.membership import GROUP_COMMANDS

    return [BotCommand(c.name, c.description[:256])
            for c in dialogue.commands.values()
            if c.menu and (staff or not c.staff) and c.name.isascii() and c.name.islower()
            and (not group or c.name in GROUP_COMMANDS)]


async def set_profile(app: Application, settings: Settings) -> None:
    """The command menus per scope and the bot's descriptions, in Chinese.

    Telegram picks the narrowest scope that applies: a staff member's own chat, then private
    chats or groups, then the default. A description is only set when it differs (Telegram
    limits how often it may change; several processes start with the same one). A failure is
    logged: the bot answers without a menu.
    """
    from handlers.telegram import texts

    dialogue: Dialogue = app.bot_data["dialogue"]
    bot = app.bot
    public = bot_commands(dialogue)
    menus: list[tuple[str, Any, list[BotCommand]]] = [
        ("default", BotCommandScopeDefault(), public),
        ("private", BotCommandScopeAllPrivateChats(), public),
        ("group", BotCommandScopeAllGroupChats(), bot_commands(dialogue, group=True)),
    ]
    menus += [(f"staff {admin}", BotCommandScopeChat(admin), bot_commands(dialogue, staff=True))
              for admin in settings.admin_ids]
    for name, scope, commands in menus:
        try:
            await bot.set_my_commands(commands, scope=scope)
        except TelegramError as e:  # a staff member who has not opened a chat with the bot
            logger.warning("command menu (%s) not set: %s", name, e)
    pack = dialogue.pack
    names = {"title": pack.title, "doc": pack.doc_number}
    description = texts.DESCRIPTION.format(**names)[:512]
    short = texts.SHORT_DESCRIPTION.format(**names)[:120]
    try:
        if (await bot.get_my_description()).description != description:
            await bot.set_my_description(description)
    except TelegramError as e:
        logger.warning("bot description not set: %s", e)
    try:
        if (await bot.get_my_short_description()).short_description != short:
            await bot.set_my_short_description(short)
    except TelegramError as e:
        logger.warning("bot short description not set: %s", e)


def _make_post_init(settings: Settings, schedule_jobs: bool,
                    extra: Callable[[Application], Awaitable[None]] | None,
                    ) -> Callable[[Application], Awaitable[None]]:
    async def post_init(app: Application) -> None:
        await set_profile(app, settings)
        if schedule_jobs and app.job_queue is not None:
            _schedule(app, settings)
        if extra is not None:
            await extra(app)

    return post_init


def _schedule(app: Application, settings: Settings) -> None:
    from handlers.telegram.reminders import schedule_reminders

    schedule_reminders(app, settings, app.bot_data["dialogue"].services)
    from handlers.telegram.broadcast import schedule_broadcasts

    schedule_broadcasts(app)
    _schedule_purge(app, settings)


def _schedule_purge(app: Application, settings: Settings) -> None:
    """Delete logged questions past QUESTION_RETENTION_DAYS, daily and once at start-up."""
    from bot.features.teach import purge_expired

    async def purge(context: Any) -> None:
        try:
            n = await asyncio.to_thread(purge_expired, app.bot_data["dialogue"])
            engine = app.bot_data.get("dedup_engine")
            if engine is not None:
                from handlers.telegram import dedup

                await asyncio.to_thread(dedup.purge, engine)
        except Exception:  # noqa: BLE001 - the next run tries again
            logger.warning("question purge failed", exc_info=True)
        else:
            logger.info("purged %d logged questions past retention", n)

    assert app.job_queue is not None
    at = settings.reminder_time
    app.job_queue.run_daily(purge, time=at if at.tzinfo else at.replace(tzinfo=settings.tz),
                            name="question-purge")
    app.job_queue.run_once(purge, when=2, name="question-purge-startup")


def _engine_of(services: Any, settings: Settings) -> Engine | None:
    """The database engine the services use, or a new one on ``settings.db_url``."""
    engine = getattr(services, "engine", None)
    if isinstance(engine, Engine):
        return engine
    try:
        from bot.storage import make_engine, upgrade_database
    except ModuleNotFoundError:
        return None
    engine = make_engine(settings.db_url)
    upgrade_database(engine)
    return engine
