"""Faults: the reminder sender killed mid-run, the database going away, SQLite locked.

- SIGKILL: a subprocess sends a day's reminders through a fake channel that appends every send
  to a file; it is killed with SIGKILL after a random number of sends, 20 times in a row, then,
  once the claims the killed ones held have expired, left to finish. Every due reminder
  arrives, none is lost, at most one repeat per kill.
- Outage: the services reach PostgreSQL through a TCP proxy on 127.0.0.1 that the test cuts
  (existing connections reset, new ones refused) and restores. The machine's PostgreSQL is
  shared with other work, so it is not restarted; for the bot the proxy's cut looks the same.
  Requests during the outage get "稍后再试"; afterwards the bot serves again by itself.
- SQLite: a write while another connection holds the write lock waits (busy_timeout) and
  succeeds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

TODAY = dt.date(2025, 12, 1)  # award 2021-12-20 -> valid until 2025-12-20: the d30 reminder
NOW = dt.datetime(2021, 12, 25, tzinfo=dt.UTC)
WINNERS = 40
KILLS = 20
CLAIM_SECONDS = 1.0  # a killed sender's claim is taken over this soon


# -- the child: one reminder run ------------------------------------------------------------

def _child(db_url: str, out: str) -> None:
    from bot import reminders
    from bot.storage import make_engine, session_factory
    from knowledge.pack import load_pack

    fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    rng = random.Random()

    async def send(chat_id: str, html: str) -> None:
        await asyncio.sleep(rng.uniform(0, 0.004))
        os.write(fd, f"{chat_id}\n".encode())  # one write(2): whole lines even when killed

    engine = make_engine(db_url)
    report = asyncio.run(reminders.send_due(send, session_factory(engine), load_pack(), TODAY,
                                            claim_seconds=CLAIM_SECONDS))
    engine.dispose()
    sys.exit(0 if report.deferred == 0 else 3)


def _seed(db_url: str) -> set[str]:
    """WINNERS awards, each bound to its own chat; returns the chats due a reminder."""
    from bot import registry
    from bot.storage import make_engine, session_factory, upgrade_database
    from knowledge.pack import load_pack

    engine = make_engine(db_url)
    upgrade_database(engine)
    rows = "".join(f"沧州第{i}号公司,组织奖,2021,2021-12-20\n" for i in range(WINNERS))
    chats = set()
    with session_factory(engine)() as s:
        registry.import_bytes(s, ("名称,奖项,年度,认定日期\n" + rows).encode(), "r.csv",
                              load_pack(), NOW)
        for i in range(WINNERS):
            code, _ = registry.issue_code(s, f"沧州第{i}号公司", NOW, 30)
            registry.bind(s, str(700_000 + i), code, NOW)
            chats.add(str(700_000 + i))
    engine.dispose()
    return chats


def _wait_for_claims_to_expire(db_url: str) -> None:
    """Sleep until no unsent claim is held (the killed senders' claims ran out)."""
    from sqlalchemy import func, select

    from bot.storage import make_engine
    from bot.storage.models import ReminderSent

    engine = make_engine(db_url)
    with engine.connect() as conn:
        until = conn.execute(select(func.max(ReminderSent.claimed_until))
                             .where(ReminderSent.sent_at.is_(None))).scalar_one()
    engine.dispose()
    if until is not None:
        if isinstance(until, str):  # SQLite: the text as stored, in UTC
            until = dt.datetime.fromisoformat(until).replace(tzinfo=dt.UTC)
        time.sleep(max(0.0, (until - dt.datetime.now(dt.UTC)).total_seconds()) + 0.05)


def _lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_reminders_survive_20_sigkills_none_lost_at_most_one_repeat_per_kill(db_url: str,
                                                                            tmp_path: Path):
    due = _seed(db_url)
    out = tmp_path / "sent.log"
    rng = random.Random()
    kills = 0
    for _ in range(KILLS):
        start = len(_lines(out))
        child = subprocess.Popen([sys.executable, __file__, "child", db_url, str(out)])
        target = start + rng.randint(0, 3)  # 0: killed before its first send
        deadline = time.monotonic() + 60
        while len(_lines(out)) < target and child.poll() is None:
            assert time.monotonic() < deadline, "the sender made no progress"
            time.sleep(0.002)
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            kills += 1
        child.wait(timeout=30)
    _wait_for_claims_to_expire(db_url)
    final = subprocess.run([sys.executable, __file__, "child", db_url, str(out)], timeout=120)
    assert final.returncode == 0
    sent = Counter(_lines(out))
    assert set(sent) == due  # every due reminder arrived, to the right chats only
    repeats = sum(n - 1 for n in sent.values())
    assert repeats <= kills, (repeats, kills)
    again = subprocess.run([sys.executable, __file__, "child", db_url, str(out)], timeout=120)
    assert again.returncode == 0 and Counter(_lines(out)) == sent  # a later run sends nothing
    print(f"SIGKILL: {kills} kills, {len(due)} due, {sum(sent.values())} sends, "
          f"{repeats} repeats")


# -- PostgreSQL outage ----------------------------------------------------------------------


class Proxy:
    """A TCP proxy on 127.0.0.1 that can be cut (connections reset, new ones refused)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = threading.Event()
        self.up.set()
        self.stopped = False
        self.socks: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up.is_set():
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00"
                                  b"\x00\x00\x00\x00")
                client.close()  # RST: as if the server were down
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.socks |= {client, server}
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        self.up.clear()
        with self.lock:
            socks, self.socks = self.socks, set()
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass

    def restore(self) -> None:
        self.up.set()

    def close(self) -> None:
        self.stopped = True
        self.cut()
        self.listener.close()


@pytest.fixture
def pg_via_proxy(db_url: str) -> Iterator[tuple[str, Proxy]]:
    if not db_url.startswith("postgresql"):
        pytest.skip("the outage is a PostgreSQL outage")
    parts = urlsplit(db_url)
    proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    netloc = f"{parts.username}@127.0.0.1:{proxy.port}" if parts.username else \
        f"127.0.0.1:{proxy.port}"
    yield urlunsplit(parts._replace(netloc=netloc)), proxy
    proxy.close()


def test_during_a_database_outage_requests_get_a_polite_reply_and_service_recovers(
        pg_via_proxy: tuple[str, Proxy]):
    from bot.dialogue import DB_UNAVAILABLE, Dialogue
    from bot.services import Services
    from bot.settings import load_settings
    
    url, proxy = pg_via_proxy
    svc = Services.from_settings(load_settings(_env_file=None, DATABASE_URL=url))
    svc.import_roster_bytes("名称,奖项,年度,认定日期\n沧州甲公司,组织奖,2023,2023-12-20\n".encode(),
                            "r.csv")
    d = Dialogue(services=svc)
    requests = ["/status", "/verify 沧州甲公司", "/subscribe", "/bind ABCD-EFGH-JKLM",
                "/unbind", "公示期几天"]

    def ask(text: str, chat: str = "1001") -> str:
        return "\n".join(r.html for r in d.on_text(d.turn({}, chat_id=chat, user_id=chat,
                                                          is_staff=True), text))

    try:
        assert "沧州甲公司" in ask("/verify 沧州甲公司")  # warm pool connections
        proxy.cut()
        during = {t: ask(t) for t in requests * 3}
        proxy.restore()
        after = {t: ask(t) for t in requests}
    finally:
        svc.close()
    polite = [t for t, reply in during.items() if reply == DB_UNAVAILABLE]
    assert set(polite) >= set(requests) - {"公示期几天"}  # a question needs no database
    assert "公示" in during["公示期几天"]
    assert all("稍后再试" not in reply for reply in after.values()), after
    assert "沧州甲公司" in after["/verify 沧州甲公司"]


# -- SQLite locked ---------------------------------------------------------------------------


def test_a_write_while_sqlite_is_locked_waits_and_succeeds(tmp_path: Path):
    from bot.dialogue import Dialogue
    from bot.services import Services
    from bot.settings import load_settings
    
    path = tmp_path / "locked.sqlite3"
    svc = Services.from_settings(load_settings(_env_file=None,
                                               DATABASE_URL=f"sqlite:///{path.as_posix()}"))
    d = Dialogue(services=svc)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")  # the write lock
        conn.execute("INSERT INTO subscriber (chat_id, active, subscribed_at) "
                     "VALUES ('42', 1, '2024-01-01 00:00:00')")
        holding.set()
        release.wait(10)
        conn.execute("COMMIT")
        conn.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    threading.Timer(0.5, release.set).start()  # the other writer finishes half a second later
    try:
        report = svc.import_roster_bytes(
            "名称,奖项,年度,认定日期\n沧州甲公司,组织奖,2023,2023-12-20\n".encode(), "r.csv")
        waited = release.is_set()  # the import could only finish once the lock was released
        [reply] = d.on_text(d.turn({}, chat_id="1001"), "/subscribe")
    finally:
        release.set()
        holder.join()
        svc.close()
    assert report.added == 1 and "已订阅" in reply.html
    assert waited


if __name__ == "__main__" and sys.argv[1:2] == ["child"]:
    _child(sys.argv[2], sys.argv[3])


def test_a_database_error_behind_a_button_gets_the_polite_reply_too(tmp_path: Path):
    from sqlalchemy.exc import OperationalError

    from bot.dialogue import DB_UNAVAILABLE, Dialogue
    from bot.services import Services
    from bot.settings import load_settings
    
    svc = Services.from_settings(load_settings(
        _env_file=None, DATABASE_URL=f"sqlite:///{(tmp_path / 'b.sqlite3').as_posix()}"))

    def down(chat_id: str) -> int:
        raise OperationalError("DELETE …", {}, Exception("database is locked"))

    svc.forget = down  # type: ignore[method-assign]
    d = Dialogue(services=svc)
    try:
        state: dict = {}
        [ask] = d.on_text(d.turn(state, chat_id="1001"), "/forget")
        [reply] = d.on_button(d.turn(state, chat_id="1001"), ask.buttons[0][0].data)
    finally:
        svc.close()
    assert reply.html == DB_UNAVAILABLE
