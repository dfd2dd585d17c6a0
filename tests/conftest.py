"""Shared fixtures. ``db_url`` runs a test on SQLite and on PostgreSQL.

Hypothesis runs derandomised by default (profile ``ci``): the same examples on every run, no
example database, so the test command passes or fails the same way every time. Set
``HYPOTHESIS_PROFILE=explore`` to search afresh (random seeds, failures saved in
``.hypothesis/``) when hunting for new failures.

PostgreSQL's URL comes from ``QABOT_TEST_POSTGRES_URL`` (``.ci/run`` sets it); without it the
PostgreSQL half is skipped with the reason. Each PostgreSQL test gets a fresh schema of its
own (``search_path`` set through the URL), dropped afterwards, so tests never see each other's
rows and can run alongside other work on the same database.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fakebotapi import FakeBotAPI
from hypothesis import settings as hypothesis_settings

PG_ENV = "QABOT_TEST_POSTGRES_URL"

# The built-retriever cache (knowledge/cache.py) of the tests and of the processes they start:
# a folder of this run's own, never the user's ~/.cache.
os.environ.setdefault("QABOT_CACHE_DIR", tempfile.mkdtemp(prefix="qabot-test-cache-"))

hypothesis_settings.register_profile("ci", derandomize=True, database=None, deadline=None,
                                     print_blob=True)
hypothesis_settings.register_profile("explore", derandomize=False, deadline=None,
                                     print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _pg_schema_url(base: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as e:  # noqa: BLE001
        admin.dispose()
        pytest.skip(f"PostgreSQL at {PG_ENV} is unreachable: {type(e).__name__}")
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh schema on the test PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{(tmp_path / 'data' / 'qabot.sqlite3').as_posix()}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql+psycopg://postgres@"
                    "127.0.0.1:5432/test); .ci/run sets it")
    yield from _pg_schema_url(base)


@pytest.fixture
def engine(db_url: str) -> Iterator[object]:
    """An engine on ``db_url`` with every migration applied."""
    from bot.storage import make_engine, upgrade_database

    eng = make_engine(db_url)
    upgrade_database(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: object) -> object:
    from bot.storage import session_factory

    return session_factory(engine)  # type: ignore[arg-type]


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    """A fake Telegram Bot API on 127.0.0.1 for the real Application to talk to."""
    async with FakeBotAPI() as api:
        yield api


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{(tmp_path / 'bot.sqlite3').as_posix()}"
