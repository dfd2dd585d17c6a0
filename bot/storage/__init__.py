"""Storage: the engine, sessions and schema migrations (SQLite by default, PostgreSQL by URL).

``make_engine(url)`` gives an engine tuned for the database: SQLite files get WAL mode, a busy
timeout and foreign keys, and their folder is created on first use. ``upgrade_database(url)``
applies the Alembic migrations shipped in ``bot/migrations`` (they travel inside the wheel, so
an installed ``qabot`` can migrate without a checkout).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from knowledge.errors import QabotError

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000


class StorageError(QabotError):
    """The database cannot be reached or its URL is malformed."""


def make_engine(url: str, **kw: Any) -> Engine:
    """An engine for ``url``; a SQLite file's folder is created and WAL mode switched on."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(f"数据库地址无效：{url.split('@')[-1]}") from None
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database or ""
        if db and db != ":memory:" and not db.startswith("file:"):
            Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, **kw.pop("connect_args", {})}
        engine = create_engine(url, connect_args=connect_args, **kw)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True, **kw)
    except ModuleNotFoundError as e:
        raise StorageError(
            f"缺少数据库驱动 {e.name}（PostgreSQL 请用 postgresql+psycopg://…）") from None


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")  # safe with WAL
    cur.close()


_WRITERS: dict[str, threading.Lock] = {}
_WRITERS_GUARD = threading.Lock()


@contextmanager
def write_lock(engine: Engine) -> Iterator[None]:
    """Hold around a short write transaction on ``engine``: SQLite writers of this process
    queue on a lock; on PostgreSQL nothing is held.

    SQLite lets one writer in at a time and makes the others wait in its busy handler, which
    sleeps 1, 2, 5, 10 … 100 ms between tries: with a dozen web turns writing at once, some
    waited hundreds of milliseconds for a write of a tenth of one. Writers in other processes
    still wait in the busy handler.
    """
    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    lock = _WRITERS.get(database)
    if lock is None:
        with _WRITERS_GUARD:
            lock = _WRITERS.setdefault(database, threading.Lock())
    with lock:
        yield


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, class_=Session, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session committed on success and rolled back on any error."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(url: str | None = None) -> Any:
    """Alembic's configuration, built in code (no alembic.ini needed)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


MIGRATION_LOCK = 0x71AB07_0001  # PostgreSQL advisory lock id held while migrating


def upgrade_database(target: str | Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (idempotent; run on every start-up)."""
    from alembic import command
    from sqlalchemy.exc import OperationalError

    engine = make_engine(target) if isinstance(target, str) else target
    cfg = alembic_config()
    try:
        with engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                # A batch migration rebuilds a table (copy, drop, rename); with foreign keys on,
                # the drop would cascade and delete the rows that refer to it.
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                conn.commit()  # end SQLAlchemy's autobegun transaction; the pragma stays
            try:
                with conn.begin():
                    if not sqlite:
                        # Processes started together (replicas, a deploy) migrate one at a
                        # time: the others wait here, then find the schema at head. The lock
                        # ends with the transaction, or with a holder that dies.
                        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, revision)
            finally:
                if sqlite:
                    conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                    conn.commit()
    except OperationalError as e:
        raise StorageError(f"无法连接或更新数据库：{str(e.orig).strip().splitlines()[0]}") from None
    finally:
        if isinstance(target, str):
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at, or None when it has none."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy.exc import OperationalError

    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except OperationalError as e:
        raise StorageError(f"无法连接数据库：{str(e.orig).strip().splitlines()[0]}") from None
