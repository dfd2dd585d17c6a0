"""Dialogue state per conversation, written through to the database and read fresh.

Any number of processes may serve one bot (two webhook replicas, an old and a new process
during a deploy). So a conversation's state is never kept in memory between updates: each
update *holds* its conversation — a lock that every process on the database respects, the
state read from the ``bot_state`` table, the dialogue's turn, the state written and committed —
and only then are the replies sent. A SIGKILL at any moment loses at most the update being
handled: its state change is either committed or not, never half.

A conversation is one user in one chat (``<chat>:<user>``): input the bot waits for in a group
is that member's, and never swallows their next private message.

The lock:

- PostgreSQL: ``pg_advisory_xact_lock`` in the transaction that reads and writes the row; the
  server releases it when the transaction ends or the holder's connection dies.
- SQLite file: a POSIX record lock (``fcntl.lockf``) on one byte of ``<database>.locks``, which
  the kernel releases when the holder dies; SQLite itself cannot hold a write lock while the
  turn writes through other connections.
- Always, first: a lock per conversation inside the process (POSIX record locks belong to the
  process, not the thread).
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, select, text

from bot.storage import write_lock
from bot.storage.models import BotState, utcnow

logger = logging.getLogger(__name__)

NAMESPACE = "conv"


def conversation_key(chat_id: object, user_id: object) -> str:
    """The state key of one user in one chat."""
    return f"{chat_id}:{user_id}"


def _lock_number(key: str) -> int:
    """A stable signed 63-bit number for ``key`` (advisory lock ids are bigints)."""
    a = zlib.crc32(key.encode("utf-8"))
    b = zlib.crc32(key.encode("utf-8")[::-1])
    return ((a << 31) ^ b) & 0x3FFF_FFFF_FFFF_FFFF


class _LocalLocks:
    """One ``threading.Lock`` per key while anyone holds or waits for it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users <= 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)


class _FileLocks:
    """Cross-process locks on bytes of one file beside a SQLite database."""

    SPAN = 1 << 30  # byte offsets the keys are spread over

    def __init__(self, path: Path) -> None:
        import fcntl  # POSIX; on other systems StateStore falls back to in-process locks

        self._fcntl = fcntl
        # Opened once and never closed: closing any descriptor of the file would drop every
        # record lock this process holds on it.
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        offset = _lock_number(key) % self.SPAN
        self._fcntl.lockf(self._fd, self._fcntl.LOCK_EX, 1, offset)
        try:
            yield
        finally:
            self._fcntl.lockf(self._fd, self._fcntl.LOCK_UN, 1, offset)


_FILE_LOCKS: dict[str, _FileLocks] = {}
_FILE_LOCKS_GUARD = threading.Lock()


def _file_locks_for(engine: Engine) -> _FileLocks | None:
    database = engine.url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = str(Path(database).expanduser().resolve()) + ".locks"
    with _FILE_LOCKS_GUARD:
        if path not in _FILE_LOCKS:
            try:
                _FILE_LOCKS[path] = _FileLocks(Path(path))
            except (ImportError, OSError) as e:
                logger.warning("no cross-process state locks (%s): run one process only", e)
                return None
        return _FILE_LOCKS[path]


_LOCAL = _LocalLocks()


class StateStore:
    """Conversation state in ``bot_state`` (namespace ``conv``), one row per conversation."""

    def __init__(self, engine: Engine, namespace: str = NAMESPACE) -> None:
        self.engine = engine
        self.namespace = namespace
        self._postgres = engine.dialect.name == "postgresql"
        self._files = None if self._postgres else _file_locks_for(engine)
        # The database, not the engine: two engines on one database in one process (tests,
        # a CLI command beside the bot) exclude each other too.
        self._database = engine.url.render_as_string(hide_password=True)
        # Built once: on SQLite, building a statement took longer than running it.
        table = BotState.__table__
        self._select = select(table.c.data).where(table.c.namespace == bindparam("ns"),
                                                   table.c.key == bindparam("key"))
        self._delete = delete(table).where(table.c.namespace == bindparam("ns"),
                                           table.c.key == bindparam("key"))
        if self._postgres:
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        upsert = insert(table)
        self._upsert = upsert.on_conflict_do_update(
            index_elements=["namespace", "key"],
            set_={"data": upsert.excluded.data, "updated_at": upsert.excluded.updated_at})

    @contextmanager
    def hold(self, key: str) -> Iterator[dict[str, Any]]:
        """The conversation's state, locked against every process until the block ends and
        saved (committed) on the way out; on an exception nothing is saved."""
        with _LOCAL.hold(f"{self._database}|{self.namespace}|{key}"):
            if self._postgres:
                with self.engine.connect() as conn, conn.begin():
                    conn.execute(_ADVISORY_LOCK, {"k": _lock_number(f"{self.namespace}|{key}")})
                    before = self._read(conn, key)
                    state = _parse(before, key)
                    token = _TURN.set((self.engine, conn))
                    try:
                        yield state
                    finally:
                        _TURN.reset(token)
                    self._write(conn, key, before, _dumps(state))
            elif self._files is not None:
                with self._files.hold(f"{self.namespace}|{key}"):
                    yield from self._hold_plain(key)
            else:
                yield from self._hold_plain(key)

    def _hold_plain(self, key: str) -> Iterator[dict[str, Any]]:
        # No connection stays out of the pool during the turn (a checkout costs microseconds),
        # so a turn that needs one of its own never waits for those other turns hold.
        with self.engine.connect() as conn:
            before = self._read(conn, key)
            conn.rollback()  # no transaction stays open while the turn writes elsewhere
        state = _parse(before, key)
        yield state
        data = _dumps(state)
        if data == before:
            return  # most questions leave the state as it was: no write transaction
        with write_lock(self.engine), self.engine.begin() as conn:
            self._write(conn, key, before, data)

    def load(self, key: str) -> dict[str, Any]:
        """The state as stored (no lock: for reading only)."""
        with self.engine.connect() as conn:
            return _parse(self._read(conn, key), key)

    def forget_chat(self, chat_id: object) -> int:
        """Delete the state of every conversation in a chat."""
        prefix = _like_escape(f"{chat_id}:")
        with write_lock(self.engine), self.engine.begin() as conn:
            n = conn.execute(delete(BotState).where(
                BotState.namespace == self.namespace,
                BotState.key.like(f"{prefix}%", escape="\\"))).rowcount  # type: ignore[attr-defined]
        return int(n or 0)

    # -- rows -------------------------------------------------------------------------------
    def _read(self, conn: Connection, key: str) -> str | None:
        return conn.execute(self._select, {"ns": self.namespace, "key": key}).scalar_one_or_none()

    def _write(self, conn: Connection, key: str, before: str | None, data: str | None) -> None:
        """Store ``data`` (None: delete the row) unless it is what was read."""
        if data == before:
            return
        if data is None:
            conn.execute(self._delete, {"ns": self.namespace, "key": key})
            return
        conn.execute(self._upsert, {"namespace": self.namespace, "key": key, "data": data,
                                    "updated_at": utcnow()})


def _dumps(state: dict[str, Any]) -> str | None:
    """The stored form of ``state``; None for an empty state (no row)."""
    if not state:
        return None
    return json.dumps(state, ensure_ascii=False, sort_keys=True, default=str)


_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:k)")

# The PostgreSQL turn being held in this context: its engine, and the connection whose
# transaction holds the conversation's lock.
_TURN: contextvars.ContextVar[tuple[Engine, Connection] | None] = contextvars.ContextVar(
    "qabot_turn", default=None)


def turn_transaction(engine: Engine) -> Connection | None:
    """The connection of the PostgreSQL turn held in this context on ``engine``, inside its
    transaction: a row written on it commits with the conversation's state, or not at all.
    None outside a turn, and on SQLite (whose turns keep no transaction open)."""
    held = _TURN.get()
    return held[1] if held is not None and held[0] is engine else None


def _parse(data: str | None, key: str) -> dict[str, Any]:
    if data is None:
        return {}
    try:
        state = json.loads(data)
    except ValueError:
        logger.error("state of conversation %s is not JSON; starting afresh", key[:12])
        return {}
    return state if isinstance(state, dict) else {}


def _like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class MemoryStore:
    """The same interface in memory, for a process without a database (one process only)."""

    def __init__(self) -> None:
        self._states: dict[str, str] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[dict[str, Any]]:
        with _LOCAL.hold(f"memory|{id(self)}|{key}"):
            state = _parse(self._states.get(key), key)
            yield state
            if state:
                self._states[key] = json.dumps(state, ensure_ascii=False, default=str)
            else:
                self._states.pop(key, None)

    def load(self, key: str) -> dict[str, Any]:
        return _parse(self._states.get(key), key)

    def forget_chat(self, chat_id: object) -> int:
        gone = [k for k in self._states if k.startswith(f"{chat_id}:")]
        for k in gone:
            del self._states[k]
        return len(gone)
