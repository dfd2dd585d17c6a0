"""Soak: the real Application serving steady traffic while the Bot API misbehaves for minutes.

    python benchmarks/fault_soak.py [--seconds 180] [--users 50] [--faults 0.15]
                                    [--think 3 7] [--calm 20] [--grace 30] [--seed 6]

The fake Bot API on 127.0.0.1 fails a share of *every* Bot API call (``getUpdates`` as much
as ``sendMessage``) for ``--seconds``, each fault one of

- ``429``: Too Many Requests with retry_after 1,
- ``500`` / ``502``: server errors,
- ``timeout``: the answer comes later than the bot's HTTP timeout (the call still takes
  effect on the server, as a real timed-out send may have: the bot's retry can then show a
  message twice, which the soak counts as a duplicate),
- ``reset``: the connection is reset (RST) with no response, before the call takes effect.

Then a fault-free phase of ``--calm`` seconds with the same traffic shows whether the bot
caught up, and after the users stop, ``--grace`` seconds let the last answers arrive.

Each user asks a question, waits for the answer (at most ``PATIENCE`` seconds; after that
the question counts as lost and the user moves on), thinks for a random time in ``--think``
and asks again: a modest, bounded rate (50 users thinking 3-7 s ≈ 10 questions/s). The
bot runs as in production: rate limiter and per-user flood gate on, state persisted to a
SQLite file every 5 s. A message the bot sends while none of its chat's questions is waiting,
or one repeating a text already sent for the same question, is a duplicate. Prints a table;
asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import logging
import random
import socket
import statistics
import struct
import sys
import tempfile
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import h11  # noqa: E402
from fakebotapi import FakeBotAPI, Fault  # noqa: E402
from telegram_harness import running_bot, settings_for  # noqa: E402

QUESTIONS = ["公示期几天", "公司成立四年能申报吗", "奖金给多少", "获奖后能印在产品包装上吗",
             "有效期多久", "个人奖的条件是什么", "申报材料要哪些", "谁来评审"]
TIMEOUTS = 2.0  # the bot's HTTP timeouts (connect/read/write/pool)
POLL_TIMEOUT = 1  # getUpdates long-poll seconds (telegram_harness)
PATIENCE = 60.0  # a question unanswered this long counts as lost
KINDS = ["429", "500", "502", "timeout", "reset"]
APOLOGY = "出了点问题"

_writer: contextvars.ContextVar[asyncio.StreamWriter | None] = contextvars.ContextVar(
    "writer", default=None)


class _Reset(ConnectionResetError):
    pass


@dataclass
class Question:
    user: int
    update: int
    text: str
    at: float
    phase: str
    answers: list[tuple[float, str]] = field(default_factory=list)


class SoakFake(FakeBotAPI):
    """The fake Bot API with random faults on a share of all calls, connection resets included.

    Resets need the connection, which ``FakeBotAPI._dispatch`` does not see: ``_serve`` puts
    its writer in a context variable (each connection is its own task, so its own context);
    ``_fault_for`` raises ``_Reset`` after the call is logged and ``_dispatch`` aborts the
    socket with SO_LINGER 0.
    """

    def __init__(self, share: float, seed: int, kinds: list[str] = KINDS) -> None:
        super().__init__()
        self.kinds = kinds
        self.share = 0.0  # off until the bot has started (post_init's calls must succeed)
        self.target_share = share
        self.rng = random.Random(seed)
        self.injected: Counter[tuple[str, str]] = Counter()
        self.waiting: dict[int, Question] = {}  # chat -> its unanswered question
        self.recent: dict[int, deque[Question]] = defaultdict(lambda: deque(maxlen=3))
        # (a user's previous two questions and the waiting one)
        self.apologies = 0
        self.events: dict[int, asyncio.Event] = {}
        self.stray: Counter[str] = Counter()  # messages outside any question: dup or other

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _writer.set(writer)
        await super()._serve(reader, writer)

    def _fault_for(self, method: str) -> Fault | None:
        if self.share and self.rng.random() < self.share:
            kind = self.rng.choice(self.kinds)
            self.injected[(kind, method)] += 1
            if kind == "timeout":
                late = TIMEOUTS + 0.5 + (POLL_TIMEOUT if method == "getUpdates" else 0)
                return Fault(method, 0, delay=late)
            if kind == "reset":
                raise _Reset
            return Fault(method, int(kind), retry_after=1)
        return super()._fault_for(method)

    async def _dispatch(self, request: h11.Request, body: bytes) -> tuple[int, bytes, str]:
        try:
            return await super()._dispatch(request, body)
        except _Reset:  # raised by _fault_for: the call is recorded, not carried out
            self.calls[-1].status = -1
            writer = _writer.get()
            if writer is not None:
                sock = writer.get_extra_info("socket")
                if sock is not None:  # linger 0: closing sends RST, not FIN
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.transport.abort()
            raise ConnectionResetError from None  # _serve drops the connection quietly

    async def _api_sendMessage(self, p: dict[str, Any]) -> Any:
        result = await super()._api_sendMessage(p)
        chat, text, now = int(p["chat_id"]), str(p.get("text", "")), time.perf_counter()
        if APOLOGY in text:  # the error handler's note: counted, never taken as an answer
            self.apologies += 1
            return result
        # answers are one message each, distinct per question, and the chat's three recent
        # questions are distinct: a text already sent for one of them is a repeat of it (a
        # timed-out send that did arrive after all), not a new answer
        for q in reversed(self.recent[chat]):
            if any(t == text for _, t in q.answers):
                q.answers.append((now, text))
                return result
        q = self.waiting.pop(chat, None)
        if q is None:
            self.stray[text[:20]] += 1
        else:
            q.answers.append((now, text))
            if (event := self.events.get(chat)) is not None:
                event.set()
        return result


async def user(fake: SoakFake, uid: int, questions: list[Question], rng: random.Random,
               think: tuple[float, float], phase: dict[str, str]) -> None:
    event = fake.events.setdefault(uid, asyncio.Event())
    await asyncio.sleep(rng.uniform(0, think[1]))  # spread the users' first questions
    while phase["now"] != "stop":
        # never one of the user's previous two questions: the recent ones' texts stay distinct
        earlier = {q.text for q in fake.recent[uid]}
        text = rng.choice([q for q in QUESTIONS if q not in earlier])
        event.clear()
        update = fake.user_says(uid, text)
        q = Question(uid, update, text, fake.update_at[update], phase["now"])
        fake.waiting[uid] = q
        fake.recent[uid].append(q)
        questions.append(q)
        try:
            await asyncio.wait_for(event.wait(), PATIENCE)
        except TimeoutError:
            fake.waiting.pop(uid, None)  # lost: a late answer would count as a stray message
        await asyncio.sleep(rng.uniform(*think))


class ErrorCount(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.kinds: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        exc = record.exc_info[1] if record.exc_info else None
        self.kinds[f"{record.name}: {type(exc).__name__ if exc else record.getMessage()[:40]}"] += 1


def quantiles(values: list[float]) -> str:
    if len(values) < 2:
        return "n/a"
    q = statistics.quantiles(values, n=100, method="inclusive")
    return (f"p50 {q[49] * 1000:.0f} / p95 {q[94] * 1000:.0f} / p99 {q[98] * 1000:.0f} / "
            f"max {max(values) * 1000:.0f} ms")


async def main(args: argparse.Namespace) -> None:
    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    logging.getLogger().setLevel(logging.WARNING)
    rng = random.Random(args.seed)
    questions: list[Question] = []
    phase = {"now": "faults"}
    with tempfile.TemporaryDirectory(prefix="qabot-soak-") as tmp:
        async with SoakFake(args.faults, args.seed, args.kinds.split(",")) as fake:
            settings = settings_for(fake, f"sqlite:///{Path(tmp) / 'soak.sqlite3'}")
            async with running_bot(fake, settings, schedule_jobs=False, timeouts=TIMEOUTS):
                fake.share = fake.target_share
                t0 = time.monotonic()
                users = [asyncio.create_task(user(fake, 6_000_000 + i, questions,
                                                  random.Random(rng.random()),
                                                  tuple(args.think), phase))
                         for i in range(args.users)]
                await asyncio.sleep(args.seconds)
                fake.share = 0.0
                phase["now"] = "calm"
                await asyncio.sleep(args.calm)
                phase["now"] = "stop"  # users finish their current question, then stop
                t_stop = time.monotonic()
                done, pending = await asyncio.wait(users, timeout=args.grace + PATIENCE)
                for task in pending:
                    task.cancel()
                t_end = time.monotonic()
                backlog = fake.pending
            calls = list(fake.calls)
            injected = fake.injected
            stray = fake.stray
            apologies = fake.apologies

    answered = [q for q in questions if q.answers]
    lost = [q for q in questions if not q.answers]
    duplicates = sum(len(q.answers) - 1 for q in questions if len(q.answers) > 1)
    by_phase: dict[str, list[float]] = defaultdict(list)
    for q in answered:
        by_phase[q.phase].append(q.answers[0][0] - q.at)
    kinds = Counter(k for k, _ in injected.elements())
    per_method = Counter(m for _, m in injected.elements())
    calls_by_method = Counter(c.method for c in calls)
    fault_calls = sum(n for (_, m), n in injected.items())
    calm = [q for q in questions if q.phase == "calm"]
    calm_lat = by_phase["calm"]
    print(f"fault soak: {args.users} users, {args.seconds:.0f} s with {args.faults:.0%} of Bot "
          f"API calls failing, then {args.calm:.0f} s fault-free, grace up to "
          f"{args.grace + PATIENCE:.0f} s (took {t_end - t_stop:.1f} s); think "
          f"{args.think[0]:g}-{args.think[1]:g} s")
    rows = [
        ("questions sent", f"{len(questions)} ({len(questions) / (t_stop - t0):.1f}/s; "
                           f"{len(questions) - len(calm)} in the fault phase, "
                           f"{len(calm)} fault-free)"),
        ("answered", f"{len(answered)}"),
        ("lost (unanswered after grace)", f"{len(lost)}"),
        ("duplicate answers", f"{duplicates}"),
        ("error-handler apologies sent", f"{apologies}"),
        ("stray bot messages", f"{sum(stray.values())} {dict(stray) if stray else ''}"),
        ("updates left unconfirmed at the end", f"{backlog}"),
        ("Bot API calls", f"{len(calls)} ({dict(calls_by_method)})"),
        ("faults injected", f"{fault_calls} = {dict(kinds)}"),
        ("faults by method", f"{dict(per_method)}"),
        ("latency, fault phase", quantiles(by_phase["faults"])),
        ("latency, fault-free phase", quantiles(calm_lat)),
        ("fault-free answers within 5 s", f"{sum(1 for x in calm_lat if x < 5)} / "
                                          f"{len(calm)}"),
        ("ERROR log records", f"{errors.count} {dict(errors.kinds) if errors.kinds else ''}"),
    ]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"  {k:<{width}}  {v}")
    caught_up = (not lost and backlog == 0 and bool(calm)
                 and all(q.answers for q in calm) and len(calm_lat) >= 2
                 and statistics.quantiles(calm_lat, n=100, method="inclusive")[94] < 5)
    print(f"caught up after the faults stopped: {'yes' if caught_up else 'NO'} (every "
          "fault-free question answered, p95 under 5 s, nothing left unconfirmed, none lost)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="fault phase length")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--faults", type=float, default=0.15, help="share of calls failing")
    parser.add_argument("--think", type=float, nargs=2, default=[3.0, 7.0],
                        metavar=("MIN", "MAX"), help="seconds between a user's questions")
    parser.add_argument("--calm", type=float, default=20.0, help="fault-free phase length")
    parser.add_argument("--grace", type=float, default=30.0,
                        help="extra wait for the last answers")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--kinds", default=",".join(KINDS),
                        help=f"fault kinds to draw from (default {','.join(KINDS)})")
    asyncio.run(main(parser.parse_args()))
