"""Web chat and Telegram webhook throughput and latency on loopback, baselines in the same run.

    .venv/bin/python benchmarks/web_bench.py [--runs 3] [--seconds 5] [--rate 200]

1. ``POST /api/message`` of ``qabot serve`` (a question answered, session state read and
   committed to SQLite) beside a bare Starlette endpoint that parses the same JSON body and
   returns a small JSON object. Each server runs in its own process under uvicorn, as
   ``qabot serve`` does; the load generator is a third process speaking HTTP/1.1 over
   keep-alive sockets (cheap enough not to be the bottleneck). Saturated first: 16 connections
   in a closed loop, and the server's CPU time per request (what it costs, which the other
   processes on a shared machine change less than they change wall-clock rates). Offered
   load: requests started at a fixed rate (open loop; a request waiting for a free connection
   counts that wait), latency p50/p99: past the saturated rate requests queue and p99 grows
   with the run's length. Medians over ``--runs``; the load average is printed beside.
2. Telegram: updates POSTed by the fake Bot API to the webhook, answered through it; qabot's
   webhook route (``qabot run --webhook``) beside python-telegram-bot's own echo bot on its
   built-in webhook server (tornado, ``python-telegram-bot[webhooks]``, in the bench extra),
   and the same echo bot on qabot's Starlette route (the transport alone).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

CONNECTIONS = 16


def questions() -> list[str]:
    import re

    line = re.compile(r"^- \{q: (?P<q>.*), gold: \[")
    path = ROOT / "benchmarks" / "questions_extra.yaml"
    out = [m["q"].strip("'\"") for ln in path.read_text("utf-8").splitlines()
           if (m := line.match(ln))]
    return out or ["公示期几天", "公司成立四年能申报吗", "奖金给多少"]


# -- servers (child processes) -------------------------------------------------------------
def serve(kind: str, tmp: str) -> None:
    from bot.commands.serve import bind_socket, run_loop, serve_asgi

    sock = bind_socket("127.0.0.1", 0)
    if kind == "bare":
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        async def bare(request: Request) -> JSONResponse:
            body = json.loads(await request.body())
            return JSONResponse({"replies": [{"html": body.get("text", "")[:20]}]})

        app = Starlette(routes=[Route("/api/message", bare, methods=["POST"]),
                                Route("/api/session", bare, methods=["POST"])])
    else:
        from bot.commands.serve import build
        from bot.settings import load_settings

        settings = load_settings(DATABASE_URL=f"sqlite:///{tmp}/web.sqlite3",
                                 WEB_SESSION_SECRET="b" * 32, WEB_RATE_PER_IP=10**9,
                                 WEB_RATE_PER_SESSION=10**9, _env_file=None)
        app = build(settings, telegram=False)
    print(sock.getsockname()[1], flush=True)
    run_loop(serve_asgi(app, "127.0.0.1", 0, sock=sock))  # as qabot serve runs it


def start_server(kind: str, tmp: str) -> tuple[subprocess.Popen[str], int]:
    if kind.startswith("qabot") and kind != "qabot":  # qabot serve --workers N, as deployed
        workers = int(kind.removeprefix("qabot"))
        env = {**os.environ, "QABOT_LOG_LEVEL": "WARNING",
               "DATABASE_URL": f"sqlite:///{tmp}/web{workers}.sqlite3",
               "WEB_SESSION_SECRET": "b" * 32, "WEB_RATE_PER_IP": str(10**9),
               "WEB_RATE_PER_SESSION": str(10**9)}
        proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", "0",
                                 "--workers", str(workers), "--no-telegram"],
                                stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        return proc, int(line.split("127.0.0.1:")[1].split("/")[0])
    proc = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--tmp", tmp],
                            stdout=subprocess.PIPE, text=True, cwd=tmp,
                            env={**os.environ, "QABOT_LOG_LEVEL": "WARNING"})
    assert proc.stdout is not None
    return proc, int(proc.stdout.readline())


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its worker processes so far (Linux; 0
    elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(int(c)) for c in children)


# -- the load generator --------------------------------------------------------------------
class Conn:
    """One keep-alive HTTP/1.1 connection; ``post`` returns (status, body)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Conn:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def post(self, path: str, body: bytes, token: str = "") -> tuple[int, bytes]:
        head = (f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
                f"content-length: {len(body)}\r\nx-session-token: {token}\r\n\r\n").encode()
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        payload = await self.reader.readexactly(length)
        return int(status_line.split()[1]), payload

    def close(self) -> None:
        self.writer.close()


def body_for(q: str) -> bytes:
    return json.dumps({"text": q}, ensure_ascii=False).encode()


async def sessions(port: int, n: int) -> list[str]:
    conn = await Conn.open(port)
    tokens = []
    for _ in range(n):
        status, payload = await conn.post("/api/session", b"{}")
        assert status == 200, payload
        tokens.append(json.loads(payload).get("token", ""))
    conn.close()
    return tokens


async def saturated(port: int, seconds: float, qs: list[str]) -> dict[str, float]:
    tokens = await sessions(port, CONNECTIONS)
    conns = [await Conn.open(port) for _ in range(CONNECTIONS)]
    bodies = [body_for(q) for q in qs]
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(i: int) -> None:
        nonlocal errors
        n = i
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            status, _ = await conns[i].post("/api/message", bodies[n % len(bodies)], tokens[i])
            latencies.append(time.perf_counter() - t0)
            errors += status != 200
            n += CONNECTIONS

    start = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(CONNECTIONS)))
    elapsed = time.perf_counter() - start
    for c in conns:
        c.close()
    latencies.sort()
    return {"rps": len(latencies) / elapsed, "p50": _pct(latencies, 50),
            "p99": _pct(latencies, 99), "errors": errors}


async def offered(port: int, rate: float, seconds: float, qs: list[str]) -> dict[str, float]:
    """Open loop: request i starts at i / rate (latency counts any wait for a connection)."""
    pool_size = 64
    tokens = await sessions(port, pool_size)
    free: asyncio.Queue[tuple[Conn, str]] = asyncio.Queue()
    for i in range(pool_size):
        free.put_nowait((await Conn.open(port), tokens[i]))
    bodies = [body_for(q) for q in qs]
    latencies: list[float] = []
    errors = 0
    total = int(rate * seconds)
    start = time.perf_counter()

    async def one(i: int) -> None:
        nonlocal errors
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        conn, token = await free.get()
        status, _ = await conn.post("/api/message", bodies[i % len(bodies)], token)
        latencies.append(time.perf_counter() - due)
        errors += status != 200
        free.put_nowait((conn, token))

    await asyncio.gather(*(one(i) for i in range(total)))
    achieved = total / (time.perf_counter() - start)
    while not free.empty():
        free.get_nowait()[0].close()
    latencies.sort()
    return {"achieved": achieved, "p50": _pct(latencies, 50), "p99": _pct(latencies, 99),
            "errors": errors}


def _pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(len(values) * p / 100))] * 1000


def _median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


async def web_rows(args: argparse.Namespace, qs: list[str]) -> None:
    results: dict[str, dict[str, dict[str, float]]] = {}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("bare", "qabot", *(f"qabot{n}" for n in args.workers)):
            proc, port = start_server(kind, tmp)
            try:
                await saturated(port, 1.0, qs)  # warm up
                sat = []
                for _ in range(args.runs):
                    cpu0 = cpu_seconds(proc.pid)
                    run = await saturated(port, args.seconds, qs)
                    done = run["rps"] * args.seconds
                    run["cpu_ms"] = (cpu_seconds(proc.pid) - cpu0) / max(done, 1) * 1000
                    sat.append(run)
                paced = [await offered(port, args.rate, args.paced_seconds, qs)
                         for _ in range(args.runs)]
            finally:
                proc.terminate()
                proc.wait(timeout=20)
            results[kind] = {"sat": _median_of(sat), "paced": _median_of(paced)}
    load_after = os.getloadavg()
    print(f"Web API, medians of {args.runs} runs ({len(qs)} distinct questions, "
          f"{CONNECTIONS} connections saturated, {args.rate:.0f} req/s offered); load average "
          f"{load_before[0]:.1f} before, {load_after[0]:.1f} after on {os.cpu_count()} CPUs\n")
    print("| endpoint | saturated req/s | server CPU ms / request | p50 / p99 ms saturated | "
          f"p50 / p99 ms at {args.rate:.0f} req/s | errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    names = {"bare": "bare Starlette endpoint (parse JSON, return JSON)",
             "qabot": "qabot `POST /api/message` (answer + state in SQLite)",
             **{f"qabot{n}": f"the same, `qabot serve --workers {n}`" for n in args.workers}}
    for kind, r in results.items():
        s, p = r["sat"], r["paced"]
        print(f"| {names[kind]} | {s['rps']:.0f} | {s['cpu_ms']:.2f} | "
              f"{s['p50']:.1f} / {s['p99']:.1f} | "
              f"{p['p50']:.1f} / {p['p99']:.1f} | {s['errors'] + p['errors']:.0f} |")
    ratio = results["qabot"]["sat"]["rps"] / results["bare"]["sat"]["rps"]
    print(f"\nqabot / bare throughput: {ratio:.2f} (target >= 0.5); qabot p99 at "
          f"{args.rate:.0f} req/s: {results['qabot']['paced']['p99']:.1f} ms (target <= 20)\n")


# -- Telegram webhook ----------------------------------------------------------------------
async def webhook_run(fake: object, kind: str, users: int, per_user: int,
                      qs: list[str]) -> dict[str, float]:
    from fakebotapi import FakeBotAPI
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    from bot.commands.serve import bind_socket, serve_asgi

    assert isinstance(fake, FakeBotAPI)
    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    stop = asyncio.Event()
    tmp = tempfile.TemporaryDirectory()

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(update.effective_message.text or "")

    if kind == "qabot":
        from bot.dialogue import Dialogue
        from bot.settings import load_settings
        from handlers.telegram.app import build_application, make_services
        from handlers.telegram.webhook import webhook_app

        settings = load_settings(TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_BASE_URL=fake.base_url,
                                 DATABASE_URL=f"sqlite:///{tmp.name}/tg.sqlite3",
                                 WEBHOOK_URL=url, _env_file=None)
        app = build_application(settings, dialogue=Dialogue(services=make_services(settings)),
                                rate_limit=False, schedule_jobs=False)
        server = asyncio.create_task(serve_asgi(webhook_app(app, url, None), "127.0.0.1", 0,
                                                stop=stop, sock=sock))
    else:
        app = (Application.builder().token(fake.token).base_url(fake.base_url)
               .concurrent_updates(64).build())
        app.add_handler(MessageHandler(filters.TEXT, echo))
        if kind == "echo-starlette":
            from handlers.telegram.webhook import webhook_app

            server = asyncio.create_task(serve_asgi(webhook_app(app, url, None), "127.0.0.1",
                                                    0, stop=stop, sock=sock))
        else:  # PTB's own webhook server (tornado)
            sock.close()

            async def ptb() -> None:
                async with app:
                    await app.start()
                    assert app.updater is not None
                    await app.updater.start_webhook(listen="127.0.0.1", port=port,
                                                    url_path="telegram/webhook", webhook_url=url)
                    await stop.wait()
                    await app.updater.stop()
                    await app.stop()

            server = asyncio.create_task(ptb())
    await fake.wait_method("setWebhook", timeout=30)
    uid0 = 30_000
    fake.user_says(uid0, "公示期几天")  # warm up
    await fake.wait_sent(uid0, timeout=60)
    latencies: list[float] = []

    async def user(uid: int) -> None:
        for i in range(per_user):
            before = len(fake.to(uid))
            update_id = fake.user_says(uid, qs[(uid * 7 + i) % len(qs)])
            await fake.wait_sent(uid, after=before, timeout=60)
            latencies.append(fake.sent_at[update_id] - fake.update_at[update_id])

    start = time.perf_counter()
    await asyncio.gather(*(user(uid0 + 1 + u) for u in range(users)))
    elapsed = time.perf_counter() - start
    stop.set()
    await server
    tmp.cleanup()
    latencies.sort()
    return {"ups": len(latencies) / elapsed, "p50": _pct(latencies, 50),
            "p99": _pct(latencies, 99)}


def fast_fake() -> object:
    """The tests' fake Bot API, POSTing webhooks over one shared client (the tests' fake opens
    a client per update, which would dominate what is measured here)."""
    import httpx
    from fakebotapi import FakeBotAPI

    class Fake(FakeBotAPI):
        client: httpx.AsyncClient | None = None

        async def _post_webhook(self, update: dict) -> None:
            hook = self.webhook or {}
            if self.client is None:
                self.client = httpx.AsyncClient(limits=httpx.Limits(max_connections=64))
            try:
                await self.client.post(hook["url"], json=update, timeout=10)
            except httpx.HTTPError:
                pass

        async def close(self) -> None:
            if self.client is not None:
                await self.client.aclose()
            await super().close()

    return Fake()


async def telegram_rows(args: argparse.Namespace, qs: list[str]) -> None:
    kinds = [("echo-ptb", "echo bot, PTB's own webhook server (tornado)"),
             ("echo-starlette", "echo bot on qabot's Starlette webhook route"),
             ("qabot", "qabot `run --webhook` (no rate limiter)")]
    rows = []
    for kind, name in kinds:
        if kind == "echo-ptb":
            try:
                import tornado  # noqa: F401
            except ImportError:
                rows.append((name, None))
                continue
        runs = []
        for _ in range(args.runs):
            async with fast_fake() as fake:  # type: ignore[attr-defined]
                runs.append(await webhook_run(fake, kind, args.tg_users, args.tg_per_user, qs))
        rows.append((name, _median_of(runs)))
    print(f"Telegram webhook, medians of {args.runs} runs: {args.tg_users} users x "
          f"{args.tg_per_user} questions, closed loop, through the fake Bot API\n")
    print("| bot | updates/s | p50 / p99 ms |")
    print("| --- | ---: | ---: |")
    for name, r in rows:
        if r is None:
            print(f"| {name} | not run (pip install 'python-telegram-bot[webhooks]') | |")
        else:
            print(f"| {name} | {r['ups']:.0f} | {r['p50']:.1f} / {r['p99']:.1f} |")


async def main(args: argparse.Namespace) -> None:
    qs = questions()
    if not args.skip_web:
        await web_rows(args, qs)
    if not args.skip_telegram:
        await telegram_rows(args, qs)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="saturated phase length")
    parser.add_argument("--paced-seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=200.0, help="offered requests/s")
    parser.add_argument("--tg-users", type=int, default=50)
    parser.add_argument("--tg-per-user", type=int, default=10)
    parser.add_argument("--workers", type=int, action="append", default=[], metavar="N",
                        help="also run qabot serve --workers N (repeatable)")
    parser.add_argument("--skip-web", action="store_true")
    parser.add_argument("--skip-telegram", action="store_true")
    parser.add_argument("--serve", choices=["bare", "qabot"], help=argparse.SUPPRESS)
    parser.add_argument("--tmp", help=argparse.SUPPRESS)
    ns = parser.parse_args()
    if ns.serve:
        serve(ns.serve, ns.tmp)
    else:
        asyncio.run(main(ns))
