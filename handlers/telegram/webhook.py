"""A small webhook receiver: Telegram POSTs updates, they go to the application's queue.

python-telegram-bot's built-in webhook server needs tornado; this one is plain asyncio with
h11 (already installed with httpx), about a hundred lines. It accepts POST on one path,
checks ``X-Telegram-Bot-Api-Secret-Token`` in constant time when a secret is set, and answers
403 without it, so a stranger who finds the URL cannot inject updates.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from urllib.parse import urlsplit

import h11
from telegram import Update
from telegram.ext import Application

logger = logging.getLogger(__name__)

MAX_BODY = 1 << 20  # Telegram updates are far smaller
SECRET_HEADER = b"x-telegram-bot-api-secret-token"


def path_of(webhook_url: str) -> str:
    return urlsplit(webhook_url).path or "/"


class WebhookServer:
    """Serve ``POST path`` on ``listen:port`` into ``app.update_queue``."""

    def __init__(self, app: Application, listen: str, port: int, path: str,
                 secret_token: str | None) -> None:
        self.app, self.listen, self.port, self.path = app, listen, port, path
        self.secret = secret_token.encode() if secret_token else None
        self._server: asyncio.Server | None = None
        self._conns: set[asyncio.Task[None]] = set()

    async def start(self) -> WebhookServer:
        self._server = await asyncio.start_server(self._serve, self.listen, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        logger.info("webhook listening on %s:%s%s", self.listen, self.port, self.path)
        return self

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for task in list(self._conns):
            task.cancel()
        await asyncio.gather(*self._conns, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conns.add(task)
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_BODY)
        try:
            while True:
                request, body = await self._read(conn, reader)
                if request is None:
                    return
                status = await self._handle(request, body)
                payload = b"" if status == 200 else str(status).encode()
                writer.write(conn.send(h11.Response(
                    status_code=status,
                    headers=[("content-length", str(len(payload))),
                             ("content-type", "text/plain")])))
                writer.write(conn.send(h11.Data(data=payload)))
                writer.write(conn.send(h11.EndOfMessage()))
                await writer.drain()
                if conn.our_state is h11.MUST_CLOSE:
                    return
                conn.start_next_cycle()
        except (ConnectionError, h11.ProtocolError, asyncio.CancelledError):
            pass
        finally:
            self._conns.discard(task)
            writer.close()

    async def _read(self, conn: h11.Connection, reader: asyncio.StreamReader,
                    ) -> tuple[h11.Request | None, bytes]:
        request, body = None, bytearray()
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = await reader.read(65536)
                if not data and conn.their_state is h11.IDLE:
                    return None, b""
                conn.receive_data(data)
            elif isinstance(event, h11.Request):
                request = event
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) > MAX_BODY:
                    return None, b""
            elif isinstance(event, h11.EndOfMessage):
                return request, bytes(body)
            else:
                return None, b""

    async def _handle(self, request: h11.Request, body: bytes) -> int:
        if urlsplit(request.target.decode("latin-1")).path != self.path:
            return 404
        if request.method != b"POST":
            return 405
        if self.secret is not None:
            given = dict(request.headers).get(SECRET_HEADER, b"")
            if not hmac.compare_digest(given, self.secret):
                logger.warning("webhook request without the right secret token refused")
                return 403
        try:
            update = Update.de_json(json.loads(body), self.app.bot)
        except (ValueError, TypeError, KeyError):
            logger.warning("webhook body is not an update", exc_info=True)
            return 400
        await self.app.update_queue.put(update)
        return 200
