"""The web face of the dialogue: one Starlette app with the chat page, its API and health.

``build_app`` returns the ASGI application ``qabot serve`` runs; the Telegram webhook is one
more route handed in by the command that starts both (channels never import each other).
The route table below is the app's table of contents.

Every turn is the same as in Telegram and ``qabot chat``: the dialogue answers, its replies
are sent as JSON (:mod:`handlers.web.render`), and the session's state is committed to the
database before the response leaves.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from anyio import to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.dialogue import DB_UNAVAILABLE, Dialogue, is_database_outage
from bot.metrics import CONTENT_TYPE, Metrics
from bot.settings import Settings
from bot.state import StateStore, conversation_key
from bot.turn import NEEDS_IDENTITY, Reply, Turn
from handlers.web.guard import T_TOO_MANY, BodyLimit, BodyTooLarge, RateLimiter, SecurityHeaders
from handlers.web.render import replies_json
from handlers.web.sessions import BadToken, Session, Tokens, install_secret

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
TOKEN_HEADER = "x-session-token"
MAX_TEXT = 2000  # characters in one message; a promotional text to check fits easily
MAX_BUTTON_DATA = 64  # bytes, Telegram's limit, which the dialogue's buttons keep
WEBHOOK_MAX_BODY = 1 << 20  # Telegram's updates are far smaller

# -- user-facing text, kept together for review ----------------------------------------------
T_BAD_SESSION = "会话已失效，请刷新页面重新开始。"
T_BAD_JSON = "请求格式不对：需要 JSON 对象。"
T_NO_TEXT = "请输入您的问题。"
T_TEXT_TOO_LONG = "内容太长了（{n} 字），请控制在 {max} 字以内。"
T_BAD_BUTTON = "这个按钮已失效，请重新发送命令或问题。"
T_INTERNAL = "抱歉，出了点问题，请稍后再试。"
T_NOT_FOUND = "没有这个页面。"
T_NOT_ON_WEB = ("网页版不记录您的身份，不能绑定获奖单位、查看绑定状态或订阅通知；"
                "这些功能请在 Telegram 中使用，或联系质量奖办公室。\n"
                "网页上可以：\n• <b>/verify 名称</b> — 查询某单位或个人是否为有效期内的获奖者\n"
                "• <b>/usage</b> — 检查宣传文字中荣誉称号的用法（第二十一条）")
# Commands that need an identity or a push channel the web does not have (/start and /help
# on the web leave them out).
NOT_ON_WEB = NEEDS_IDENTITY
NOT_ON_WEB_BUTTONS = frozenset({"qa:winner"})


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def error_response(status: int, code: str, message: str,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status,
                        headers=headers)


class WebChat:
    """The endpoints, with what they share: the dialogue, sessions, limits and metrics."""

    def __init__(self, settings: Settings, dialogue: Dialogue, metrics: Metrics,
                 hot_questions: Callable[[], list[str]]) -> None:
        services = dialogue.services
        engine = getattr(services, "engine", None)
        if engine is None:
            raise ValueError("the web chat needs the dialogue's database (Services)")
        self.settings = settings
        self.dialogue = dialogue
        self.metrics = metrics
        self.hot_questions = hot_questions
        self.engine = engine
        self.states = StateStore(engine)
        secret = (settings.web_session_secret.get_secret_value().encode()
                  if settings.web_session_secret else install_secret(engine))
        self.tokens = Tokens(secret, settings.web_session_hours * 3600)
        self.per_ip = RateLimiter(settings.web_rate_per_ip)
        self.per_session = RateLimiter(settings.web_rate_per_session)

    # -- pages -------------------------------------------------------------------------
    async def index(self, request: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8",
                            headers={"cache-control": "no-cache"})

    async def widget(self, request: Request) -> Response:
        return FileResponse(STATIC / "widget.js",
                            media_type="application/javascript; charset=utf-8",
                            headers={"cache-control": "public, max-age=3600"})

    async def healthz(self, request: Request) -> Response:
        pack = self.dialogue.pack
        body: dict[str, Any] = {"pack": pack.id, "articles": len(pack.regulation.articles)}
        try:
            await asyncio.wait_for(to_thread.run_sync(self._ping), timeout=3.0)
            body["database"] = "ok"
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            logger.warning("healthz: database unreachable", exc_info=True)
            body["database"] = "unavailable"
        ok = body["database"] == "ok" and body["articles"] > 0
        body["status"] = "ok" if ok else "unavailable"
        return JSONResponse(body, status_code=200 if ok else 503)

    def _ping(self) -> None:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    async def metrics_text(self, request: Request) -> Response:
        body = await to_thread.run_sync(self.metrics.render)
        return Response(body, media_type=CONTENT_TYPE)

    # -- the API -------------------------------------------------------------------------
    async def session(self, request: Request) -> Response:
        """Start (or resume) a session; the greeting and hot questions for the start screen."""
        return await self._api(request, "session", self._session)

    async def message(self, request: Request) -> Response:
        return await self._api(request, "message", self._message)

    async def button(self, request: Request) -> Response:
        return await self._api(request, "button", self._button)

    async def _session(self, request: Request) -> dict[str, Any]:
        self._limit_ip(request)
        await self._json(request, allow_empty=True)
        old = request.headers.get(TOKEN_HEADER)
        resumed = False
        session: Session | None = None
        if old:
            try:
                session = self.tokens.check(old)
                resumed = True
            except BadToken:
                session = None
        token, session = self.tokens.issue(session.id if session else None)
        replies = await self._turn(session, lambda turn: self._greet(turn, resumed))
        pack = self.dialogue.pack
        return {"token": token, "expires_in": self.tokens.max_age, "resumed": resumed,
                "replies": replies_json(replies),
                # Buttons for the start screen; issue 13's hot questions fill this list.
                "hot_questions": self.hot_questions(),
                "pack": {"id": pack.id, "title": pack.title, "doc_number": pack.doc_number,
                         "award_name": pack.award_name},
                "max_text": MAX_TEXT}

    async def _message(self, request: Request) -> dict[str, Any]:
        session = self._checked(request)
        body = await self._json(request)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "no_text", T_NO_TEXT)
        if len(text) > MAX_TEXT:
            raise ApiError(400, "too_long", T_TEXT_TOO_LONG.format(n=len(text), max=MAX_TEXT))
        replies = await self._turn(session, lambda turn: self._on_text(turn, text))
        return {"replies": replies_json(replies)}

    async def _button(self, request: Request) -> dict[str, Any]:
        session = self._checked(request)
        body = await self._json(request)
        data = body.get("data")
        if not isinstance(data, str) or not data or len(data.encode()) > MAX_BUTTON_DATA:
            raise ApiError(400, "bad_button", T_BAD_BUTTON)
        replies = await self._turn(session, lambda turn: self._on_button(turn, data))
        return {"replies": replies_json(replies)}

    def _greet(self, turn: Turn, resumed: bool) -> list[Reply]:
        """The start screen. Opening the page again is not a command the user typed: input
        the dialogue was waiting for (a questionnaire's number) is still awaited."""
        flow = turn.state.get("flow")
        replies = self.dialogue.on_text(turn, "/start")
        if resumed and flow is not None:
            turn.state["flow"] = flow
        return replies

    def _on_text(self, turn: Turn, text: str) -> list[Reply]:
        stripped = text.strip()
        if stripped.startswith(("/", "／")) and len(stripped) > 1:
            name = stripped[1:].split(maxsplit=1)[0].split("@", 1)[0].lower()
            if name in NOT_ON_WEB:
                return [Reply(T_NOT_ON_WEB)]
        return self.dialogue.on_text(turn, text)

    def _on_button(self, turn: Turn, data: str) -> list[Reply]:
        if data in NOT_ON_WEB_BUTTONS:
            return [Reply(T_NOT_ON_WEB)]
        return self.dialogue.on_button(turn, data)

    # -- plumbing ------------------------------------------------------------------------
    async def _api(self, request: Request, route: str,
                   handle: Callable[[Request], Any]) -> Response:
        start = time.perf_counter()
        try:
            return JSONResponse(await handle(request))
        except ApiError as e:
            return error_response(e.status, e.code, e.message, e.headers)
        except BodyTooLarge:
            raise  # BodyLimit answers 413
        except Exception as e:
            if is_database_outage(e):
                logger.warning("web %s: database unavailable", route, exc_info=True)
                self.metrics.errors.labels("web", "database").inc()
                return error_response(503, "database_unavailable", DB_UNAVAILABLE,
                                      {"retry-after": "5"})
            logger.error("web %s failed", route, exc_info=True)
            self.metrics.errors.labels("web", "internal").inc()
            return error_response(500, "internal", T_INTERNAL)
        finally:
            self.metrics.request_seconds.labels(route).observe(time.perf_counter() - start)

    def _checked(self, request: Request) -> Session:
        self._limit_ip(request)
        token = request.headers.get(TOKEN_HEADER)
        if token is None:
            auth = request.headers.get("authorization", "")
            token = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        try:
            session = self.tokens.check(token)
        except BadToken as e:
            raise ApiError(401, "bad_session", T_BAD_SESSION) from e
        wait = self.per_session.hit(session.id)
        if wait:
            self.metrics.rate_limited.labels("session").inc()
            raise _too_many(wait)
        return session

    def _limit_ip(self, request: Request) -> None:
        ip = request.client.host if request.client else "unknown"
        wait = self.per_ip.hit(ip)
        if wait:
            self.metrics.rate_limited.labels("ip").inc()
            raise _too_many(wait)

    async def _json(self, request: Request, *, allow_empty: bool = False) -> dict[str, Any]:
        raw = await request.body()
        if not raw.strip() and allow_empty:
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            raise ApiError(400, "bad_json", T_BAD_JSON) from None
        if not isinstance(body, dict):
            raise ApiError(400, "bad_json", T_BAD_JSON)
        return body

    async def _turn(self, session: Session, act: Callable[[Turn], list[Reply]]) -> list[Reply]:
        """Run one turn of this session: its state held (locked against every process on the
        database), read fresh, and written before the reply returns. The database work runs
        in a worker thread so the event loop keeps serving others."""
        return await to_thread.run_sync(self._turn_sync, session, act)

    def _turn_sync(self, session: Session, act: Callable[[Turn], list[Reply]]) -> list[Reply]:
        with self.states.hold(conversation_key(session.chat_id, session.chat_id)) as state:
            turn = self.dialogue.turn(state, chat_id=session.chat_id, user_id=session.chat_id,
                                      is_staff=False, channel="web")
            return act(turn)


def _too_many(wait: float) -> ApiError:
    seconds = max(1, round(wait))
    return ApiError(429, "rate_limited", T_TOO_MANY.format(seconds=seconds),
                    {"retry-after": str(seconds)})


async def _not_found(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    if request.url.path.startswith("/api/"):
        code = "not_found" if status == 404 else "method_not_allowed"
        message = T_NOT_FOUND if status == 404 else "不支持这种请求方式。"
        return error_response(status, code, message)
    return PlainTextResponse(T_NOT_FOUND if status == 404 else "不支持这种请求方式。",
                             status_code=status)


async def _server_error(request: Request, exc: Exception) -> Response:
    logger.error("unhandled error on %s", request.url.path, exc_info=exc)
    return error_response(500, "internal", T_INTERNAL)


def default_hot_questions(dialogue: Dialogue | None = None) -> list[str]:
    """The 热点问题 staff see in /hot (bot.features.teach), else the examples."""
    from bot.features.qa import EXAMPLES

    if dialogue is not None and "hot" in dialogue.buttons:
        from bot.features.teach import hot_texts

        return hot_texts(dialogue) or list(EXAMPLES)
    return list(EXAMPLES)


def build_app(settings: Settings, dialogue: Dialogue, *, metrics: Metrics | None = None,
              extra_routes: Sequence[BaseRoute] = (),
              lifespan: Callable[[Starlette], AbstractAsyncContextManager[None]] | None = None,
              hot_questions: Callable[[], list[str]] | None = None) -> Starlette:
    """The web chat (and whatever ``extra_routes`` adds, e.g. Telegram's webhook)."""
    if metrics is None:
        metrics = Metrics(getattr(dialogue.services, "sessions", None))
        metrics.attach(dialogue)
    chat = WebChat(settings, dialogue, metrics,
                   hot_questions or (lambda: default_hot_questions(dialogue)))
    routes: list[BaseRoute] = [
        Route("/", chat.index, methods=["GET", "HEAD"]),
        Route("/widget.js", chat.widget, methods=["GET", "HEAD"]),
        Route("/api/session", chat.session, methods=["POST"]),
        Route("/api/message", chat.message, methods=["POST"]),
        Route("/api/button", chat.button, methods=["POST"]),
        Route("/healthz", chat.healthz, methods=["GET", "HEAD"]),
        Route("/metrics", chat.metrics_text, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        *extra_routes,
    ]
    api_limit = settings.web_max_body_bytes

    def limit_for(path: str) -> int:
        return api_limit if path.startswith("/api/") else WEBHOOK_MAX_BODY

    middleware = [
        Middleware(SecurityHeaders, allowed_origins=settings.web_allowed_origins),
        Middleware(BodyLimit, limit_for=limit_for),
    ]
    if settings.web_allowed_origins:  # another front end on an office site may call /api
        middleware.append(Middleware(
            CORSMiddleware, allow_origins=settings.web_allowed_origins,
            allow_methods=["GET", "POST"], allow_headers=["content-type", TOKEN_HEADER],
            max_age=600))
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={HTTPException: _not_found, Exception: _server_error})
    app.state.chat = chat
    app.state.metrics = metrics
    return app
