"""Web sessions: a signed token per browser tab, and the session's dialogue state.

The page keeps the token in ``sessionStorage`` and sends it in the ``X-Session-Token`` header,
so the chat works inside an office site's iframe where third-party cookies are blocked. The
token is ``v1.<session id and issue time>.<HMAC-SHA256>``; a forged or expired token is
refused. Nothing about the person is stored: the session id is random, and the state is the
same JSON the Telegram chat keeps (a questionnaire in progress, the last question).

State is kept by ``bot.state.StateStore`` like every channel's: one row per conversation in
the ``bot_state`` table (the session is its own chat and user, ``web:<id>``), held under a
lock every process respects, read fresh and committed before the reply is sent, so a restart
or a second process continues the same conversation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import struct
import time
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from bot.storage import session_factory, session_scope
from bot.storage.models import BotState

logger = logging.getLogger(__name__)

SECRET_NAMESPACE = "web_secret"
_VERSION = "v1"
_ID_BYTES = 16
_MAC_BYTES = 16


class BadToken(Exception):
    """The token is missing, malformed, forged or expired."""


@dataclass(frozen=True)
class Session:
    id: str  # 32 hex characters
    issued: int  # unix seconds

    @property
    def chat_id(self) -> str:
        """The id the dialogue and the registry see for this web session."""
        return f"web:{self.id}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Tokens:
    """Issue and check session tokens signed with the install's secret."""

    def __init__(self, secret: bytes, max_age_seconds: int) -> None:
        if len(secret) < 16:
            raise ValueError("session secret too short")
        self._key = hashlib.sha256(b"qabot-web-session\0" + secret).digest()
        self.max_age = max_age_seconds

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode("ascii"), hashlib.sha256)
                    .digest()[:_MAC_BYTES])

    def issue(self, session_id: str | None = None, now: float | None = None) -> tuple[str, Session]:
        sid = bytes.fromhex(session_id) if session_id else secrets.token_bytes(_ID_BYTES)
        issued = int(now if now is not None else time.time())
        payload = f"{_VERSION}.{_b64(sid + struct.pack('>I', issued))}"
        return f"{payload}.{self._mac(payload)}", Session(sid.hex(), issued)

    def check(self, token: str | None, now: float | None = None) -> Session:
        if not token or len(token) > 200:
            raise BadToken("missing")
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != _VERSION:
            raise BadToken("malformed")
        payload = f"{parts[0]}.{parts[1]}"
        if not hmac.compare_digest(self._mac(payload), parts[2]):
            raise BadToken("signature")
        try:
            raw = _unb64(parts[1])
        except ValueError:
            raise BadToken("malformed") from None
        if len(raw) != _ID_BYTES + 4:
            raise BadToken("malformed")
        issued = struct.unpack(">I", raw[_ID_BYTES:])[0]
        age = (now if now is not None else time.time()) - issued
        if age > self.max_age or age < -300:
            raise BadToken("expired")
        return Session(raw[:_ID_BYTES].hex(), issued)


def install_secret(engine: Engine) -> bytes:
    """The per-install signing secret, made once and kept in the database.

    Every process on the database reads the same one, so replicas accept each other's tokens.
    Set WEB_SESSION_SECRET to manage it yourself (rotating it ends every web session).
    """
    sessions = session_factory(engine)
    with sessions() as s:
        row = s.get(BotState, (SECRET_NAMESPACE, "session"))
        if row is not None:
            return bytes.fromhex(json.loads(row.data))
    new = secrets.token_bytes(32)
    try:
        with session_scope(sessions) as s:
            s.add(BotState(namespace=SECRET_NAMESPACE, key="session", data=json.dumps(new.hex())))
        logger.warning("WEB_SESSION_SECRET 未设置：已生成本机专用的会话密钥并保存在数据库中")
        return new
    except IntegrityError:  # another process made it first: use theirs
        with sessions() as s:
            row = s.get(BotState, (SECRET_NAMESPACE, "session"))
            assert row is not None
            return bytes.fromhex(json.loads(row.data))
