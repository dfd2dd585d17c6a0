"""``qabot serve``: the web chat and Telegram's webhook on one app, one loop, one database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fakebotapi import FakeBotAPI
from telegram_harness import ALICE, settings_for

from bot.commands.serve import bind_socket, build, serve_asgi

HOOK = "/telegram/webhook"


@asynccontextmanager
async def serving(fake: FakeBotAPI, tmp_path: Path, secret: str | None,
                  ) -> AsyncIterator[str]:
    """The whole app on 127.0.0.1 (an ephemeral port), Telegram's webhook included."""
    sock = bind_socket("127.0.0.1", 0)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    extra = {"WEBHOOK_URL": base + HOOK, "WEB_SESSION_SECRET": "s" * 32}
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


async def test_without_webhook_settings_serve_runs_the_web_chat_alone(tmp_path: Path):
    from web_harness import web_settings

    settings = web_settings(f"sqlite:///{(tmp_path / 'w.sqlite3').as_posix()}",
                            TELEGRAM_BOT_TOKEN="123456:" + "A" * 30)
    app = build(settings)
    paths = {getattr(r, "path", "") for r in app.routes}
    assert HOOK not in paths and "/api/message" in paths
    app.state.chat.engine.dispose()
