"""Several processes serving one bot on one database send each reminder and notice once.

In one process: two and three senders run as asyncio tasks, each with its own engine and
holder, and every one holds a claim at the same moment (their first sends wait for each
other), over 40 due reminders and 40 subscribers, also when every message is an expired claim
of a dead holder to take over.

As separate OS processes against the fake Bot API served in the test's event loop: `qabot
remind` two and three times at once, the first paused (SIGSTOP) with its plan in hand, and a
claim, while the others plan and send; the same for a notice delivered by two processes. (The
others are started first and held at their getMe, so the pause stays well inside the Bot API
timeouts: a send that times out is sent again, a repeat this test would count.) Then a sender killed with
SIGKILL while the fake Bot API holds back its answer to a message it accepted: the message
it held is neither lost nor sent twice while its claim lives; once the claim expires a later
run sends it (one repeat at most per kill) and finishes the notice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest
from fakebotapi import FakeBotAPI
from sqlalchemy import func, select

from bot import reminders
from bot.features.subscribe import deliver_pending, queue_notice, set_subscribed
from bot.storage import make_engine, session_factory, upgrade_database
from bot.storage.models import Broadcast, BroadcastDelivery, ReminderSent
from knowledge.pack import load_pack

PACK = load_pack()
TODAY = dt.date(2025, 12, 1)  # award 2021-12-20 -> valid until 2025-12-20: the d30 reminder
NOW = dt.datetime(2021, 12, 25, tzinfo=dt.UTC)
N = 40
FIRST_CHAT = 700_000


def _seed_reminders(db_url: str) -> set[int]:
    """N awards, each bound to its own chat; the chats due a reminder on TODAY."""
    from bot import registry

    engine = make_engine(db_url)
    upgrade_database(engine)
    rows = "".join(f"沧州第{i}号公司,组织奖,2021,2021-12-20\n" for i in range(N))
    with session_factory(engine)() as s:
        registry.import_bytes(s, ("名称,奖项,年度,认定日期\n" + rows).encode(), "r.csv", PACK, NOW)
        for i in range(N):
            code, _ = registry.issue_code(s, f"沧州第{i}号公司", NOW, 30)
            registry.bind(s, str(FIRST_CHAT + i), code, NOW)
    engine.dispose()
    return {FIRST_CHAT + i for i in range(N)}


def _seed_notice(db_url: str) -> set[int]:
    """N subscribers and one queued notice."""
    engine = make_engine(db_url)
    upgrade_database(engine)
    factory = session_factory(engine)
    for i in range(N):
        set_subscribed(factory, str(FIRST_CHAT + i), True)
    queue_notice(factory, "📢 <b>年度申报通知</b>（第十条）")
    engine.dispose()
    return {FIRST_CHAT + i for i in range(N)}


def _scalar(db_url: str, query: object) -> object:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        value = conn.execute(query).scalar_one()  # type: ignore[call-overload]
    engine.dispose()
    return value


def _unsent(db_url: str, table: type) -> int:
    return int(_scalar(db_url, select(func.count()).select_from(table)  # type: ignore[arg-type]
                       .where(table.sent_at.is_(None))))  # type: ignore[attr-defined]


def _sent_rows(db_url: str, table: type) -> int:
    return int(_scalar(db_url, select(func.count()).select_from(table)  # type: ignore[arg-type]
                       .where(table.sent_at.is_not(None))))  # type: ignore[attr-defined]


async def _until_claims_expire(db_url: str, table: type) -> None:
    """Wait until no unsent claim is alive (a killed holder's has run out)."""
    until = _scalar(db_url, select(func.max(table.claimed_until))  # type: ignore[attr-defined]
                    .where(table.sent_at.is_(None)))  # type: ignore[attr-defined]
    if isinstance(until, str):  # SQLite: the stored text, in UTC
        until = dt.datetime.fromisoformat(until).replace(tzinfo=dt.UTC)
    if isinstance(until, dt.datetime):
        await asyncio.sleep(max(0.0, (until - dt.datetime.now(dt.UTC)).total_seconds()) + 0.1)


class Barrier:
    """The first send of each of ``n`` senders waits until all have made one: every sender
    holds a claim at the same moment."""

    def __init__(self, n: int) -> None:
        self.n, self.arrived, self.all_in = n, 0, asyncio.Event()

    def sender(self, log: list[tuple[str, str]], name: str):  # noqa: ANN201
        first = True

        async def send(chat_id: str, html: str) -> None:
            nonlocal first
            if first:
                first = False
                self.arrived += 1
                if self.arrived == self.n:
                    self.all_in.set()
                await asyncio.wait_for(self.all_in.wait(), 30)
            await asyncio.sleep(0)
            log.append((name, chat_id))

        return send


# -- in one process: asyncio tasks, each with its own engine ----------------------------------


@pytest.mark.parametrize("senders", [2, 3])
async def test_concurrent_reminder_senders_send_each_reminder_once(db_url: str, senders: int):
    due = _seed_reminders(db_url)
    log: list[tuple[str, str]] = []
    barrier = Barrier(senders)
    engines = [make_engine(db_url) for _ in range(senders)]
    try:
        reports = await asyncio.gather(*(
            reminders.send_due(barrier.sender(log, f"p{i}"), session_factory(e), PACK, TODAY,
                               holder=f"p{i}")
            for i, e in enumerate(engines)))
    finally:
        for e in engines:
            e.dispose()
    assert Counter(int(chat) for _, chat in log) == Counter(due)  # each chat exactly once
    assert all(r.sent >= 1 for r in reports)  # all took part
    assert [r.sent for r in reports] == [sum(name == f"p{i}" for name, _ in log)
                                         for i in range(senders)]  # each logs its own sends
    assert all(r.sent + r.elsewhere == r.planned for r in reports)
    assert _sent_rows(db_url, ReminderSent) == N and _unsent(db_url, ReminderSent) == 0


async def test_expired_claims_of_a_dead_holder_are_each_taken_over_once(db_url: str):
    due = _seed_reminders(db_url)
    engine = make_engine(db_url)
    factory = session_factory(engine)
    dead = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    with factory() as s:
        for r in reminders.plan(s, TODAY):  # claimed by a process that died a while ago
            assert reminders.claim(s, r, "dead", dead - dt.timedelta(seconds=300), 300)
        assert reminders.plan(s, TODAY) != []  # expired claims are due again
    log: list[tuple[str, str]] = []
    barrier = Barrier(3)
    engines = [make_engine(db_url) for _ in range(3)]
    try:
        reports = await asyncio.gather(*(
            reminders.send_due(barrier.sender(log, f"p{i}"), session_factory(e), PACK, TODAY,
                               holder=f"p{i}")
            for i, e in enumerate(engines)))
    finally:
        for e in engines:
            e.dispose()
    assert Counter(int(chat) for _, chat in log) == Counter(due)
    assert sum(r.sent for r in reports) == N
    with factory() as s:
        holders = {row.holder for row in s.execute(select(ReminderSent)).scalars()}
    engine.dispose()
    assert holders <= {"p0", "p1", "p2"}


@pytest.mark.parametrize("senders", [2, 3])
async def test_concurrent_notice_deliveries_reach_each_subscriber_once(db_url: str,
                                                                       senders: int):
    due = _seed_notice(db_url)
    log: list[tuple[str, str]] = []
    barrier = Barrier(senders)
    engines = [make_engine(db_url) for _ in range(senders)]
    try:
        stats = await asyncio.gather(*(
            deliver_pending(session_factory(e), barrier.sender(log, f"p{i}"), per_second=0,
                            holder=f"p{i}")
            for i, e in enumerate(engines)))
    finally:
        for e in engines:
            e.dispose()
    assert Counter(int(chat) for _, chat in log) == Counter(due)
    assert all(s.sent >= 1 for s in stats) and sum(s.sent for s in stats) == N
    assert sum(s.finished for s in stats) == 1  # finished once, by whoever sent last
    assert _scalar(db_url, select(Broadcast.finished_at)) is not None
    assert _sent_rows(db_url, BroadcastDelivery) == N


# -- separate OS processes against the fake Bot API -------------------------------------------


def _env(fake: FakeBotAPI, db_url: str, claim_seconds: float) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("QABOT_", "TELEGRAM_", "WEBHOOK_", "DATABASE_", "ADMIN_"))}
    env.update(DATABASE_URL=db_url, TELEGRAM_BOT_TOKEN=fake.token,
               TELEGRAM_BASE_URL=fake.base_url, DELIVERY_CLAIM_SECONDS=str(claim_seconds))
    return env


async def _remind(fake: FakeBotAPI, db_url: str, cwd: Path,
                  claim_seconds: float) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "remind", "--today", TODAY.isoformat(), cwd=cwd,
        env=_env(fake, db_url, claim_seconds), stdout=asyncio.subprocess.PIPE)


async def _notify(fake: FakeBotAPI, db_url: str, cwd: Path,
                  claim_seconds: float) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, __file__, "notice", cwd=cwd, env=_env(fake, db_url, claim_seconds),
        stdout=asyncio.subprocess.PIPE)


async def _sent_by(proc: asyncio.subprocess.Process) -> int:
    """What the process said it sent itself (``qabot remind``'s line, or the notice child's
    JSON)."""
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, out
    text = out.decode()
    if m := re.search(r"本进程已发送 (\d+)", text):
        return int(m.group(1))
    return int(json.loads(text.splitlines()[-1])["sent"])


def _received(fake: FakeBotAPI) -> Counter[int]:
    return Counter(s.chat_id for s in fake.sent)


async def _sent_at_least(fake: FakeBotAPI, n: int) -> None:
    await fake.wait_for(lambda: len(fake.sent) >= n, timeout=60)


async def _all_sending(fake: FakeBotAPI, processes: int) -> None:
    """Wait until ``processes`` senders have started (each asks getMe, then plans) and a few
    more messages went out: all of them are sending. Sends are slowed until then, so that
    the first does not finish before the last has started."""
    [slow] = [f for f in fake.faults if f.method == "sendMessage"]
    fast, slow.late = slow.late, 0.5
    await fake.wait_for(lambda: fake.methods().count("getMe") >= processes, timeout=60)
    slow.late = fast
    await _sent_at_least(fake, len(fake.sent) + 2 * processes)


async def _pause_while_others_send(fake: FakeBotAPI, first: asyncio.subprocess.Process,
                                   start_other, n: int) -> list[asyncio.subprocess.Process]:  # noqa: ANN001
    """With ``first`` sending, start ``n`` others up to their getMe, pause ``first`` and let
    the others plan and send a few, then let ``first`` go on with its old plan."""
    await _sent_at_least(fake, 5)  # it has planned everything and is sending
    [slow] = [f for f in fake.faults if f.method == "sendMessage"]
    fast, slow.late = slow.late, 0.5  # so that it is still at it when the others are ready
    gate = fake.hold("getMe")
    others = [await start_other() for _ in range(n)]
    await fake.wait_for(lambda: fake.methods().count("getMe") >= 1 + n, timeout=60)
    first.send_signal(signal.SIGSTOP)  # its plan in hand, most likely a claim too
    sent, slow.late = len(fake.sent), fast
    gate.set()
    await _sent_at_least(fake, sent + 6)  # the others plan and send meanwhile
    first.send_signal(signal.SIGCONT)
    return others


@pytest.mark.parametrize("processes", [2, 3])
async def test_qabot_remind_in_several_processes_at_once_sends_each_reminder_once(
        fake: FakeBotAPI, db_url: str, tmp_path: Path, processes: int):
    due = _seed_reminders(db_url)
    fake.fail("sendMessage", late=0.02, times=10**6)  # every send takes a while
    first = await _remind(fake, db_url, tmp_path, 60)
    others = await _pause_while_others_send(
        fake, first, lambda: _remind(fake, db_url, tmp_path, 60), processes - 1)
    sent = [await _sent_by(p) for p in (first, *others)]
    assert _received(fake) == Counter(due)  # each chat exactly once
    assert sum(sent) == N and sent[0] >= 5 and sum(sent[1:]) >= 5  # each says what it sent
    assert _sent_rows(db_url, ReminderSent) == N
    print(f"{processes} processes: sent {sent}")


async def test_a_reminder_sender_killed_mid_send_repeats_at_most_one_and_loses_none(
        fake: FakeBotAPI, db_url: str, tmp_path: Path):
    due = _seed_reminders(db_url)
    claim = 4.0
    fake.fail("sendMessage", late=0.05, times=10**6)  # accepted, then answered late
    doomed, other = (await _remind(fake, db_url, tmp_path, claim),
                     await _remind(fake, db_url, tmp_path, claim))
    await _all_sending(fake, 2)
    doomed.kill()  # SIGKILL: most likely while its last message waits for Telegram's answer
    await doomed.wait()
    await _sent_by(other)
    left = _unsent(db_url, ReminderSent)  # the dead one's claim, if it held one
    assert left <= 1 and max(_received(fake).values()) == 1  # nothing twice while it lives
    await _until_claims_expire(db_url, ReminderSent)
    await _sent_by(await _remind(fake, db_url, tmp_path, claim))  # a later run
    received = _received(fake)
    assert set(received) == due  # none lost
    assert sum(received.values()) - N <= 1  # at most one repeat for the one kill
    assert _sent_rows(db_url, ReminderSent) == N and _unsent(db_url, ReminderSent) == 0
    before = len(fake.sent)
    assert await _sent_by(await _remind(fake, db_url, tmp_path, claim)) == 0
    assert len(fake.sent) == before
    print(f"SIGKILL: claim left {left}, {sum(received.values())} sends for {N}")


async def test_a_second_process_starting_during_a_notice_sends_nobody_anything_twice(
        fake: FakeBotAPI, db_url: str, tmp_path: Path):
    due = _seed_notice(db_url)
    fake.fail("sendMessage", late=0.02, times=10**6)
    first = await _notify(fake, db_url, tmp_path, 60)
    [second] = await _pause_while_others_send(
        fake, first, lambda: _notify(fake, db_url, tmp_path, 60), 1)
    sent = [await _sent_by(first), await _sent_by(second)]
    assert _received(fake) == Counter(due)
    assert sum(sent) == N and min(sent) >= 5
    assert _scalar(db_url, select(Broadcast.finished_at)) is not None
    print(f"notice, 2 processes: sent {sent}")


async def test_a_notice_sender_killed_mid_send_is_finished_later_without_a_loss(
        fake: FakeBotAPI, db_url: str, tmp_path: Path):
    due = _seed_notice(db_url)
    claim = 4.0
    fake.fail("sendMessage", late=0.05, times=10**6)
    doomed = await _notify(fake, db_url, tmp_path, claim)
    await _sent_at_least(fake, 5)
    second = await _notify(fake, db_url, tmp_path, claim)  # starts during the delivery
    await _all_sending(fake, 2)
    doomed.kill()
    await doomed.wait()
    await _sent_by(second)
    left = _unsent(db_url, BroadcastDelivery)
    finished = _scalar(db_url, select(Broadcast.finished_at))
    assert left <= 1 and max(_received(fake).values()) == 1
    assert (finished is None) == (left == 1)  # not finished while a subscriber is unreached
    await _until_claims_expire(db_url, BroadcastDelivery)
    await _sent_by(await _notify(fake, db_url, tmp_path, claim))
    received = _received(fake)
    assert set(received) == due and sum(received.values()) - N <= 1
    assert _scalar(db_url, select(Broadcast.finished_at)) is not None
    assert _sent_rows(db_url, BroadcastDelivery) == N
    print(f"notice SIGKILL: claim left {left}, {sum(received.values())} sends for {N}")


# -- the notice child: one delivery run of handlers/telegram/broadcast.py ---------------------


def _notice_child() -> None:
    from telegram import Bot

    from bot.settings import load_settings
    from handlers.telegram.broadcast import deliver

    settings = load_settings()
    engine = make_engine(settings.db_url)

    async def run() -> dict[str, object]:
        async with Bot(settings.require_token(), base_url=settings.telegram_base_url) as bot:
            stats = await deliver(bot, session_factory(engine), per_second=0,
                                  claim_seconds=settings.delivery_claim_seconds)
        return {"sent": stats.sent, "elsewhere": stats.elsewhere,
                "finished": stats.finished, "interrupted": stats.interrupted}

    print(json.dumps(asyncio.run(run())))
    engine.dispose()


if __name__ == "__main__" and sys.argv[1:2] == ["notice"]:
    _notice_child()
