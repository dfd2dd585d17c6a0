"""Load: many users chatting at once with the real Application, through the fake Bot API.

    python benchmarks/load_bench.py [--users 1000] [--messages 20] [--timeout 300]
                                    [--faults 0.1] [--db sqlite|URL] [--batch 2000]

Each user sends its messages one after another as fast as the bot answers (the next as soon
as the first reply to the previous arrives); all users at once. Everything stays on
127.0.0.1 and the run is bounded by ``--timeout``. With ``--faults S`` a share S of the bot's
sendMessage calls fail with 429 (retry_after 1), 500, 502 or answer 1.5 s late.

Per-user flood control (12 messages in 6 s) and the Bot API rate limiter (30 messages/s,
Telegram's real limit) are switched off: they exist to slow exactly this, and with them the
run measures the limits, not the bot. Prints figures; asserts nothing.

Memory: every ``--batch`` answered messages (2,000 by default, so 10 points over 20,000) the
fake Bot API's records (calls, sent messages, transcript, timestamps of finished updates)
are counted and dropped, then the process's resident memory is sampled: the fake lives in
the same process, and without this its logs would grow with the run and hide whether the
bot's memory stays flat. The series and its growth from the 2nd to the last batch are
printed (the 1st batch still includes warm-up: caches, pools, the persistence table).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fakebotapi import FakeBotAPI, Fault  # noqa: E402
from telegram_harness import running_bot, settings_for  # noqa: E402

MESSAGES = ["公示期几天", "/article 24", "公司成立四年能申报吗", "/help", "奖金给多少",
            "获奖后能印在产品包装上吗", "/toc", "有效期多久", "/verify 沧州示例机械有限公司",
            "个人奖的条件是什么"]


class CountingFake(FakeBotAPI):
    """The fake Bot API, waking each user's driver when the bot sends to their chat."""

    def __init__(self, faults: float = 0.0) -> None:
        super().__init__()
        self.received: dict[int, int] = defaultdict(int)
        self.events: dict[int, asyncio.Event] = {}
        self.share = faults
        self.injected: dict[str, int] = defaultdict(int)
        self.rng = random.Random(6)

    async def _api_sendMessage(self, p: dict[str, Any]) -> Any:
        result = await super()._api_sendMessage(p)
        chat = int(p["chat_id"])
        self.received[chat] += 1
        if (event := self.events.get(chat)) is not None:
            event.set()
        return result

    def _fault_for(self, method: str) -> Fault | None:
        if method == "sendMessage" and self.share and self.rng.random() < self.share:
            kind = self.rng.choice(["429", "500", "502", "slow"])
            self.injected[kind] += 1
            if kind == "slow":
                return Fault(method, 0, delay=1.5)
            return Fault(method, int(kind), retry_after=1)
        return super()._fault_for(method)


class ErrorCount(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


class Batches:
    """Every ``size`` answers: fold the fake's records into totals, drop them, sample RSS."""

    def __init__(self, fake: CountingFake, size: int) -> None:
        self.fake, self.size = fake, size
        self.inflight: set[int] = set()  # updates whose answer a user still waits for
        self.rss: list[float] = []
        self.sent = self.failed = self.apologies = 0

    def fold(self) -> None:
        fake = self.fake
        for c in fake.calls:
            if c.method == "sendMessage":
                if c.status == 200:
                    self.sent += 1
                else:
                    self.failed += 1
        self.apologies += sum(1 for s in fake.sent if "出了点问题" in s.text)
        fake.calls.clear()
        fake.sent.clear()
        fake.timeline.clear()
        for table in (fake.sent_at, fake.update_at):
            for update in [u for u in table if u not in self.inflight]:
                del table[update]

    def answered(self, count: int) -> None:
        if self.size and count % self.size == 0:
            self.fold()
            self.rss.append(rss_mb())


async def user(fake: CountingFake, uid: int, n: int, latencies: list[float],
               lost: list[int], deadline: float, batches: Batches) -> None:
    event = fake.events.setdefault(uid, asyncio.Event())
    rng = random.Random(uid)
    for _ in range(n):
        before = fake.received[uid]
        event.clear()
        update = fake.user_says(uid, rng.choice(MESSAGES))
        batches.inflight.add(update)
        started = fake.update_at[update]
        while fake.received[uid] == before:
            left = deadline - time.monotonic()
            if left <= 0:
                lost.append(update)
                return
            try:
                await asyncio.wait_for(event.wait(), timeout=min(left, 30))
            except TimeoutError:
                lost.append(update)
                return
            event.clear()
        latencies.append(fake.sent_at.get(update, time.perf_counter()) - started)
        batches.inflight.discard(update)
        batches.answered(len(latencies))


async def main(args: argparse.Namespace) -> None:
    from handlers.telegram.guard import FLOOD_GATE, FloodGate

    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    logging.getLogger().setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="qabot-load-") as tmp:
        db = args.db if args.db != "sqlite" else f"sqlite:///{Path(tmp) / 'load.sqlite3'}"
        async with CountingFake(args.faults) as fake:
            settings = settings_for(fake, db)
            async with running_bot(fake, settings, rate_limit=False, schedule_jobs=False,
                                   timeouts=1.0,
                                   max_concurrent_updates=256) as app:
                app.bot_data[FLOOD_GATE] = FloodGate(limit=10**9, window=1.0)
                services = app.bot_data["dialogue"].services
                await asyncio.to_thread(
                    services.import_roster_bytes,
                    "名称,奖项,年度,认定日期\n沧州示例机械有限公司,组织奖,2023,2023-12-20\n"
                    .encode(), "r.csv")
                latencies: list[float] = []
                lost: list[int] = []
                rss = [rss_mb()]
                t0 = time.monotonic()
                deadline = t0 + args.timeout

                async def sample() -> None:
                    while True:
                        await asyncio.sleep(2)
                        rss.append(rss_mb())

                sampler = asyncio.create_task(sample())
                batches = Batches(fake, args.batch)
                await asyncio.gather(*(user(fake, 5_000_000 + i, args.messages, latencies,
                                            lost, deadline, batches)
                                       for i in range(args.users)))
                elapsed = time.monotonic() - t0
                sampler.cancel()
                rss.append(rss_mb())
            batches.fold()
            sent, failed_calls, apologies = batches.sent, batches.failed, batches.apologies
    total = args.users * args.messages
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [0.0] * 99
    print(f"users {args.users} x messages {args.messages} = {total} updates, database "
          f"{'SQLite' if args.db == 'sqlite' else 'PostgreSQL'}, faults {args.faults:.0%}")
    print(f"answered {len(latencies)} / {total} in {elapsed:.1f} s "
          f"({len(latencies) / elapsed:.0f} updates/s); unanswered {len(lost)}")
    print(f"messages sent {sent}; sendMessage calls refused by the fault injection "
          f"{failed_calls} ({dict(fake.injected)}); error-handler apologies {apologies}; "
          f"ERROR log records {errors.count}")
    print(f"reply latency p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, "
          f"p99 {q[98] * 1000:.0f} ms, max {max(latencies, default=0) * 1000:.0f} ms")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    quarter = [rss[int(i * (len(rss) - 1) / 4)] for i in range(5)]
    print(f"resident memory MB: start {rss[0]:.0f}, at 25/50/75/100% of the run "
          f"{' / '.join(f'{m:.0f}' for m in quarter[1:])}; peak RSS {peak:.0f} MB "
          "(bot and fake Bot API in one process)")
    if len(batches.rss) >= 2:
        series = batches.rss
        first = 1 if len(series) >= 3 else 0  # the 2nd batch: the 1st includes warm-up
        grow = series[-1] - series[first]
        per_message = grow * 1024 / ((len(series) - 1 - first) * args.batch)
        print(f"resident memory MB after each {args.batch:,} answered (the fake's records "
              f"dropped first): {' '.join(f'{m:.1f}' for m in series)}")
        print(f"growth from batch {first + 1} to batch {len(series)}: {grow:+.1f} MB "
              f"({grow / series[first]:+.1%}), {per_message:+.2f} KB per answered message")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--faults", type=float, default=0.0)
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--batch", type=int, default=2000,
                        help="sample RSS after every BATCH answers (0: off)")
    asyncio.run(main(parser.parse_args()))
