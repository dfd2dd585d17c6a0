"""Safety around every request: security headers, body size limits and rate limits.

Both middlewares are plain ASGI (no per-request objects), so they cost microseconds. The
Content-Security-Policy allows only the page's own scripts, styles and API; who may frame the
page is ``frame-ancestors`` (the office sites in WEB_ALLOWED_ORIGINS, else only itself).
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# -- user-facing text, kept together for review ----------------------------------------------
T_TOO_MANY = "您的操作太频繁了，请稍等 {seconds} 秒再试。"
T_TOO_LARGE = "内容太长了，请删减后再发送（最多 {kb} KB）。"


def security_headers(allowed_origins: list[str]) -> list[tuple[bytes, bytes]]:
    ancestors = " ".join(["'self'", *allowed_origins])
    csp = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
           "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
           f"frame-ancestors {ancestors}")
    headers = [
        (b"content-security-policy", csp.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    ]
    if not allowed_origins:
        # X-Frame-Options cannot list sites; with a list, frame-ancestors alone decides.
        headers.append((b"x-frame-options", b"SAMEORIGIN"))
    return headers


class SecurityHeaders:
    def __init__(self, app: ASGIApp, allowed_origins: list[str]) -> None:
        self.app = app
        self.headers = security_headers(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                names = {k.lower() for k, _ in message["headers"]}
                message["headers"] = list(message["headers"]) + [
                    (k, v) for k, v in self.headers if k not in names]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuse request bodies over a limit (413), whether announced or streamed."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    too_big = int(value) > limit
                except ValueError:
                    too_big = True
                if too_big:
                    await _refuse(send, 413, "too_large", T_TOO_LARGE.format(kb=limit // 1024))
                    return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited, tracking)
        except BodyTooLarge:
            if not started:
                await _refuse(send, 413, "too_large", T_TOO_LARGE.format(kb=limit // 1024))


class BodyTooLarge(Exception):
    """Raised from ``receive`` past the limit; BodyLimit turns it into 413 (let it through)."""


async def _refuse(send: Send, status: int, code: str, message: str,
                  extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"error": {"code": code, "message": message}},
                      ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), *(extra or [])]})
    await send({"type": "http.response.body", "body": body})


class RateLimiter:
    """At most ``limit`` events per key in any ``window`` seconds (sliding window)."""

    def __init__(self, limit: int, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._seen: dict[str, deque[float]] = {}

    def hit(self, key: str) -> float:
        """Count one event; 0 when allowed, else the seconds until the next is allowed."""
        now = self.clock()
        seen = self._seen.get(key)
        if seen is None:
            if len(self._seen) >= 50_000:
                self._forget_idle(now)
            seen = self._seen[key] = deque()
        while seen and now - seen[0] >= self.window:
            seen.popleft()
        if len(seen) >= self.limit:
            return max(0.1, self.window - (now - seen[0]))
        seen.append(now)
        return 0.0

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, s in self._seen.items() if not s or now - s[-1] >= self.window]:
            del self._seen[key]
