"""The machine's PostgreSQL restarted while the bot serves: polite replies, then recovery.

``test_faults.py`` cuts a TCP proxy in front of PostgreSQL, which any run can do. This test
stops the real server (``pg_ctlcluster … stop``) while a thread keeps asking a Dialogue for
/status, /subscribe, /verify and a plain question, starts it again and waits until
``pg_isready`` answers (at most 60 s). During the outage every database-backed request gets
"数据库暂时不可用，请稍后再试" and no exception escapes; afterwards the same Dialogue, on the same
engine, serves again by itself.

It disrupts everything else using the server, so it runs only when asked:
``QABOT_TEST_PG_RESTART=1`` and ``QABOT_TEST_POSTGRES_URL`` set (``.ci/run`` sets both), and
the server must be local and managed by ``pg_ctlcluster`` (a root process can run it). A
``finally`` always starts PostgreSQL again and waits for it, so a failure never leaves the
server down for the tests after this one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

PG_ENV = "QABOT_TEST_POSTGRES_URL"
RESTART_ENV = "QABOT_TEST_PG_RESTART"
READY_WAIT = 60.0  # seconds pg_isready may take after a start
OUTAGE = 3.0  # seconds the server stays down while requests keep coming
RECOVERY_WAIT = 30.0  # seconds the bot may take to serve again once the server is ready
DB_REQUESTS = ["/status", "/subscribe", "/verify 沧州甲公司", "/unsubscribe"]
QUESTION = "公示期几天"  # answered from the regulation: needs no database


def _cluster() -> tuple[str, str] | None:
    """(version, cluster name) of the local cluster, when this machine manages one."""
    root = Path("/etc/postgresql")
    if shutil.which("pg_ctlcluster") is None or not root.is_dir():
        return None
    for version in sorted(root.iterdir()):
        if (version / "main").is_dir():
            return version.name, "main"
    return None


def _gate() -> str | None:
    """Why this test cannot run here, or None."""
    if os.environ.get(RESTART_ENV) != "1":
        return (f"restarting the machine's PostgreSQL disrupts other users of it: set "
                f"{RESTART_ENV}=1 (and {PG_ENV}) to run it")
    base = os.environ.get(PG_ENV)
    if not base:
        return f"needs {PG_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
    if (urlsplit(base).hostname or "") not in {"127.0.0.1", "localhost", "::1"}:
        return f"{PG_ENV} is not on this machine; only a local server can be restarted"
    if (cluster := _cluster()) is None:
        return "no pg_ctlcluster-managed PostgreSQL cluster on this machine"
    owner = (Path("/etc/postgresql") / cluster[0] / cluster[1]).stat().st_uid
    if os.geteuid() not in {0, owner}:
        return "restarting PostgreSQL needs root or the cluster's owner"
    return None


pytestmark = pytest.mark.skipif(_gate() is not None, reason=_gate() or "")


def _ctl(action: str) -> subprocess.CompletedProcess[str]:
    version, name = _cluster() or ("", "")
    return subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, action],
                          check=False, timeout=120, capture_output=True, text=True)


def _port() -> int:
    return urlsplit(os.environ[PG_ENV]).port or 5432


def _ready() -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(_port())],
                          check=False, timeout=10).returncode == 0


def _wait_ready(limit: float = READY_WAIT) -> float:
    """Seconds until pg_isready says ready; raises after ``limit``."""
    t0 = time.monotonic()
    while not _ready():
        if time.monotonic() - t0 > limit:
            raise AssertionError(f"PostgreSQL not ready {limit:.0f} s after start")
        time.sleep(0.2)
    return time.monotonic() - t0


def _start_and_wait() -> float:
    if not _ready():
        _ctl("start")
    return _wait_ready()


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A fresh schema on the test server (dropped afterwards, after the server is back)."""
    from sqlalchemy import create_engine, text

    base = os.environ[PG_ENV]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    # pre-ping: this engine outlives the restart; its pooled connection dies with the server
    admin = create_engine(base, pool_pre_ping=True)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        _start_and_wait()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@dataclass
class Answer:
    at: float
    text: str
    reply: str | None  # None: an exception escaped
    error: str = ""


class Asker(threading.Thread):
    """Asks the dialogue one request after another until stopped, recording every answer."""

    def __init__(self, ask: object, pause: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.ask = ask
        self.pause = pause
        self.answers: list[Answer] = []
        self.halt = threading.Event()

    def run(self) -> None:
        cycle = [*DB_REQUESTS, QUESTION]
        i = 0
        while not self.halt.is_set():
            text = cycle[i % len(cycle)]
            i += 1
            try:
                reply: str | None = self.ask(text)  # type: ignore[operator]
                error = ""
            except Exception as e:  # noqa: BLE001 - recorded, then asserted absent
                reply, error = None, f"{type(e).__name__}: {e}"
            self.answers.append(Answer(time.monotonic(), text, reply, error))
            self.halt.wait(self.pause)

    def ok_db_answer_since(self, t: float) -> Answer | None:
        from bot.dialogue import DB_UNAVAILABLE

        return next((a for a in self.answers if a.at > t and a.text in DB_REQUESTS
                     and a.reply is not None and a.reply != DB_UNAVAILABLE), None)


def test_postgresql_restart_polite_replies_during_the_outage_then_recovers_by_itself(
        pg_schema_url: str):
    from bot.dialogue import DB_UNAVAILABLE, Dialogue
    from bot.services import Services
    from bot.settings import load_settings
    
    svc = Services.from_settings(load_settings(_env_file=None, DATABASE_URL=pg_schema_url))
    svc.import_roster_bytes("名称,奖项,年度,认定日期\n沧州甲公司,组织奖,2023,2023-12-20\n".encode(),
                            "r.csv")
    code, _ = svc.issue_code("沧州甲公司")
    svc.bind("1001", code)
    engine = svc.engine
    d = Dialogue(services=svc)

    def ask(text: str) -> str:
        return "\n".join(r.html for r in d.on_text(
            d.turn({}, chat_id="1001", user_id="1001", is_staff=False), text))

    assert "沧州甲公司" in ask("/status")  # bound, served from PostgreSQL; pool warm
    asker = Asker(ask)
    marks: dict[str, float] = {}
    try:
        asker.start()
        time.sleep(0.5)
        marks["stop"] = time.monotonic()
        stop = _ctl("stop")
        marks["stopped"] = time.monotonic()
        assert not _ready(), f"pg_ctlcluster stop did not stop the server: {stop.stderr}"
        time.sleep(OUTAGE)
        marks["start"] = time.monotonic()
        _ctl("start")
        marks["ready_after"] = _wait_ready()
        marks["ready"] = time.monotonic()
        deadline = marks["ready"] + RECOVERY_WAIT
        while (first_ok := asker.ok_db_answer_since(marks["ready"])) is None:
            assert time.monotonic() < deadline, "the bot did not recover by itself"
            time.sleep(0.05)
        marks["recovered"] = first_ok.at
        time.sleep(0.5)  # a few more rounds after recovery
    finally:
        asker.halt.set()
        asker.join(30)
        _start_and_wait()  # never leave the server down, whatever failed above
    try:
        after = {t: ask(t) for t in ["/subscribe", "/status", "/verify 沧州甲公司"]}
        assert svc.engine is engine  # recovered without a new engine or Dialogue
    finally:
        svc.close()

    answers = asker.answers
    escaped = [a for a in answers if a.reply is None]
    assert not escaped, escaped[:3]
    outage = [a for a in answers if marks["stopped"] < a.at < marks["start"]]
    db_out = [a for a in outage if a.text in DB_REQUESTS]
    assert len(db_out) >= 4, "too few requests during the outage to show anything"
    assert all(a.reply == DB_UNAVAILABLE for a in db_out), \
        {a.text: a.reply for a in db_out if a.reply != DB_UNAVAILABLE}
    questions = [a for a in outage if a.text == QUESTION]
    assert questions and all("公示期为7天" in (a.reply or "") for a in questions)
    # once recovered, no more polite refusals
    later = [a for a in answers if a.at > marks["recovered"] and a.text in DB_REQUESTS]
    assert later and all(a.reply != DB_UNAVAILABLE for a in later)
    # the loop may have stopped after its own /subscribe: either answer shows the table works
    assert "已订阅" in after["/subscribe"] or "已经订阅" in after["/subscribe"]
    assert "沧州甲公司" in after["/status"] and "沧州甲公司" in after["/verify 沧州甲公司"]
    polite_after_ready = sum(1 for a in answers if a.at > marks["ready"]
                             and a.reply == DB_UNAVAILABLE)
    print(f"PostgreSQL restart: {len(outage)} requests during {marks['start'] - marks['stopped']:.1f}"
          f" s down ({len(db_out)} needing the database, all {DB_UNAVAILABLE!r}; "
          f"{len(questions)} questions answered); stop took {marks['stopped'] - marks['stop']:.1f}"
          f" s, ready {marks['ready_after']:.1f} s after start; first database reply "
          f"{marks['recovered'] - marks['ready']:.2f} s after ready ({polite_after_ready} polite "
          f"replies after ready); {len(answers)} requests in all, none raised")
