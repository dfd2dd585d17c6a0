"""Telegram's webhook as a Starlette route, python-telegram-bot's documented custom-webhook way.

The route parses the POSTed JSON into an ``Update`` and puts it on the application's
``update_queue``; ``running`` starts the ``Application`` beside the web server in the same
event loop and stops it with the server (examples ``customwebhookbot/starlettebot.py``).
With ``WEBHOOK_SECRET_TOKEN`` set, a request without that ``X-Telegram-Bot-Api-Secret-Token``
gets 403 (checked in constant time), so a stranger who finds the URL cannot inject updates.

``qabot serve`` adds this route to the web chat's app; ``qabot run --webhook`` serves it alone.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from knowledge.numerals import parse_int

logger = logging.getLogger(__name__)

SECRET_HEADER = "x-telegram-bot-api-secret-token"
MAX_BODY = 1 << 20  # Telegram's updates are far smaller


def path_of(webhook_url: str) -> str:
    return urlsplit(webhook_url).path or "/"


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

    return Route(path, telegram_webhook, methods=["POST"], name="telegram_webhook")


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
        await app.bot.set_webhook(webhook_url, secret_token=secret_token,
                                  allowed_updates=Update.ALL_TYPES,
                                  drop_pending_updates=drop_pending)
        await app.start()
        logger.info("Telegram webhook at %s", path_of(webhook_url))
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

    return Starlette(routes=[webhook_route(app, path_of(webhook_url), secret_token)],
                     lifespan=lifespan)
