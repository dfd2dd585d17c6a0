"""Run the real qabot ``Application`` against the fake Bot API, for the Telegram tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fakebotapi import FakeBotAPI
from telegram.ext import Application

from bot.dialogue import Dialogue
from bot.settings import Settings, load_settings
from handlers.telegram.app import build_application, make_services

STAFF = 900001
ALICE = 1001
BOB = 1002
GROUP = -100777


def settings_for(fake: FakeBotAPI, db_url: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_BASE_URL": fake.base_url,
        "ADMIN_IDS": str(STAFF),
        "DATABASE_URL": db_url,
        "_env_file": None,
    }
    values.update(extra)
    return load_settings(**values)


def make_dialogue(settings: Settings) -> Dialogue:
    return Dialogue(services=make_services(settings))


@asynccontextmanager
async def running_bot(fake: FakeBotAPI, settings: Settings, *, dialogue: Dialogue | None = None,
                      polling: bool = True, timeouts: float = 3.0,
                      **build: Any) -> AsyncIterator[Application]:
    """The application, initialised, started and (unless ``polling=False``) polling the fake."""
    app = build_application(settings, dialogue=dialogue or make_dialogue(settings),
                            timeouts=timeouts, **build)
    async with app:
        if app.post_init is not None:  # run_polling would call it; the tests start by hand
            await app.post_init(app)
        await app.start()
        if polling:
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield app
        finally:
            if polling and app.updater is not None and app.updater.running:
                await app.updater.stop()
            await app.stop()
