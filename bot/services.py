"""Storage-backed services the dialogue, the CLI and the Telegram app share.

``Services.from_settings(settings)`` opens the database named by the settings, applies the
migrations, and gives sessions and the registry's operations with the clock filled in::

    services = Services.from_settings(load_settings())
    dialogue = Dialogue(services=services)
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from knowledge.pack import Pack, load_pack

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import sessionmaker
    from sqlmodel import Session

    from bot.registry import ImportReport, Match, Supersession
    from bot.settings import Settings
    from bot.storage.models import Winner

logger = logging.getLogger(__name__)

# How long a process trusts the revision it last read (qabot pack supersede in another
# process shows up within this time), and backs off after a failed read.
SUPERSESSION_TTL = 10.0


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    pack: Pack
    _supersession: tuple[float, Any] | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, *, migrate: bool = True,
                      pack: Pack | None = None) -> Services:
        """Open the database (migrated to head unless ``migrate`` is False)."""
        from bot.storage import make_engine, session_factory, upgrade_database

        engine = make_engine(settings.db_url)
        if migrate:
            upgrade_database(engine)
        services = cls(settings, engine, session_factory(engine),
                       pack or load_pack(settings.knowledge_pack))
        if migrate:
            services.sync_valid_until()
        return services

    def sync_valid_until(self) -> int:
        """Recompute stored expiry dates if the pack's counting rule changed since last start."""
        from bot import registry

        with self.session() as s:
            return registry.sync_valid_until(s, self.pack, self.now())

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        from bot.storage import session_scope

        with session_scope(self.sessions) as s:
            yield s

    # -- the clock, in the office's time zone ----------------------------------------------
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def today(self) -> dt.date:
        return dt.datetime.now(self.settings.tz).date()

    # -- registry operations (staff) ---------------------------------------------------------
    def import_roster_bytes(self, data: bytes, filename: str) -> ImportReport:
        """Import a roster file's bytes (CSV or .xlsx): all rows or, on a bad row, none."""
        from bot import registry

        with self.session() as s:
            return registry.import_bytes(s, data, filename, self.pack, self.now())

    def issue_code(self, name: str, year: int | None = None) -> tuple[str, Winner]:
        from bot import registry

        with self.session() as s:
            return registry.issue_code(s, name, self.now(), self.settings.bind_code_ttl_days,
                                       year)

    def revoke(self, name: str, reason: str, year: int | None = None, *,
               on: dt.date | None = None) -> Winner:
        from bot import registry

        with self.session() as s:
            return registry.revoke(s, name, reason, on or self.today(), self.now(), year,
                                   self.pack)

    def revoke_by_id(self, winner_id: int, reason: str, *, on: dt.date | None = None) -> Winner:
        """Revoke the award a confirmation named (its row id), not whatever matches a name."""
        from bot import registry
        from bot.storage.models import Winner as WinnerRow

        with self.session() as s:
            w = s.get(WinnerRow, winner_id)
            if w is None:
                raise registry.RegistryError("名录中已没有这个获奖记录，未撤销。")
            return registry.revoke_winner(s, w, reason, on or self.today(), self.now(), self.pack)

    def expiring(self, within: int = 180) -> list[Winner]:
        from bot import registry

        with self.session() as s:
            return registry.expiring(s, self.today(), within)

    def export_csv(self) -> str:
        from bot import registry

        with self.session() as s:
            return registry.export_csv(registry.list_winners(s))

    def quota_warnings(self) -> list[str]:
        from bot import registry

        with self.session() as s:
            return registry.quota_warnings(s, self.pack)

    # -- chat operations (winners and the public) --------------------------------------------
    def bind(self, chat_id: str, code: str) -> Winner:
        from bot import registry

        with self.session() as s:
            return registry.bind(s, str(chat_id), code, self.now())

    def mark_expiry_told(self, winner_id: int, chat_id: str) -> None:
        from bot import registry

        with self.session() as s:
            registry.mark_expiry_told(s, winner_id, str(chat_id), self.now())

    def unbind(self, chat_id: str) -> int:
        from bot import registry

        with self.session() as s:
            return registry.unbind(s, str(chat_id))

    def forget(self, chat_id: str) -> int:
        from bot import registry

        with self.session() as s:
            return registry.forget(s, str(chat_id))

    def bound_winners(self, chat_id: str) -> list[Winner]:
        from bot import registry

        with self.session() as s:
            return registry.bound_winners(s, str(chat_id))

    def verify(self, query: str, today: dt.date | None = None) -> list[Match]:
        from bot import registry

        with self.session() as s:
            return registry.verify(s, query, today or self.today(), self.pack)

    def later_valid(self, winners: list[Winner], today: dt.date) -> dict[int, Winner]:
        """For each award (by id) another award of the same winner that is valid today and
        ends later (第四条/第十七条: while it is valid, the winner does not apply again)."""
        from bot import registry

        with self.session() as s:
            latest = registry.latest_valid(s, winners, today)
        out = {}
        for w in winners:
            other = latest.get((w.name_key, w.kind))
            if other is not None and other.id != w.id and other.valid_until > w.valid_until:
                out[int(w.id or 0)] = other
        return out

    def barred_keys(self, name_keys: list[str]) -> set[str]:
        """Winners (by name key) with a revoked award: 第二十四条, 今后不得申报."""
        from bot import registry

        with self.session() as s:
            return registry.barred_keys(s, name_keys)

    # -- the measures' status (qabot pack supersede) ------------------------------------------
    def supersession(self) -> Supersession | None:
        """The revision staff recorded, read at most every SUPERSESSION_TTL seconds; on a
        database error the last value read is kept, so questions are still answered."""
        from bot import registry

        now = time.monotonic()
        cached = self._supersession
        if cached is not None and now - cached[0] < SUPERSESSION_TTL:
            return cached[1]  # type: ignore[no-any-return]
        value = cached[1] if cached is not None else None
        try:
            with self.session() as s:
                value = registry.supersession(s, self.pack)
        except Exception:  # noqa: BLE001 - a database outage must not stop answers
            logger.warning("could not read the pack status; keeping the last value",
                           exc_info=True)
        self._supersession = (now, value)
        return value

    def set_supersession(self, by: str | None, since: dt.date | None) -> Supersession | None:
        from bot import registry

        with self.session() as s:
            value = registry.set_supersession(s, self.pack, by, since, self.now())
        self._supersession = (time.monotonic(), value)
        return value
