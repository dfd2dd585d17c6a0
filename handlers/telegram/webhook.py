"""Telegram's webhook as a Starlette route, python-telegram-bot's documented custom-webhook way.

The route parses the POSTed JSON into an ``Update`` and puts it on the application's
``update_queue``; ``running`` starts the ``Application`` beside the web server in the same
event loop and stops it with the server (examples ``customwebhookbot/starlettebot.py``).
With ``WEBHOOK_SECRET_TOKEN`` set, a request without that ``X-Telegram-Bot-Api-Secret-Token``
gets 403 (checked in constant time), so a stranger who finds the URL cannot inject updates.

The webhook's path is ``/telegram/webhook``. ``WEBHOOK_URL`` is the public URL Telegram is told
to call: a bare origin (``https://bot.example.org``) gets ``/telegram/webhook`` appended; a URL
with a path of its own (``https://bot.example.org/hook/tg``) is called as it is, and that path
is received too, beside ``/telegram/webhook`` (for a reverse proxy that passes paths through).

``qabot serve`` adds these routes to the web chat's app; ``qabot run --webhook`` serves them
alone. Without Telegram configured, ``qabot serve`` still answers ``POST /telegram/webhook``:
a 404 whose JSON says so (:func:`not_configured_route`).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from knowledge.numerals import parse_int

logger = logging.getLogger(__name__)

SECRET_HEADER = "x-telegram-bot-api-secret-token"
MAX_BODY = 1 << 20  # Telegram's updates are far smaller
WEBHOOK_PATH = "/telegram/webhook"

# -- user-facing text, kept together for review ----------------------------------------------
T_NOT_CONFIGURED = ("本服务没有接收 Telegram 消息：需要设置 TELEGRAM_BOT_TOKEN 和 WEBHOOK_URL，"
                    "并且启动时不带 --no-telegram。")


def public_url(webhook_url: str) -> str:
    """The URL Telegram is told to call: ``WEBHOOK_URL``, with ``/telegram/webhook`` added to
    a bare origin."""
    parts = urlsplit(webhook_url)
    if parts.path in ("", "/"):
        return urlunsplit(parts._replace(path=WEBHOOK_PATH))
    return webhook_url


def paths_of(webhook_url: str) -> list[str]:
    """The paths the webhook is received on: ``/telegram/webhook``, and the path of
    ``WEBHOOK_URL`` when it names another."""
    path = urlsplit(public_url(webhook_url)).path
    return [WEBHOOK_PATH] if path == WEBHOOK_PATH else [WEBHOOK_PATH, path]


def webhook_routes(app: Application, webhook_url: str, secret_token: str | None) -> list[Route]:
    """``POST`` on each of :func:`paths_of`: an update from Telegram onto the update queue."""
    return [webhook_route(app, path, secret_token) for path in paths_of(webhook_url)]


def not_configured_route() -> Route:
    """``POST /telegram/webhook`` when this process takes no Telegram updates: a 404 saying so."""

    async def telegram_not_configured(request: Request) -> Response:
        return JSONResponse({"error": {"code": "telegram_not_configured",
                                       "message": T_NOT_CONFIGURED}}, status_code=404)

    return Route(WEBHOOK_PATH, telegram_not_configured, methods=["POST"])


def webhook_route(app: Application, path: str, secret_token: str | None) -> Route:
    """``POST path``: an update from Telegram onto ``app.update_queue``."""
    secret = secret_token.encode() if secret_token else None

    async def telegram_webhook(request: Request) -> Response:
        if secret is not None:
            given = request.headers.get(SECRET_HEADER, "").encode()
            if not hmac.compare_digest(given, secret):
                logger.warning("webhook request without the right secret token refused")
                return PlainTextResponse("403", status_code=403)
        length = request.headers.get("content-length", "0")
        # the one parser for typed numbers: "²".isdigit() is true and int() refuses it
        if parse_int(length, hi=MAX_BODY, max_digits=12, digits_only=True) is None:
            return PlainTextResponse("413", status_code=413)
        body = bytearray()
        async for chunk in request.stream():  # never buffer more than the limit
            body += chunk
            if len(body) > MAX_BODY:
                return PlainTextResponse("413", status_code=413)
        try:
            update = Update.de_json(json.loads(body), app.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            logger.warning("webhook body is not an update", exc_info=True)
            return PlainTextResponse("400", status_code=400)
        await app.update_queue.put(update)
        return Response(status_code=200)

    return Route(path, telegram_webhook, methods=["POST"])


@asynccontextmanager
async def running(app: Application, webhook_url: str, secret_token: str | None, *,
                  drop_pending: bool = False) -> AsyncIterator[None]:
    """The application started with its webhook registered; stopped on exit.

    Used as (part of) the ASGI lifespan: the server's socket is already listening when this
    runs, so Telegram's first POST after ``setWebhook`` waits in the backlog, never fails.
    """
    async with app:  # initialize … shutdown
        if app.post_init is not None:  # run_polling would call it; here we start by hand
            await app.post_init(app)
        await app.bot.set_webhook(public_url(webhook_url), secret_token=secret_token,
                                  allowed_updates=Update.ALL_TYPES,
                                  drop_pending_updates=drop_pending)
        await app.start()
        logger.info("Telegram webhook at %s", ", ".join(paths_of(webhook_url)))
        try:
            yield
        finally:
            await app.stop()  # drains the update queue first


def webhook_app(app: Application, webhook_url: str, secret_token: str | None, *,
                drop_pending: bool = False) -> Starlette:
    """An ASGI app serving only the webhook (``qabot run --webhook``)."""

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with running(app, webhook_url, secret_token, drop_pending=drop_pending):
            yield

    return Starlette(routes=webhook_routes(app, webhook_url, secret_token), lifespan=lifespan)
