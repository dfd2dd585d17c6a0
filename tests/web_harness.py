"""The web chat for tests: an app on a real database, and a client that talks like the page."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from bot.settings import Settings, load_settings

SECRET = "test-secret-0123456789abcdef"


def web_settings(db_url: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {"DATABASE_URL": db_url, "WEB_SESSION_SECRET": SECRET,
                              "_env_file": None}
    values.update(extra)
    return load_settings(**values)


def web_app(settings: Settings) -> Any:
    from bot.commands.serve import build

    return build(settings, telegram=False)


class Browser:
    """One browser tab: its token, and helpers that post what the page posts."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.token: str | None = None
        self.start: dict[str, Any] = {}

    def open(self) -> dict[str, Any]:
        headers = {"x-session-token": self.token} if self.token else {}
        r = self.client.post("/api/session", headers=headers)
        assert r.status_code == 200, r.text
        self.start = r.json()
        self.token = self.start["token"]
        return self.start

    def post(self, path: str, body: Any, **kw: Any) -> Any:
        headers = {"x-session-token": self.token or ""}
        headers.update(kw.pop("headers", {}))
        return self.client.post(path, json=body, headers=headers, **kw)

    def say(self, text: str) -> list[dict[str, Any]]:
        r = self.post("/api/message", {"text": text})
        assert r.status_code == 200, r.text
        return r.json()["replies"]

    def press(self, data: str) -> list[dict[str, Any]]:
        r = self.post("/api/button", {"data": data})
        assert r.status_code == 200, r.text
        return r.json()["replies"]


def html(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r["html"] for r in replies)


def buttons(replies: list[dict[str, Any]]) -> dict[str, str]:
    """label -> data of every button in the replies."""
    return {b["label"]: b["data"] for r in replies for row in r["buttons"] for b in row}


@contextmanager
def browser(settings: Settings, client_host: str = "testclient") -> Iterator[Browser]:
    app = web_app(settings)
    with TestClient(app, client=(client_host, 50000)) as client:
        tab = Browser(client)
        tab.open()
        yield tab
    app.state.chat.engine.dispose()


def start_serve(cwd: Path, env: dict[str, str], *args: str) -> tuple[subprocess.Popen[str], int]:
    """``qabot serve --port 0 *args`` as its own process; returns it and the port it printed."""
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", "0", *args],
                            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if match is None:
        proc.kill()
        raise AssertionError(f"qabot serve did not start: {line}{proc.communicate()[1]}")
    return proc, int(match.group(1))
