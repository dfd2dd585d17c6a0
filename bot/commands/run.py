"""``qabot run`` (long polling) and ``qabot run --webhook``: the Telegram bot."""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio

logger = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="启动 Telegram 机器人（默认长轮询）",
                       description="启动 Telegram 机器人。设置见 .env.example：TELEGRAM_BOT_TOKEN、"
                                   "TELEGRAM_BASE_URL、TELEGRAM_PROXY、ADMIN_IDS 等")
    p.add_argument("--webhook", action="store_true",
                   help="以 webhook 方式运行（需要 WEBHOOK_URL，监听 WEBHOOK_LISTEN:WEBHOOK_PORT）")
    p.add_argument("--drop-pending", action="store_true",
                   help="丢弃机器人停止期间积压的消息（默认逐条处理）")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from bot.settings import SettingsError, load_settings
    from handlers.telegram.app import build_application

    settings = load_settings()
    settings.require_token()
    if args.webhook and not settings.webhook_url:
        raise SettingsError("webhook 模式需要设置 WEBHOOK_URL（Telegram 可访问的 https 地址）")
    app = build_application(settings)
    if args.webhook:
        from bot.commands.serve import run_loop

        run_loop(serve_webhook(app, drop_pending=args.drop_pending))
    else:
        from telegram import Update

        app.run_polling(allowed_updates=Update.ALL_TYPES,
                        drop_pending_updates=args.drop_pending)
    return 0


async def serve_webhook(app: object, *, drop_pending: bool = False,
                        stop: asyncio.Event | None = None) -> None:
    """Register the webhook with Telegram and serve it until ``stop`` is set (or a signal).

    The same Starlette route ``qabot serve`` mounts, served alone on WEBHOOK_LISTEN:WEBHOOK_PORT
    by uvicorn; the ``Application`` starts and stops with the server.
    """
    from telegram.ext import Application

    from bot.commands.serve import serve_asgi
    from bot.settings import Settings
    from handlers.telegram.webhook import webhook_app

    assert isinstance(app, Application)
    settings: Settings = app.bot_data["settings"]
    assert settings.webhook_url
    secret = (settings.webhook_secret_token.get_secret_value()
              if settings.webhook_secret_token else None)
    asgi = webhook_app(app, settings.webhook_url, secret, drop_pending=drop_pending)
    await serve_asgi(asgi, settings.webhook_listen, settings.webhook_port, stop=stop,
                     forwarded_allow_ips=settings.web_forwarded_allow_ips)
