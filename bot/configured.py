"""What this installation is configured to use, decided in one place: the knowledge pack
(``QABOT_KNOWLEDGE_PACK``) and whether a database is there to read (``DATABASE_URL``, or the
SQLite file in ``QABOT_DATA_DIR``).

Read as :class:`bot.settings.Settings` reads them (environment over ``.env`` over the default)
but without pydantic, so ``qabot ask`` keeps its fast start: the dialogue, the registry and
every command (``validity``, ``selfcheck``, ``check-usage``, ``article``, ``ask``) take their pack
from :func:`pack`, so a pack folder set here changes the counting rule (``period_counting``) for
every surface at once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledge.pack import Pack

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
