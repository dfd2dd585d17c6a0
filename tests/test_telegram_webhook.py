"""Webhook mode: updates POSTed by Telegram, checked against the secret token."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
from fakebotapi import FakeBotAPI
from telegram_harness import ALICE, make_dialogue, settings_for

from bot.commands.run import serve_webhook
from handlers.telegram.app import build_application


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _update(update_id: int, text: str) -> dict[str, object]:
    return {"update_id": update_id, "message": {
        "message_id": 5, "date": 1_700_000_000, "text": text,
        "chat": {"id": ALICE, "type": "private"},
        "from": {"id": ALICE, "is_bot": False, "first_name": "用户"},
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}]}}


async def _serving(fake: FakeBotAPI, tmp_path: Path, secret: str | None,
                   ) -> tuple[asyncio.Task[None], asyncio.Event, str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    extra = {"WEBHOOK_URL": url, "WEBHOOK_PORT": port, "WEBHOOK_LISTEN": "127.0.0.1"}
    if secret:
        extra["WEBHOOK_SECRET_TOKEN"] = secret
    settings = settings_for(fake, f"sqlite:///{(tmp_path / 'w.sqlite3').as_posix()}", **extra)
    app = build_application(settings, dialogue=make_dialogue(settings), timeouts=3)
    stop = asyncio.Event()
    task = asyncio.create_task(serve_webhook(app, stop=stop))
    await fake.wait_method("setWebhook")
    return task, stop, url


async def test_webhook_updates_with_the_secret_token_are_answered(fake: FakeBotAPI,
                                                                tmp_path: Path):
    task, stop, url = await _serving(fake, tmp_path, "s3cret-Token_1")
    try:
        assert fake.webhook == {"url": url, "secret_token": "s3cret-Token_1"}
        fake.user_says(ALICE, "/help")  # the fake POSTs it with the header
        [help_] = await fake.wait_sent(ALICE)
        assert "/selfcheck" in help_.text
    finally:
        stop.set()
        await task


async def test_webhook_posts_without_the_secret_token_are_refused(fake: FakeBotAPI,
                                                                tmp_path: Path):
    task, stop, url = await _serving(fake, tmp_path, "s3cret-Token_1")
    try:
        async with httpx.AsyncClient() as client:
            missing = await client.post(url, json=_update(90, "/help"))
            wrong = await client.post(url, json=_update(91, "/help"),
                                      headers={"X-Telegram-Bot-Api-Secret-Token": "guess"})
            right = await client.post(url, json=_update(92, "/toc"),
                                      headers={"X-Telegram-Bot-Api-Secret-Token":
                                               "s3cret-Token_1"})
            elsewhere = await client.post(url + "x", json=_update(93, "/help"))
        assert (missing.status_code, wrong.status_code, right.status_code,
                elsewhere.status_code) == (403, 403, 200, 404)
        await fake.wait_sent(ALICE)
    finally:
        stop.set()
        await task  # stopping drains the update queue: a refused update would show now
    assert fake.to(ALICE) and not any("/selfcheck" in m.text for m in fake.to(ALICE))


async def test_without_a_secret_configured_webhook_posts_are_accepted(fake: FakeBotAPI,
                                                                    tmp_path: Path):
    task, stop, url = await _serving(fake, tmp_path, None)
    try:
        assert fake.webhook == {"url": url, "secret_token": None}
        async with httpx.AsyncClient() as client:
            response = await client.post(url, json=_update(95, "/help"))
        assert response.status_code == 200
        await fake.wait_sent(ALICE)
    finally:
        stop.set()
        await task
