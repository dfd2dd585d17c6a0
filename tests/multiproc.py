"""Several ``qabot run --webhook`` processes on one database behind a round-robin forwarder.

The shape of a deployment with replicas behind a load balancer, all on 127.0.0.1 and driven by
the fake Bot API in the test's own event loop:

    FakeBotAPI ──POST update──▶ Forwarder ──round robin──▶ qabot run --webhook  (p1, p2, p3)
        ▲                                                          │
        └──────────────── sendMessage, editMessageText, … ─────────┘

Each process is a real subprocess with its own port; every one registers the forwarder's URL
as its webhook (as replicas behind one public address do). Each talks to the fake on a base URL
naming it (``…/p2/bot``), so every call the fake records says which process made it, and the
forwarder names the backend that took each POST in an ``X-Backend`` header. A backend that
refuses the connection or drops it mid-request gets the update a 502, and the fake, like
Telegram, posts it again; SIGKILL and a start on the same port are one call each.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

import h11
import httpx
from fakebotapi import FakeBotAPI, serve_http

ROOT = Path(__file__).resolve().parent.parent
HOOK_PATH = "/telegram/hook"
SECRET = "multi-Process_s3cret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Forwarder:
    """A loopback HTTP forwarder sending each request to the next backend in turn."""

    def __init__(self, backends: dict[str, int], timeout: float = 15.0,
                 drop_answer_every: int = 0) -> None:
        self.backends = list(backends.items())
        self.timeout = timeout
        # every n-th request the backend took is answered 502 anyway (a balancer that timed
        # out just as the backend answered): the update comes again, to another backend
        self.drop_answer_every = drop_answer_every
        self.dropped = 0
        self._taken = 0
        self.forwarded: dict[str, int] = {name: 0 for name in backends}
        self.failed: dict[str, int] = {name: 0 for name in backends}
        self._turn = 0
        self._server: asyncio.Server | None = None
        self._conns: set[asyncio.Task[None]] = set()
        self._client = httpx.AsyncClient(limits=httpx.Limits(max_connections=200))
        self.port = 0

    async def start(self) -> Forwarder:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._conns):
                task.cancel()
            await asyncio.gather(*self._conns, return_exceptions=True)
            await self._server.wait_closed()
        await self._client.aclose()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{HOOK_PATH}"

    def _next(self) -> tuple[str, int]:
        name, port = self.backends[self._turn % len(self.backends)]
        self._turn += 1
        return name, port

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def respond(request: h11.Request,
                          body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
            status, payload, backend, took = await self._forward(request, body)
            return status, [("x-backend", backend), ("x-backend-status", str(took))], payload

        await serve_http(reader, writer, respond, self._conns)

    async def _forward(self, request: h11.Request,
                       body: bytes) -> tuple[int, bytes, str, int]:
        """The answer to pass on, the backend tried and what it answered (0: nothing)."""
        name, port = self._next()
        headers = {k.decode(): v.decode() for k, v in request.headers
                   if k.lower() not in (b"host", b"content-length", b"connection")}
        try:
            answer = await self._client.request(
                request.method.decode(), f"http://127.0.0.1:{port}{request.target.decode()}",
                headers=headers, content=body, timeout=self.timeout)
        except httpx.HTTPError:  # refused, reset mid-request, timed out: a failed delivery
            self.failed[name] += 1
            return 502, b"bad gateway", name, 0
        self.forwarded[name] += 1
        if 200 <= answer.status_code < 300 and self.drop_answer_every:
            self._taken += 1
            if self._taken % self.drop_answer_every == 0:
                self.dropped += 1
                return 502, b"gateway timeout after the backend took it", name, \
                    answer.status_code
        return answer.status_code, answer.content, name, answer.status_code


class BotProcess:
    """One ``qabot run --webhook`` subprocess on its own port, logging to a file."""

    def __init__(self, name: str, port: int, env: dict[str, str], log: Path) -> None:
        self.name, self.port, self.env, self.log = name, port, env, log
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> None:
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(f"\n===== start {self.starts} =====\n".encode())
            out.flush()
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--webhook", env=self.env,
                cwd=str(self.log.parent), stdin=asyncio.subprocess.DEVNULL, stdout=out,
                stderr=asyncio.subprocess.STDOUT)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def cpu_seconds(self) -> float:
        """CPU time the running process has used (Linux), 0 when unknown."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (AttributeError, OSError, IndexError):
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, the update queue lost."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM, as a deploy stops a process; SIGKILL if it does not end in time."""
        if not self.running:
            return self.proc.returncode if self.proc else None
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            self.proc.kill()
            return await self.proc.wait()

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def process_env(fake: FakeBotAPI, name: str, port: int, webhook_url: str, db_url: str,
                data_dir: Path, extra: dict[str, str]) -> dict[str, str]:
    """The environment of one bot process: only what it needs, nothing from the test's."""
    env = {k: v for k, v in os.environ.items()
           if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "SYSTEMROOT")}
    env.update({
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "TELEGRAM_BOT_TOKEN": fake.token,
        # the first path segment names the process in every call the fake records
        "TELEGRAM_BASE_URL": f"http://127.0.0.1:{fake.port}/{name}/bot",
        "DATABASE_URL": db_url,
        "WEBHOOK_URL": webhook_url,
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        "WEBHOOK_SECRET_TOKEN": SECRET,
        "QABOT_DATA_DIR": str(data_dir),
        "QABOT_LOG_LEVEL": "INFO",
    })
    env.update(extra)
    return env


class Cluster:
    """The fake, the forwarder and ``n`` bot processes on one database."""

    def __init__(self, fake: FakeBotAPI, db_url: str, workdir: Path, n: int = 3,
                 extra_env: dict[str, str] | None = None, drop_answer_every: int = 0) -> None:
        self.fake = fake
        self.names = [f"p{i}" for i in range(1, n + 1)]
        self.ports = {name: free_port() for name in self.names}
        self.forwarder = Forwarder(self.ports, drop_answer_every=drop_answer_every)
        self.workdir = workdir
        self.db_url = db_url
        self.extra_env = dict(extra_env or {})
        self.procs: dict[str, BotProcess] = {}
        self.kills: list[tuple[str, float]] = []  # (process, perf_counter at the kill)

    async def start(self, timeout: float = 120.0) -> None:
        await self.forwarder.start()
        for name in self.names:
            env = process_env(self.fake, name, self.ports[name], self.forwarder.url,
                              self.db_url, self.workdir / "data", self.extra_env)
            self.procs[name] = BotProcess(name, self.ports[name], env,
                                          self.workdir / f"{name}.log")
        await asyncio.gather(*(p.start() for p in self.procs.values()))
        await asyncio.gather(*(self.ready(name, timeout) for name in self.names))

    def webhooks_set(self, name: str) -> int:
        return sum(1 for c in self.fake.calls
                   if c.method == "setWebhook" and c.instance == name and c.status == 200)

    async def ready(self, name: str, timeout: float = 120.0, starts: int | None = None) -> None:
        """Wait until process ``name`` registered its webhook (its ``starts``-th time)."""
        want = self.procs[name].starts if starts is None else starts
        proc = self.procs[name]

        def up() -> bool:
            if not proc.running:
                raise AssertionError(f"{name} exited at start-up:\n{proc.log_text()[-3000:]}")
            return self.webhooks_set(name) >= want

        deadline = time.monotonic() + timeout
        while not up():
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} did not start:\n{proc.log_text()[-3000:]}")
            await asyncio.sleep(0.1)

    async def kill(self, name: str) -> None:
        self.kills.append((name, time.perf_counter()))
        await self.procs[name].kill()

    async def restart(self, name: str, timeout: float = 120.0) -> None:
        await self.procs[name].start()
        await self.ready(name, timeout)

    async def close(self) -> dict[str, int | None]:
        codes = dict(zip(self.procs, await asyncio.gather(
            *(p.stop() for p in self.procs.values())), strict=True))
        await self.forwarder.close()
        return codes

    def logs(self) -> dict[str, str]:
        return {name: p.log_text() for name, p in self.procs.items()}


def sent_by(fake: FakeBotAPI) -> dict[str, int]:
    """How many messages each process sent (for the report)."""
    out: dict[str, int] = {}
    for c in fake.calls:
        if c.method == "sendMessage" and c.status == 200:
            out[c.instance] = out.get(c.instance, 0) + 1
    return out


def summary(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items())
