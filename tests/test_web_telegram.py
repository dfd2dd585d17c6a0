"""``qabot serve``: the web chat and Telegram's webhook on one app, one loop, one database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fakebotapi import FakeBotAPI
from starlette.testclient import TestClient
from telegram_harness import ALICE, settings_for

from bot.commands.serve import bind_socket, build, serve_asgi
from bot.settings import SettingsError

HOOK = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@asynccontextmanager
async def serving(fake: FakeBotAPI, tmp_path: Path, secret: str | None, path: str = HOOK,
                  ) -> AsyncIterator[str]:
    """The whole app on 127.0.0.1 (an ephemeral port), Telegram's webhook included, with
    WEBHOOK_URL the server's address and ``path``."""
    sock = bind_socket("127.0.0.1", 0)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    extra = {"WEBHOOK_URL": base + path, "WEB_SESSION_SECRET": "s" * 32}
    if secret:
        extra["WEBHOOK_SECRET_TOKEN"] = secret
    settings = settings_for(fake, f"sqlite:///{(tmp_path / 's.sqlite3').as_posix()}", **extra)
    app = build(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(serve_asgi(app, "127.0.0.1", 0, stop=stop, sock=sock))
    try:
        await fake.wait_method("setWebhook")
        yield base
    finally:
        stop.set()
        await task  # stops the Application too, draining its queue
        app.state.chat.engine.dispose()


def _update(update_id: int, text: str) -> dict[str, object]:
    return {"update_id": update_id, "message": {
        "message_id": 5, "date": 1_700_000_000, "text": text,
        "chat": {"id": ALICE, "type": "private"},
        "from": {"id": ALICE, "is_bot": False, "first_name": "用户"},
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}]}}


async def test_one_app_answers_the_web_page_and_telegram_from_one_dialogue(fake: FakeBotAPI,
                                                                           tmp_path: Path):
    async with serving(fake, tmp_path, "s3cret-Token_1") as base:
        assert fake.webhook == {"url": base + HOOK, "secret_token": "s3cret-Token_1"}
        fake.user_says(ALICE, "公示期几天")  # Telegram POSTs it to the webhook with the secret
        [answer] = await fake.wait_sent(ALICE)
        assert "公示期为7天" in answer.text
        async with httpx.AsyncClient(base_url=base) as client:
            token = (await client.post("/api/session")).json()["token"]
            web = await client.post("/api/message", json={"text": "公示期几天"},
                                    headers={"x-session-token": token})
            assert "公示期为7天" in web.json()["replies"][0]["html"]
            metrics = (await client.get("/metrics")).text
            health = await client.get("/healthz")
        assert 'qabot_questions_total{channel="telegram"} 1.0' in metrics
        assert 'qabot_questions_total{channel="web"} 1.0' in metrics
        assert health.status_code == 200


async def test_webhook_posts_without_the_secret_are_refused_on_the_shared_app(
        fake: FakeBotAPI, tmp_path: Path):
    async with serving(fake, tmp_path, "s3cret-Token_1") as base:
        async with httpx.AsyncClient(base_url=base) as client:
            missing = await client.post(HOOK, json=_update(90, "/help"))
            wrong = await client.post(HOOK, json=_update(91, "/help"), headers={
                "X-Telegram-Bot-Api-Secret-Token": "guess"})
            bad = await client.post(HOOK, content=b"{nope", headers={
                "X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1"})
            huge = await client.post(HOOK, content=b"{" + b" " * (2 << 20) + b"}", headers={
                "X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1"})
            right = await client.post(HOOK, json=_update(92, "/toc"), headers={
                "X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1"})
        assert [r.status_code for r in (missing, wrong, bad, huge, right)] == [
            403, 403, 400, 413, 200]
        await fake.wait_sent(ALICE)
    assert fake.to(ALICE) and not any("/selfcheck" in m.text for m in fake.to(ALICE))


async def test_a_bare_origin_as_webhook_url_registers_and_serves_telegram_webhook(
        fake: FakeBotAPI, tmp_path: Path):
    async with serving(fake, tmp_path, "s3cret-Token_1", path="") as base:
        assert fake.webhook == {"url": base + HOOK, "secret_token": "s3cret-Token_1"}
        fake.user_says(ALICE, "公示期几天")
        [answer] = await fake.wait_sent(ALICE)
        assert "公示期为7天" in answer.text


async def test_a_custom_webhook_path_is_called_and_telegram_webhook_still_answers(
        fake: FakeBotAPI, tmp_path: Path):
    async with serving(fake, tmp_path, "s3cret-Token_1", path="/hook/tg") as base:
        assert fake.webhook == {"url": base + "/hook/tg", "secret_token": "s3cret-Token_1"}
        fake.user_says(ALICE, "/toc")  # to the custom path, as Telegram would
        await fake.wait_sent(ALICE)
        async with httpx.AsyncClient(base_url=base) as client:
            # a reverse proxy that maps the public path onto /telegram/webhook
            fixed = await client.post(HOOK, json=_update(93, "/help"),
                                      headers={SECRET_HEADER: "s3cret-Token_1"})
            forged = await client.post("/hook/tg", json=_update(94, "/help"))
        assert (fixed.status_code, forged.status_code) == (200, 403)
        await fake.wait_for(lambda: any("/selfcheck" in m.text for m in fake.to(ALICE)) or None,
                            5.0)
    assert sum("/selfcheck" in m.text for m in fake.to(ALICE)) == 1  # /help once, not twice


@pytest.mark.parametrize("path", ["/api/message", "/healthz", "/static/x"])
def test_a_webhook_url_on_a_path_of_the_web_chat_is_refused_at_start(tmp_path: Path,
                                                                     path: str):
    from web_harness import web_settings

    settings = web_settings(f"sqlite:///{(tmp_path / 'w.sqlite3').as_posix()}",
                            TELEGRAM_BOT_TOKEN="123456:" + "A" * 30,
                            WEBHOOK_URL="https://bot.example.org" + path)
    with pytest.raises(SettingsError, match="冲突"):
        build(settings)


@pytest.mark.parametrize("extra,telegram", [
    ({}, True),  # no token at all
    ({"TELEGRAM_BOT_TOKEN": "123456:" + "A" * 30}, True),  # a token but no WEBHOOK_URL
    ({"TELEGRAM_BOT_TOKEN": "123456:" + "A" * 30,
      "WEBHOOK_URL": "https://bot.example.org/telegram/webhook"}, False),  # --no-telegram
])
def test_without_telegram_configured_the_webhook_says_so_and_the_web_chat_runs(
        tmp_path: Path, extra: dict[str, str], telegram: bool):
    from web_harness import web_settings

    settings = web_settings(f"sqlite:///{(tmp_path / 'w.sqlite3').as_posix()}", **extra)
    app = build(settings, telegram=telegram)
    try:
        with TestClient(app) as client:
            hook = client.post(HOOK, json=_update(96, "/help"))
            session = client.post("/api/session")
        assert hook.status_code == 404
        assert hook.json()["error"]["code"] == "telegram_not_configured"
        assert "TELEGRAM_BOT_TOKEN" in hook.json()["error"]["message"]
        assert session.status_code == 200
    finally:
        app.state.chat.engine.dispose()
