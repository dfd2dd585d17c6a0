"""Telegram throughput and latency through the fake Bot API on loopback.

    /work/venv/bin/python benchmarks/telegram_bench.py [--users 100] [--questions 1000]

100 users each ask questions one after another (a user sends the next question when the
answer arrived), 1,000 in all, over real HTTP: getUpdates long polling, sendMessage with
keyboards. Measured: updates per second and p50/p95 time from an update being queued at the
fake to the bot's reply arriving there. Beside it, in the same run on the same fake, a minimal
echo bot (python-telegram-bot defaults, one MessageHandler). qabot is measured twice: with
the rate limiter it ships with (AIORateLimiter: Telegram's own 30 messages/s cap, so that row
measures Telegram's limit, not the bot) and without it (the bot's own cost).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

from fakebotapi import FakeBotAPI  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import Application, ContextTypes, MessageHandler, filters  # noqa: E402

LINE = re.compile(r"^- \{q: (?P<q>.*), gold: \[")


def questions() -> list[str]:
    out = []
    for path in (ROOT / "benchmarks" / "questions_extra.yaml",
                 ROOT.parent / "shared" / "eval" / "dev_questions.yaml"):
        if path.exists():
            out += [m["q"].strip("'\"") for line in path.read_text("utf-8").splitlines()
                    if (m := LINE.match(line))]
    return out or ["公示期几天", "公司成立四年能申报吗", "奖金给多少", "获奖后能印在产品包装上吗"]


async def paced(fake: FakeBotAPI, users: int, total: int, qs: list[str],
                rate: float) -> dict[str, float]:
    """Open loop at ``rate`` updates/s (user i % users), each awaited: latency at that load."""
    latencies: list[float] = []

    async def one(i: int) -> None:
        uid = 20_000 + i % users
        await asyncio.sleep(i / rate)
        before = len(fake.to(uid))
        update_id = fake.user_says(uid, qs[(i * 7) % len(qs)])
        await fake.wait_sent(uid, after=before, timeout=120)
        latencies.append(_latency(fake, update_id))

    await asyncio.gather(*(one(i) for i in range(total)))
    latencies.sort()
    return {"p50_ms": statistics.median(latencies) * 1000,
            "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000, "rate": rate}


def _latency(fake: FakeBotAPI, update_id: int) -> float:
    """From the update queued at the fake to the bot's reply arriving there. The fake stamps
    the first reply to a chat's latest update; when a user's next update was queued before
    the reply to this one arrived (a slow answer under load), the reply is the one just
    awaited: stamp it now."""
    return fake.sent_at.get(update_id, time.perf_counter()) - fake.update_at[update_id]


async def measure(fake: FakeBotAPI, users: int, total: int, qs: list[str],
                  rate: float) -> dict[str, float]:
    result = await drive(fake, users, total, qs)
    result.update({f"paced_{k}": v for k, v in
                   (await paced(fake, users, total, qs, rate)).items()})
    return result


async def drive(fake: FakeBotAPI, users: int, total: int, qs: list[str]) -> dict[str, float]:
    """Closed loop: each user sends a question, awaits the answer, sends the next."""
    per_user = total // users
    latencies: list[float] = []

    async def user(uid: int) -> None:
        for i in range(per_user):
            before = len(fake.to(uid))
            update_id = fake.user_says(uid, qs[(uid * 7 + i) % len(qs)])
            await fake.wait_sent(uid, after=before, timeout=60)
            latencies.append(_latency(fake, update_id))

    start = time.perf_counter()
    await asyncio.gather(*(user(10_000 + u) for u in range(users)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {"updates_per_s": len(latencies) / elapsed,
            "p50_ms": statistics.median(latencies) * 1000,
            "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
            "n": len(latencies)}


async def echo_bot(fake: FakeBotAPI, users: int, total: int, qs: list[str],
                   rate: float) -> dict[str, float]:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(update.effective_message.text or "")

    app = (Application.builder().token(fake.token).base_url(fake.base_url)
           .concurrent_updates(64).build())
    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        result = await measure(fake, users, total, qs, rate)
        await app.updater.stop()
        await app.stop()
    return result


async def qabot(fake: FakeBotAPI, users: int, total: int, qs: list[str],
                rate_limit: bool, rate: float) -> dict[str, float]:
    from bot.dialogue import Dialogue
    from bot.settings import load_settings
    from handlers.telegram.app import build_application, make_services

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_BASE_URL=fake.base_url,
                                 DATABASE_URL=f"sqlite:///{tmp}/bench.sqlite3", _env_file=None)
        dialogue = Dialogue(services=make_services(settings))
        app = build_application(settings, dialogue=dialogue, rate_limit=rate_limit,
                                schedule_jobs=False)
        async with app:
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=1)
            # warm up: load the retriever before measuring
            fake.user_says(1, "公示期几天")
            await fake.wait_sent(1, timeout=60)
            result = await measure(fake, users, total, qs, rate)
            await app.updater.stop()
            await app.stop()
        dialogue.services.close()
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0,
                        help="offered updates/s for the latency phase (shipped bot: 25/s)")
    args = parser.parse_args()
    qs = questions()
    rows = []
    for name, run in (
        ("echo bot (PTB defaults)",
         lambda f: echo_bot(f, args.users, args.questions, qs, args.rate)),
        ("qabot, no rate limiter",
         lambda f: qabot(f, args.users, args.questions, qs, False, args.rate)),
        ("qabot as shipped (AIORateLimiter)",
         lambda f: qabot(f, args.users, args.questions, qs, True, 25.0)),
    ):
        async with FakeBotAPI() as fake:
            rows.append((name, await run(fake)))
    print(f"{args.questions} questions from {args.users} users through the fake Bot API "
          f"({len(qs)} distinct questions)\n")
    print("| bot | saturated updates/s | p50 / p95 ms saturated | offered load | "
          "p50 / p95 ms at that load |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, r in rows:
        print(f"| {name} | {r['updates_per_s']:.0f} | {r['p50_ms']:.1f} / {r['p95_ms']:.1f} "
              f"| {r['paced_rate']:.0f}/s | {r['paced_p50_ms']:.1f} / {r['paced_p95_ms']:.1f} |")
    echo_rate = rows[0][1]["updates_per_s"]
    own = rows[1][1]
    print(f"\nqabot (no limiter) / echo throughput: {own['updates_per_s'] / echo_rate:.2f} "
          f"(target >= 0.5); p95 at {own['paced_rate']:.0f}/s: {own['paced_p95_ms']:.1f} ms "
          "(target < 50). Saturated latency is queueing: users / throughput (Little's law).")


if __name__ == "__main__":
    asyncio.run(main())
