"""What this installation is configured to use, decided in one place: the knowledge pack
(``QABOT_KNOWLEDGE_PACK``) and whether a database is there to read (``DATABASE_URL``, or the
SQLite file in ``QABOT_DATA_DIR``), and from it the notice that the measures were revised.

Read as :class:`bot.settings.Settings` reads them (environment over ``.env`` over the default)
but without pydantic, so ``qabot ask`` keeps its fast start: the dialogue, the registry and
every command (``validity``, ``selfcheck``, ``check-usage``, ``article``, ``ask``) take their pack
from :func:`pack`, so a pack folder set here changes the counting rule (``period_counting``) for
every surface at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledge.pack import Pack

logger = logging.getLogger(__name__)

DEFAULT_PACK = "cangzhou-2020"
ENV_FILE = ".env"
SQLITE_FILE = "qabot.sqlite3"  # in QABOT_DATA_DIR, as Settings.db_url names it


def setting(name: str, default: str = "") -> str:
    """One setting: the environment, else ``.env`` in the working folder, else ``default``."""
    if name in os.environ:
        return os.environ[name]
    if os.path.exists(ENV_FILE):
        from dotenv import dotenv_values  # what pydantic-settings reads .env with

        value = dotenv_values(ENV_FILE, encoding="utf-8").get(name)
        if value is not None:
            return value
    return default


def pack_id() -> str:
    """The configured pack: a pack id under knowledge/data/packs or a pack folder's path."""
    return setting("QABOT_KNOWLEDGE_PACK").strip() or DEFAULT_PACK


def pack() -> Pack:
    """The configured knowledge pack (loaded once per id)."""
    from knowledge.pack import load_pack

    return load_pack(pack_id())


def database_url() -> str | None:
    """The database configured or already there (``DATABASE_URL``, or the data folder's SQLite
    file), or None: a command that only reads never creates one."""
    url = setting("DATABASE_URL").strip()
    if url:
        return url
    path = Path(setting("QABOT_DATA_DIR").strip() or "data") / SQLITE_FILE
    return f"sqlite:///{path.as_posix()}" if path.exists() else None


def revision_notice(pack: Pack, *, dated: bool = True) -> str:
    """The notice that the measures were revised (``qabot pack supersede``), for an answer on
    the command line, as chat and web show it; "" when none is recorded.

    The database is read only when one is configured or already there (nothing is created or
    migrated), so sqlalchemy is imported only then and ``qabot ask`` without a database starts
    as fast as before. A database that cannot be read gives no notice rather than no answer.
    ``dated=False`` leaves the date out, for a verdict that states a ban (第二十四条)."""
    url = database_url()
    if url is None:
        return ""
    try:
        sup = _supersession(url, pack)
    except Exception:  # noqa: BLE001 - a missing table or a server that is down: no notice
        logger.debug("could not read the pack status for the notice", exc_info=True)
        return ""
    if sup is None:
        return ""
    from knowledge.claims import load_claims

    by, since = sup
    claims = load_claims(pack)
    if not dated:
        return claims.text("notice.superseded_undated", by=by)
    return claims.text("notice.superseded", date=since.isoformat(), by=by)


# the row `qabot pack supersede` writes (bot/storage/models.py PackStatus), read with plain SQL:
# importing sqlmodel and the registry would add most of a second to every `qabot ask`
_QUERY = "SELECT superseded_by, superseded_from FROM pack_status WHERE pack_id = "


def _supersession(url: str, pack: Pack) -> tuple[str, dt.date] | None:
    """(文号, date) of the revision recorded for ``pack``, or None."""
    if url.startswith("sqlite:///"):
        import sqlite3

        path = Path(url.removeprefix("sqlite:///").partition("?")[0]).resolve()
        # read-only: a command that only answers never creates or changes a database
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            row = conn.execute(_QUERY + "?", (pack.id,)).fetchone()
        finally:
            conn.close()
    else:
        from sqlalchemy import create_engine, text

        # a PostgreSQL server that does not answer must not hold up an answer for long
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                row = conn.execute(text(_QUERY + ":p"), {"p": pack.id}).first()
        finally:
            engine.dispose()
    if row is None or not row[0] or row[1] is None:
        return None
    since = row[1] if isinstance(row[1], dt.date) else dt.date.fromisoformat(str(row[1])[:10])
    return str(row[0]), since
