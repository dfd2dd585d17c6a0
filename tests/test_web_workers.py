"""``qabot serve --workers 2``: two processes on one socket and one database (SQLite and
PostgreSQL), as a person uses them: every request on a new connection (so either worker may answer it), one session across
them, a self-check carried from one to the other, and SIGTERM stopping both."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from web_harness import start_serve

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads the workers' CPU time from /proc")


class Served:
    def __init__(self, proc: subprocess.Popen[str], port: int) -> None:
        self.proc, self.port = proc, port

    def post(self, path: str, body: Any, token: str | None = None) -> dict[str, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:  # a new connection each time: the kernel may hand it to either worker
            headers = {"content-type": "application/json", "connection": "close"}
            if token:
                headers["x-session-token"] = token
            conn.request("POST", path, json.dumps(body), headers)
            r = conn.getresponse()
            data = r.read()
            assert r.status == 200, data
            return json.loads(data)
        finally:
            conn.close()

    def workers(self) -> list[int]:
        text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        return [int(p) for p in text.split()]


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


@pytest.fixture
def served(tmp_path: Path, db_url: str) -> Iterator[Served]:
    """Two workers on one database: a SQLite file, or a schema of the test PostgreSQL."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "WEBHOOK_", "WEB_", "DATABASE_URL"))}
    env["QABOT_DATA_DIR"] = str(tmp_path / "data")
    env["DATABASE_URL"] = db_url
    proc, port = start_serve(tmp_path, env, "--workers", "2")
    s = Served(proc, port)
    try:
        yield s
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def test_two_workers_share_the_socket_the_sessions_and_the_conversations(served):
    workers = served.workers()
    assert len(workers) == 2
    session = served.post("/api/session", {})
    token = session["token"]
    before = {pid: cpu_ticks(pid) for pid in workers}

    def ask(i: int) -> str:
        replies = served.post("/api/message", {"text": "公示期几天"}, token)["replies"]
        return "\n".join(r["html"] for r in replies)

    with ThreadPoolExecutor(4) as pool:  # one session, many connections, both workers
        answers = list(pool.map(ask, range(30)))  # with the self-check, under one worker's 60/min
    assert all("公示期为7天" in a for a in answers)
    after = {pid: cpu_ticks(pid) for pid in workers}
    assert all(after[pid] > before[pid] for pid in workers), (before, after)

    # a self-check, each step on a new connection: the conversation lives in the database
    replies = served.post("/api/message", {"text": "/selfcheck"}, token)["replies"]
    data = {b["label"]: b["data"] for r in replies for row in r["buttons"] for b in row}
    replies = served.post("/api/button", {"data": data["单位（组织奖）"]}, token)["replies"]
    answers_given = iter(["是", "4", "否", "是", "是", "是", "否", "否", "否", "没有"])
    for _ in range(20):
        last = replies[-1]
        if last.get("report"):
            break
        answer = next(answers_given)
        choice = {b["label"]: b["data"] for row in last["buttons"] for b in row}.get(answer)
        replies = (served.post("/api/button", {"data": choice}, token) if choice
                   else served.post("/api/message", {"text": answer}, token))["replies"]
    else:
        raise AssertionError("the self-check never ended")
    assert "不具备申报资格" in replies[-1]["html"]


def test_sigterm_stops_every_worker(served):
    workers = served.workers()
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(timeout=20) == 0
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in workers):
        time.sleep(0.05)
    assert not any(Path(f"/proc/{p}").exists() for p in workers)


def test_a_worker_that_dies_takes_the_service_down_for_its_supervisor(served):
    first, second = served.workers()
    os.kill(first, signal.SIGKILL)
    assert served.proc.wait(timeout=20) == 1
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and Path(f"/proc/{second}").exists():
        time.sleep(0.05)
    assert not Path(f"/proc/{second}").exists()
