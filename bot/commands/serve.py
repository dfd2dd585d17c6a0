"""``qabot serve``: the web chat, /healthz, /metrics and Telegram's webhook at
``/telegram/webhook``, all on one ASGI app served by uvicorn in one event loop.

With TELEGRAM_BOT_TOKEN and WEBHOOK_URL set, the Telegram bot runs in the same process on the
same dialogue and database: its webhook is a route of the same app, and the ``Application``
starts and stops with the server. WEBHOOK_URL is the public URL Telegram calls
(``handlers.telegram.webhook.public_url``). Without them ``POST /telegram/webhook`` answers
404 with a JSON error saying Telegram is not configured here.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from bot.argtypes import whole

if TYPE_CHECKING:  # imported where used: `qabot ask` builds this parser and needs neither
    import asyncio
    import socket

logger = logging.getLogger(__name__)
T = TypeVar("T")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="启动网页版（在线咨询页面、API，以及 Telegram webhook）",
                       description="启动网页版质量奖助手：聊天页面 /、嵌入脚本 /widget.js、"
                                   "接口 /api/…、/healthz、/metrics；设置了 TELEGRAM_BOT_TOKEN "
                                   "和 WEBHOOK_URL 时同时在 /telegram/webhook 接收 Telegram 的"
                                   " webhook。")
    p.add_argument("--host", default=None, help="监听地址（默认 WEB_HOST，即 127.0.0.1）")
    p.add_argument("--port", type=whole("端口号", 0), default=None,
                   help="监听端口（默认 WEB_PORT，即 8080；0 表示任选空闲端口）")
    p.add_argument("--no-telegram", action="store_true",
                   help="即使设置了 WEBHOOK_URL 也不接收 Telegram 消息"
                        "（/telegram/webhook 回答 404）")
    p.add_argument("--drop-pending", action="store_true",
                   help="丢弃 Telegram 在停机期间积压的消息")
    p.add_argument("--workers", type=whole("进程数", 1), default=None,
                   help="服务进程数（默认 WEB_WORKERS，即 1；多核机器可设为核数）")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from bot.settings import SettingsError, load_settings

    settings = load_settings()
    host = args.host or settings.web_host
    port = settings.web_port if args.port is None else args.port
    if not 0 <= port <= 65535:
        raise SettingsError(f"端口 {port} 无效，应在 0 到 65535 之间")
    workers = args.workers or settings.web_workers

    def ready(bound: int) -> None:
        shown = f"[{host}]" if ":" in host else host
        procs = f"{workers} 个进程，" if workers > 1 else ""
        print(f"质量奖助手网页版已启动：http://{shown}:{bound}/  （{procs}按 Ctrl-C 停止）",
              flush=True)

    if workers > 1:
        return prefork(settings, host, port, workers, ready, telegram=not args.no_telegram,
                       drop_pending=args.drop_pending)
    app = build(settings, telegram=not args.no_telegram, drop_pending=args.drop_pending)
    run_loop(serve_asgi(app, host, port, ready=ready,
                        forwarded_allow_ips=settings.web_forwarded_allow_ips))
    return 0


def prefork(settings: Any, host: str, port: int, workers: int, ready: Callable[[int], None],
            *, telegram: bool, drop_pending: bool) -> int:
    """``workers`` processes serving one listening socket (the kernel hands each connection
    to one of them). The database is migrated once, here, before the fork; each worker then
    opens its own connections, dialogue and Telegram ``Application``: everything they share
    lives in the database, which issue 11 made safe for several processes (state rows under a
    lock, each Telegram update and each reminder claimed before it is handled or sent). Rate
    limits are kept per process. SIGTERM or Ctrl-C stops them all; a worker that dies takes
    the others down with it, so a supervisor restarts the whole service."""
    import os
    import signal

    from bot.services import Services

    Services.from_settings(settings).close()  # migrate once, not N times at once
    sock = bind_socket(host, port)
    children: list[int] = []
    for i in range(workers):
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent says when to stop
                app = build(settings, telegram=telegram, drop_pending=drop_pending and i == 0)
                run_loop(serve_asgi(app, host, port, sock=sock,
                                    forwarded_allow_ips=settings.web_forwarded_allow_ips))
                code = 0
            except BaseException:
                logger.exception("服务进程 %d 异常退出", os.getpid())
            finally:
                os._exit(code)
        children.append(pid)
    bound = int(sock.getsockname()[1])
    sock.close()  # the workers hold it
    stopping = False

    def stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ready(bound)
    failed = False
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if pid in children:
            children.remove(pid)
        if os.waitstatus_to_exitcode(status) != 0 and not stopping:
            failed = True
            stop(signal.SIGTERM, None)
    return 1 if failed else 0


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on uvloop where it is installed (a dependency except on Windows), else on
    asyncio's own loop. uvicorn picks uvloop only when it makes the loop itself; qabot makes
    it (the Telegram ``Application`` shares it), so it has to ask. On the web bench uvloop
    with httptools cut the CPU per answered question by a fifth.

    What exists by now (the knowledge pack, the retriever's tables, the dictionaries: some
    140,000 objects) lives as long as the process, so it is moved out of the garbage
    collector's sight. A full collection over it took 44 ms, twice the p99 a web question is
    allowed; serving questions rarely causes one (none in 10,000 turns), but long-lived
    objects made while serving (a rate-limit entry per session) do in time."""
    import asyncio
    import gc

    gc.collect()
    gc.freeze()
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def build(settings: Any, *, telegram: bool = True, drop_pending: bool = False,
          dialogue: Any = None) -> Any:
    """The whole app for ``settings``: web chat, plus Telegram's webhook when configured."""
    from bot.dialogue import Dialogue
    from bot.metrics import Metrics
    from bot.services import Services
    from bot.settings import SettingsError
    from handlers.web.app import build_app

    with_telegram = telegram and settings.telegram_bot_token is not None and settings.webhook_url
    if with_telegram:
        from handlers.telegram.webhook import paths_of

        clash = [p for p in paths_of(settings.webhook_url) if _web_path(p)]
        if clash:
            raise SettingsError(f"WEBHOOK_URL 的路径 {clash[0]} 与网页版自己的地址冲突，"
                                "请改用 …/telegram/webhook")
    if dialogue is None:
        dialogue = Dialogue(services=Services.from_settings(settings))
    from bot.features.qa import retriever

    retriever(dialogue).ask("公示期几天")  # load the dictionaries now, not on the first question
    metrics = Metrics(dialogue.services.sessions)
    metrics.attach(dialogue)
    routes: list[Any] = []
    lifespan = None
    if with_telegram:
        from handlers.telegram.app import build_application
        from handlers.telegram.webhook import running, webhook_routes

        tg = build_application(settings, dialogue=dialogue)
        secret = (settings.webhook_secret_token.get_secret_value()
                  if settings.webhook_secret_token else None)
        if secret is None:
            logger.warning("WEBHOOK_SECRET_TOKEN 未设置：知道 webhook 地址的人都能伪造 Telegram "
                           "消息，公开部署请设置它")
        routes.extend(webhook_routes(tg, settings.webhook_url, secret))

        def lifespan(_: Any) -> Any:
            return running(tg, settings.webhook_url, secret, drop_pending=drop_pending)
    else:
        from handlers.telegram.webhook import not_configured_route

        routes.append(not_configured_route())
        if telegram and settings.telegram_bot_token is not None:
            logger.warning("TELEGRAM_BOT_TOKEN 已设置但没有 WEBHOOK_URL：本进程不接收 Telegram "
                           "消息（长轮询请另外运行 qabot run）")
    return build_app(settings, dialogue, metrics=metrics, extra_routes=routes, lifespan=lifespan)


def _web_path(path: str) -> bool:
    """Whether the web chat itself answers ``path`` (a webhook there would never be reached)."""
    return (path in {"/", "/widget.js", "/healthz", "/metrics", "/api", "/static"}
            or path.startswith(("/api/", "/static/")))


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: any free port)."""
    import ipaddress
    import socket

    from bot.settings import SettingsError

    try:
        family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    except ValueError:  # a host name
        family = socket.AF_INET
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are
    # TCP. Without it uvicorn's second write of a response (head, then body) waited for the
    # client's delayed ACK, 40 ms on every keep-alive request.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accepted sockets
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise SettingsError(f"无法监听 {host}:{port}：{e.strerror or e}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


async def serve_asgi(app: Any, host: str, port: int, *, stop: asyncio.Event | None = None,
                     ready: Callable[[int], None] | None = None,
                     forwarded_allow_ips: str = "127.0.0.1",
                     sock: socket.socket | None = None) -> None:
    """Serve ``app`` with uvicorn until ``stop`` is set (or SIGINT/SIGTERM).

    The socket is bound before the app starts, so a lifespan that registers a webhook never
    races the listener; a start-up failure (the app's lifespan failed) raises QabotError.
    """
    import asyncio

    import uvicorn

    from knowledge.errors import QabotError

    sock = sock or bind_socket(host, port)
    config = uvicorn.Config(app, lifespan="on", log_level=_uvicorn_level(), access_log=False,
                            proxy_headers=True, forwarded_allow_ips=forwarded_allow_ips,
                            server_header=False, timeout_graceful_shutdown=10)
    server = uvicorn.Server(config)
    watcher = None
    if stop is not None:
        async def watch() -> None:
            await stop.wait()
            server.should_exit = True

        watcher = asyncio.create_task(watch())
    announced = asyncio.create_task(_announce(server, sock, ready))
    try:
        await server.serve(sockets=[sock])
    finally:
        for task in (watcher, announced):
            if task is not None:
                task.cancel()
        sock.close()
    if not server.started:
        raise QabotError("服务启动失败（详见上面的日志）")


async def _announce(server: Any, sock: socket.socket,
                    ready: Callable[[int], None] | None) -> None:
    import asyncio

    while not server.started:
        await asyncio.sleep(0.02)
    if ready is not None:
        ready(sock.getsockname()[1])


def _uvicorn_level() -> str:
    level = logging.getLogger().getEffectiveLevel()
    return "info" if level <= logging.INFO else "warning"

