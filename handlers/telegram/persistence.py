"""python-telegram-bot persistence in the project's database (the ``bot_state`` table).

Not a pickle file: user and chat state are JSON rows keyed by (namespace, key), so they survive
restarts on SQLite and PostgreSQL alike and can be read (or deleted by ``/forget``) with SQL.
A user halfway through ``/selfcheck`` continues at the same question after a restart.

Database calls are synchronous and short; they run in a worker thread so the event loop keeps
serving updates. Unchanged data is not written again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from sqlalchemy import Engine, delete, select
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from bot.storage import session_factory, session_scope
from bot.storage.models import BotState, utcnow

logger = logging.getLogger(__name__)

USER, CHAT, BOT, CALLBACK = "user_data", "chat_data", "bot_data", "callback_data"


def _conversation_ns(name: str) -> str:
    return f"conversation:{name}"


class SqlPersistence(BasePersistence[dict[str, Any], dict[str, Any], dict[str, Any]]):
    """Keep user_data, chat_data and conversations as JSON rows in ``bot_state``.

    ``bot_data`` is not stored by default: the application keeps live objects (the dialogue,
    settings) there. Callback data is not used (buttons carry short strings).
    """

    def __init__(self, engine: Engine, *, update_interval: float = 5.0,
                 store_data: PersistenceInput | None = None) -> None:
        super().__init__(
            store_data=store_data or PersistenceInput(bot_data=False, callback_data=False),
            update_interval=update_interval)
        self._sessions = session_factory(engine)
        self._saved: dict[tuple[str, str], str] = {}  # what the database holds, to skip rewrites
        self._pending: dict[tuple[str, str], str] = {}
        self._batch: asyncio.Task[None] | None = None

    # -- database (synchronous, run in a thread) ------------------------------------------
    def _load(self, namespace: str) -> dict[str, Any]:
        with self._sessions() as session:
            rows = session.execute(
                select(BotState.key, BotState.data).where(BotState.namespace == namespace)).all()
        out: dict[str, Any] = {}
        for key, data in rows:
            self._saved[(namespace, key)] = data
            try:
                out[key] = json.loads(data)
            except ValueError:
                logger.error("bot_state %s/%s is not JSON; ignored", namespace, key)
        return out

    def _write_many(self, rows: dict[tuple[str, str], str]) -> None:
        now = utcnow()
        with session_scope(self._sessions) as session:
            for (namespace, key), data in rows.items():
                session.merge(BotState(namespace=namespace, key=key, data=data, updated_at=now))
        self._saved.update(rows)

    async def _save(self, namespace: str, key: str, value: Any) -> None:
        """Write a row; concurrent writes (PTB flushes every user at once) share one commit."""
        if value == {} and namespace in (USER, CHAT):
            # An empty dict is what a missing row loads as; writing it would bring back a row
            # about a chat that /forget has just erased.
            self._pending.pop((namespace, key), None)
            if (namespace, key) in self._saved:
                await self._run(self._delete, namespace, key)
            return
        data = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        if self._saved.get((namespace, key)) == data:
            return
        self._pending[(namespace, key)] = data
        if self._batch is None:
            self._batch = asyncio.get_running_loop().create_task(self._write_batch())
        await asyncio.shield(self._batch)

    async def _write_batch(self) -> None:
        await asyncio.sleep(0)  # let the other writes of this flush join the batch
        rows, self._pending, self._batch = self._pending, {}, None
        await asyncio.to_thread(self._write_many, rows)

    def _delete(self, namespace: str, key: str) -> None:
        self._pending.pop((namespace, key), None)
        with session_scope(self._sessions) as session:
            session.execute(delete(BotState).where(BotState.namespace == namespace,
                                                   BotState.key == key))
        self._saved.pop((namespace, key), None)

    async def _run(self, func: Any, *args: Any) -> Any:
        return await asyncio.to_thread(func, *args)

    # -- BasePersistence ------------------------------------------------------------------
    async def get_user_data(self) -> dict[int, dict[str, Any]]:
        return {int(k): v for k, v in (await self._run(self._load, USER)).items()}

    async def get_chat_data(self) -> dict[int, dict[str, Any]]:
        return {int(k): v for k, v in (await self._run(self._load, CHAT)).items()}

    async def get_bot_data(self) -> dict[str, Any]:
        return (await self._run(self._load, BOT)).get("bot", {})

    async def get_callback_data(self) -> Any:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        rows = await self._run(self._load, _conversation_ns(name))
        return {tuple(json.loads(k)): v for k, v in rows.items()}

    async def update_conversation(self, name: str, key: ConversationKey,
                                  new_state: object | None) -> None:
        k = json.dumps(list(key))
        if new_state is None:
            await self._run(self._delete, _conversation_ns(name), k)
        else:
            await self._save(_conversation_ns(name), k, new_state)

    async def update_user_data(self, user_id: int, data: dict[str, Any]) -> None:
        await self._save(USER, str(user_id), data)

    async def update_chat_data(self, chat_id: int, data: dict[str, Any]) -> None:
        await self._save(CHAT, str(chat_id), data)

    async def update_bot_data(self, data: dict[str, Any]) -> None:
        await self._save(BOT, "bot", data)

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        await self._run(self._delete, USER, str(user_id))

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._run(self._delete, CHAT, str(chat_id))

    async def refresh_user_data(self, user_id: int, user_data: dict[str, Any]) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[str, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        return None

    async def flush(self) -> None:
        return None  # every update is written when it is made
