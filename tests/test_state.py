"""Conversation state held per update: read fresh, written before the reply, one holder at a
time across threads, engines and OS processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.state import MemoryStore, StateStore, conversation_key
from bot.storage import make_engine, session_factory, upgrade_database
from bot.storage.models import BotState

ROOT = Path(__file__).resolve().parents[1]


def _engine(db_url: str):  # noqa: ANN202
    eng = make_engine(db_url)
    upgrade_database(eng)
    return eng


def test_state_is_committed_when_the_hold_ends_and_not_on_an_error(db_url: str):
    eng = _engine(db_url)
    store = StateStore(eng)
    key = conversation_key(-100, 7)
    with store.hold(key) as state:
        state["flow"] = "usage"
    assert StateStore(_engine(db_url)).load(key) == {"flow": "usage"}  # another engine sees it
    with pytest.raises(RuntimeError), store.hold(key) as state:
        state["flow"] = "selfcheck"
        raise RuntimeError("the turn failed")
    assert store.load(key) == {"flow": "usage"}  # a failed turn changes nothing
    with store.hold(key) as state:
        state.clear()
    with session_factory(eng)() as s:  # an empty state leaves no row
        assert s.execute(select(BotState).where(BotState.key == key)).first() is None
    eng.dispose()


def test_each_member_of_a_chat_has_a_conversation_of_their_own(db_url: str):
    store = StateStore(_engine(db_url))
    with store.hold(conversation_key(-100, 7)) as state:
        state["flow"] = "usage"
    assert store.load(conversation_key(7, 7)) == {}  # their private chat is another one
    assert store.load(conversation_key(-100, 8)) == {}
    with store.hold(conversation_key(7, 7)) as state:
        state["x"] = 1
    assert store.forget_chat(-100) == 1
    assert store.load(conversation_key(7, 7)) == {"x": 1}
    store.engine.dispose()


def test_concurrent_turns_of_one_conversation_never_lose_an_update(db_url: str):
    """Two engines (as two processes would have), four threads each: read-modify-write of one
    conversation 200 times, and every increment survives."""
    engines = [_engine(db_url), _engine(db_url)]
    stores = [StateStore(e) for e in engines]
    key = conversation_key(1001, 1001)

    def work(store: StateStore) -> None:
        for _ in range(25):
            with store.hold(key) as state:
                n = state.get("n", 0)
                time.sleep(0.0005)  # widen the window a lost update needs
                state["n"] = n + 1

    threads = [threading.Thread(target=work, args=(stores[i % 2],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert stores[0].load(key)["n"] == 200
    for e in engines:
        e.dispose()


_WORKER = textwrap.dedent("""
    import sys, time
    from bot.state import StateStore
    from bot.storage import make_engine
    store = StateStore(make_engine(sys.argv[1]))
    print("ready", flush=True)
    for _ in range(int(sys.argv[2])):
        with store.hold("1001:1001") as state:
            n = state.get("n", 0)
            time.sleep(0.001)
            state["n"] = n + 1
            if sys.argv[3] == "hang" and n + 1 == 5:
                print("holding", flush=True)
                time.sleep(600)  # killed here, the lock held
""")


def _worker(db_url: str, rounds: int, mode: str = "run") -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", _WORKER, db_url, str(rounds), mode],
                            stdout=subprocess.PIPE, text=True, env=env)


def test_several_os_processes_take_turns_on_one_conversation(db_url: str):
    _engine(db_url).dispose()
    workers = [_worker(db_url, 40) for _ in range(3)]
    for w in workers:
        assert w.wait(timeout=120) == 0
    store = StateStore(make_engine(db_url))
    assert store.load("1001:1001")["n"] == 120
    store.engine.dispose()


def test_a_process_killed_while_holding_a_conversation_does_not_block_it(db_url: str):
    """SIGKILL while holding the lock: the database (PostgreSQL) or the kernel (SQLite's lock
    file) releases it, the half-done turn is not saved, and others carry on."""
    _engine(db_url).dispose()
    holder = _worker(db_url, 10, "hang")
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "ready"
    assert holder.stdout.readline().strip() == "holding"
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    other = _worker(db_url, 3)
    assert other.wait(timeout=60) == 0
    store = StateStore(make_engine(db_url))
    assert store.load("1001:1001")["n"] == 4 + 3  # the killed turn's 5th increment is lost
    store.engine.dispose()


def test_a_state_that_is_not_json_starts_afresh(db_url: str):
    eng = _engine(db_url)
    with session_factory(eng)() as s:
        s.add(BotState(namespace="conv", key="1:1", data="{not json"))
        s.commit()
    store = StateStore(eng)
    with store.hold("1:1") as state:
        assert state == {}
        state["ok"] = True
    assert json.loads(json.dumps(store.load("1:1"))) == {"ok": True}
    eng.dispose()


def test_the_memory_store_keeps_the_same_contract():
    store = MemoryStore()
    with store.hold("1:1") as state:
        state["a"] = 1
    with pytest.raises(KeyError), store.hold("1:1") as state:
        state["a"] = 2
        raise KeyError
    assert store.load("1:1") == {"a": 1}
    assert store.forget_chat(1) == 1 and store.load("1:1") == {}
