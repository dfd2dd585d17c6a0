"""Three ``qabot run --webhook`` processes on one PostgreSQL database behind a round-robin
forwarder (tests/multiproc.py), 200 users, reminders and a notice due, and one process killed
with SIGKILL mid-run and started again on its port (issue 11, "Done when").

The scenario runs once for the module (``outcome``); each test checks one promise of it:

- every questionnaire ends with the verdict its answers imply: the engine's own result
  (``knowledge.eligibility`` on ``facts_from_answers``) for the answers each user gave, by
  question id, must be the result the bot showed, character for character;
- no update is answered twice: every reply in a chat belongs to the one update before it, comes
  from one process and has the shape of one answer (a question: one message; a press: one
  pop-up answer and one edit); a retried delivery of an update already answered (the forwarder
  answers every 25th taken update 502, as a balancer that timed out) gets nothing more;
- each due reminder and the notice reach each recipient once, at most one repeat per kill.

Users behave like people: they wait for the reply, and when the process that took their update
was killed before answering it, they send it again (press the same button, type the same
answer). An update counts as lost only when that is shown: the killed process was sent it, and
no live process took it, or each that did logged that it was taken already (the killed one had
claimed it). So "lost" (allowed: updates the killed process had accepted) is told apart from
"wrong", and a reply never arrives after its update was judged lost.

Deterministic: answers, questions and think times come from one seeded ``random.Random``;
nothing asserts on timing. Runs with ``QABOT_TEST_POSTGRES_URL`` (``.ci/run`` sets it), in the
README's test command; ``-m "not multiproc"`` leaves it out of a quick local run.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import os
import random
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import PG_ENV, _pg_schema_url
from fakebotapi import Event, FakeBotAPI, Sent
from multiproc import Cluster, sent_by

pytestmark = pytest.mark.multiproc

SEED = 11
USERS = 200
FIRST_USER = 20_001
STAFF = 900_001
PROCESSES = 3
DROP_ANSWER_EVERY = 25
TZ = "Asia/Shanghai"
# The setting that makes a claim on a reminder or notice expire (its holder died). Named once:
# the reminder and notice checks run once bot/settings.py has it.
CLAIM_SETTING = "DELIVERY_CLAIM_SECONDS"
CLAIM_SECONDS = 3
REPLY_TIMEOUT = 120.0  # a reply that never comes fails the test; no timing is asserted
DELIVERY_TIMEOUT = 150.0  # reminders and the notice after the users are done
NOTICE = "2027年度市政府质量奖申报工作即将开始，请各单位做好准备（多进程测试）。"
NOTICE_PREFIX = "📢 <b>沧州市政府质量奖年度申报通知</b>（第十条）\n\n"

QUESTIONS = ["公示期几天", "奖金给多少", "申报需要什么条件", "个人奖的条件", "有效期几年",
             "每年评几个", "被撤销了还能再申报吗", "谁来评审", "申报材料有哪些",
             "获奖后可以在广告里用吗", "推荐单位是谁", "质量奖是什么", "评审流程是什么",
             "可以重复申报吗"]
# typed years and dates, with the value the questionnaire records for each
NUMBERS = [("8", 8), ("5", 5), ("五年", 5), ("5.5", 5.5), ("12", 12), ("3", 3), ("６", 6),
           ("十", 10)]
DATES = [("2019-12-20", "2019-12-20"), ("2021年6月1日", "2021-06-01"),
         ("2016/3/15", "2016-03-15"), ("2023-11-30", "2023-11-30")]
# what each reply looks like, as the events in the chat after the update: S a message, B a
# message with buttons, E an edit, M a keyboard change, A a press answered, P a pop-up saying
# the press was for an earlier question (the edit follows), N any other pop-up
SHAPES = {
    "ask": ("B",), "subscribe": ("S",), "bind": ("S",), "selfcheck": ("SB",),
    "typed": ("B", "SB"), "press": ("AE", "PE", "N"), "notice": ("SB",), "confirm": ("AMS",),
}


def claims_setting_present() -> bool:
    from bot.settings import Settings

    return any(f.validation_alias == CLAIM_SETTING for f in Settings.model_fields.values())


# -- what happened -----------------------------------------------------------------------------
@dataclass
class Action:
    user: int
    kind: str
    sent: str  # the text typed or the button data pressed
    update_id: int
    pos: int  # index of its update among the chat's events
    shape: str = ""  # the reply when it was judged complete (or lost)
    lost: bool = False
    took: float = 0.0  # seconds until the reply was complete (for the report only)


@dataclass
class Run:
    """One questionnaire: the answers given, by question id, and the result shown."""

    user: int
    answers: dict[str, Any] = field(default_factory=dict)
    result: str | None = None  # None: its end was lost (the user started again)


@dataclass
class Outcome:
    actions: list[Action]
    runs: list[Run]
    events: dict[int, list[Event]]
    expected_reminders: dict[int, str]  # chat -> the reminder text due
    subscribers: set[int]
    received: dict[int, list[str]]  # chat -> reminder and notice texts received
    kills: int
    delivery_checked: bool
    skip_reason: str
    today: dt.date
    stats: dict[str, Any]
    logs: dict[str, str]


# -- the users ---------------------------------------------------------------------------------
class Sim:
    """The users' side: send, wait for the reply (or find it lost), send again."""

    def __init__(self, fake: FakeBotAPI, cluster: Cluster) -> None:
        self.fake, self.cluster = fake, cluster
        self.dropped: dict[str, set[int]] = {}  # process -> updates it found already taken
        self._read: dict[str, int] = {}  # how far each process's log has been read
        self.by_chat: dict[int, list[Event]] = {}
        self.changed: dict[int, asyncio.Event] = {}
        self.actions: list[Action] = []
        self.runs: list[Run] = []
        self.killed: tuple[str, float] | None = None  # (process, perf_counter of the kill)
        self.settled = False  # the killed process's last calls have all arrived
        self.notices: list[Event] = []
        fake.listeners.append(self._on_event)

    def _on_event(self, e: Event) -> None:
        self.by_chat.setdefault(e.chat_id, []).append(e)
        if e.kind == "send" and not e.data and e.text.startswith(NOTICE_PREFIX):
            self.notices.append(e)
        if e.chat_id in self.changed:
            self.changed[e.chat_id].set()

    def wake_all(self) -> None:
        for ev in self.changed.values():
            ev.set()

    # -- acting --------------------------------------------------------------------------
    def _action(self, user: int, kind: str, sent: str, update_id: int) -> Action:
        chat = self.by_chat[user]
        pos = next(i for i in range(len(chat) - 1, -1, -1)
                   if chat[i].kind == "update" and chat[i].ref == update_id)
        a = Action(user, kind, sent, update_id, pos)
        self.actions.append(a)
        return a

    async def say(self, user: int, text: str, kind: str) -> Action:
        """Type ``text``; send it again while the process that took it was killed first."""
        while True:
            self.changed.setdefault(user, asyncio.Event())
            a = self._action(user, kind, text, self.fake.user_says(user, text))
            if await self.reply(a):
                return a

    async def press(self, user: int, message: Sent, data: str, kind: str = "press") -> Action:
        while True:
            self.changed.setdefault(user, asyncio.Event())
            update_id = self.fake.press(user, message, data, stale=True)
            a = self._action(user, kind, data, update_id)
            if await self.reply(a):
                return a

    # -- the reply -----------------------------------------------------------------------
    def window(self, a: Action) -> list[Event]:
        out = []
        for e in self.by_chat[a.user][a.pos + 1:]:
            if e.kind == "update":
                break
            if not proactive(e):
                out.append(e)
        return out

    def shape_of(self, a: Action) -> str:
        return "".join(_letter(e) for e in self.window(a))

    async def reply(self, a: Action) -> bool:
        """True once the reply is complete (or malformed: the checks report it), False when
        the update was lost."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REPLY_TIMEOUT
        allowed = SHAPES[a.kind]
        changed = self.changed[a.user]
        began = loop.time()
        while True:
            changed.clear()
            shape = self.shape_of(a)
            if shape in allowed or not any(s.startswith(shape) for s in allowed):
                a.shape, a.took = shape, loop.time() - began
                return True
            if self.suspect(a) and self.lost(a):
                a.shape, a.lost = self.shape_of(a), True
                return False
            if loop.time() > deadline:
                raise AssertionError(
                    f"user {a.user}: no reply to {a.kind} {a.sent!r} (update {a.update_id}, "
                    f"got {shape!r}), and the killed process never had it; deliveries: "
                    f"{self.fake.deliveries.get(a.update_id)}; the chat: "
                    + "\n".join(_show(e) for e in self.by_chat[a.user][-14:]))
            wait = 0.25 if self.suspect(a) else deadline - loop.time()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), max(wait, 0.05))

    def suspect(self, a: Action) -> bool:
        """The killed process was sent this update before it died."""
        if self.killed is None or not self.settled:
            return False
        name, at = self.killed
        return any(d.backend == name and d.started < at
                   for d in self.fake.deliveries.get(a.update_id, []))

    def lost(self, a: Action) -> bool:
        """Whether no process will ever answer this update: every process alive that took it
        found it claimed already (each logs so), or none did. Until then a live process has it
        and answers it, or says it dropped it."""
        assert self.killed is not None
        name, at = self.killed
        deliveries = list(self.fake.deliveries.get(a.update_id, []))
        if not any(200 <= d.status < 300 for d in deliveries):
            return False  # the fake is still posting it
        live = {d.backend for d in deliveries if 200 <= d.backend_status < 300
                and (d.backend != name or d.started >= at)}
        self._read_logs(live)
        return all(a.update_id in self.dropped.get(p, set()) for p in live)

    def _read_logs(self, names: set[str]) -> None:
        for name in names:
            path = self.cluster.procs[name].log
            with path.open("rb") as f:
                f.seek(self._read.get(name, 0))
                chunk = f.read()
            end = chunk.rfind(b"\n") + 1  # whole lines only
            self._read[name] = self._read.get(name, 0) + end
            self.dropped.setdefault(name, set()).update(
                int(m) for m in _TAKEN.findall(chunk[:end].decode("utf-8", "replace")))


# handlers/telegram/dedup.py logs this for an update another process (or delivery) took first
_TAKEN = re.compile(r"update (\d+) already taken")


def _show(e: Event) -> str:
    return (f"{e.kind} {e.instance} {e.ref} {e.text[:50]!r} "
            f"{[d.rsplit(':', 2)[-2:] for d in e.data][:3]}")


def _letter(e: Event) -> str:
    if e.kind == "send":
        return "B" if e.data else "S"
    if e.kind == "answer":
        if not e.text:
            return "A"
        return "P" if "来自之前的一题" in e.text else "N"
    return {"edit": "E", "markup": "M"}[e.kind]


def proactive(e: Event) -> bool:
    """A reminder or a notice: sent by a job, not in reply to the update before it."""
    return e.kind == "send" and not e.data and (e.text.startswith(NOTICE_PREFIX)
                                                or "有效期提醒" in e.text)


# -- one user's visit --------------------------------------------------------------------------
_SC = re.compile(r"^sc~[^:]+:(?P<nonce>\w+):(?P<qid>\w+):(?P<action>\w+)$")


def answer_plan(rng: random.Random) -> dict[str, tuple[str, str, Any]]:
    """For each question id: (press|type, button action or text, the value it records)."""
    from knowledge.eligibility import load_rules
    from knowledge.pack import load_pack

    plan: dict[str, tuple[str, str, Any]] = {}
    for q in load_rules(load_pack()).questions:
        if q.kind == "choice":
            i = rng.randrange(len(q.choices))
            plan[q.id] = ("press", f"c{i}", q.choices[i].value)
        elif q.kind == "yesno":
            action = rng.choices(["y", "n", "u"], weights=[75, 15, 10])[0]
            plan[q.id] = ("press", action, {"y": True, "n": False, "u": None}[action])
        elif q.kind == "number":
            if rng.random() < 0.8:
                text, value = rng.choice(NUMBERS)
                plan[q.id] = ("type", text, value)
            else:
                plan[q.id] = ("press", "u", None)
        else:  # date
            roll = rng.random()
            if roll < 0.4:
                text, value = rng.choice(DATES)
                plan[q.id] = ("type", text, value)
            else:
                action = "none" if roll < 0.8 else ("nd" if roll < 0.9 else "u")
                plan[q.id] = ("press", action, {"none": "none", "nd": "unknown", "u": None}[action])
    return plan


def _questionnaire(sim: Sim, user: int, a: Action) -> Sent | None:
    """The message with the questionnaire's buttons (or its result) the reply to ``a`` shows."""
    for e in reversed(sim.window(a)):
        if e.kind in ("send", "edit") and (any(_SC.match(d) for d in e.data)
                                           or "自查结果" in e.text):
            return next(s for s in sim.fake.to(user) if s.message_id == e.ref)
    return None


async def selfcheck(sim: Sim, user: int, plan: dict[str, tuple[str, str, Any]]) -> None:
    for _ in range(4):  # a run whose end was lost is started again
        run = Run(user)
        sim.runs.append(run)
        start = await sim.say(user, "/selfcheck", "selfcheck")
        message = _questionnaire(sim, user, start)
        while message is not None:
            if "自查结果" in message.text:
                run.result = message.text
                return
            steps = [m for d in message.button_data() if (m := _SC.match(d))]
            if not steps:
                break
            qid = steps[0]["qid"]
            how, what, value = plan[qid]
            run.answers[qid] = value
            if how == "press":
                data = next(d for d in message.button_data() if d.endswith(f":{qid}:{what}"))
                a = await sim.press(user, message, data)
                if a.shape == "N":  # the run ended (its result was lost): start again
                    break
                message = _questionnaire(sim, user, a) or message
            else:
                a = await sim.say(user, what, "typed")
                message = _questionnaire(sim, user, a)
    raise AssertionError(f"user {user}: the questionnaire never reached its result")


async def visit(sim: Sim, user: int, rng: random.Random, code: str | None, subscribe: bool,
                joined: asyncio.Event, joins: list[int]) -> None:
    """One user: bind and subscribe first, then questions around one self-check."""
    plan = answer_plan(rng)
    questions = rng.sample(QUESTIONS, rng.randint(1, 3))
    before = rng.randint(0, len(questions))
    await asyncio.sleep(rng.uniform(0, 2.0))  # users arrive over two seconds
    if code is not None:
        await sim.say(user, f"/bind {code}", "bind")
    if subscribe:
        await sim.say(user, "/subscribe", "subscribe")
    joins[0] -= 1
    if joins[0] == 0:
        joined.set()
    for q in questions[:before]:
        await asyncio.sleep(rng.uniform(0, 1.0))
        await sim.say(user, q, "ask")
    await selfcheck(sim, user, plan)
    for q in questions[before:]:
        await asyncio.sleep(rng.uniform(0, 1.0))
        await sim.say(user, q, "ask")


async def staff_notice(sim: Sim, joined: asyncio.Event, confirmed: asyncio.Event) -> None:
    """Once every subscription is in, staff send /notice and confirm the preview."""
    await joined.wait()
    preview = await sim.say(STAFF, f"/notice {NOTICE}", "notice")
    message = next(s for s in sim.fake.to(STAFF)
                   if s.message_id == sim.window(preview)[-1].ref)
    await sim.press(STAFF, message, message.data("确认发送"), "confirm")
    confirmed.set()


async def killer(sim: Sim, confirmed: asyncio.Event, subscribers: int,
                 claim_seconds: float) -> None:
    """Kill the process delivering the notice a quarter of the way through, then start it
    again on its port once a claim it held has expired."""
    await confirmed.wait()
    await sim.fake.wait_for(lambda: len(sim.notices) >= max(1, subscribers // 4), timeout=120)
    victim = sim.notices[-1].instance
    await sim.cluster.kill(victim)
    sim.killed = sim.cluster.kills[-1]
    await asyncio.sleep(1.0)  # its last requests already on the wire arrive
    sim.settled = True
    sim.wake_all()
    await asyncio.sleep(max(0.0, claim_seconds - 1.0))
    await sim.cluster.restart(victim)


# -- the scenario ------------------------------------------------------------------------------
def _roster(today: dt.date) -> tuple[str, list[str]]:
    """40 organisations whose awards end 0, 20, 60 or 150 days from now: each has a reminder
    due today (the last valid day, 30, 90 or 180 days ahead)."""
    lines = ["名称,奖项,年度,认定日期,文号,备注,再次获奖"]
    names = []
    for i in range(40):
        ahead = (0, 20, 60, 150)[i % 4]
        end = today + dt.timedelta(days=ahead)
        awarded = end.replace(year=end.year - 4, day=min(end.day, 28) if end.month == 2
                              else end.day)
        name = f"沧州多进程测试{i:02d}有限公司"
        names.append(name)
        lines.append(f"{name},组织奖,{awarded.year},{awarded.isoformat()},,,否")
    return "\n".join(lines) + "\n", names


def _cli(*argv: str) -> str:
    from bot.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(argv))
    assert code == 0, out.getvalue()
    return out.getvalue()


def prepare(db_url: str, workdir: Path) -> tuple[dict[int, str], dict[int, str]]:
    """Roster imported and codes issued with ``qabot winners``; half the winners bound before
    the processes start (their reminders are due at start-up), half left for users to /bind.
    Returns (user -> code to send, chat -> winner name bound there in the end)."""
    from bot.services import Services
    from bot.settings import load_settings

    today = dt.datetime.now(ZoneInfo(TZ)).date()
    roster, names = _roster(today)
    path = workdir / "名录.csv"
    path.write_text(roster, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(workdir)
        mp.setenv("DATABASE_URL", db_url)
        mp.setenv("QABOT_TIMEZONE", TZ)
        _cli("winners", "import", str(path))

        def code(name: str) -> str:
            found = re.search(r"/bind ([A-Z0-9-]+)", _cli("winners", "code", name))
            assert found, name
            return found.group(1)

        to_send: dict[int, str] = {}
        bound: dict[int, str] = {}
        services = Services.from_settings(load_settings(_env_file=None))
        try:
            for i, name in enumerate(names):
                user = FIRST_USER + i
                if i < 20:
                    services.bind(str(user), code(name))
                    if i < 5:  # a second contact of the same winner
                        services.bind(str(FIRST_USER + 100 + i), code(name))
                        bound[FIRST_USER + 100 + i] = name
                else:
                    to_send[user] = code(name)
                bound[user] = name
        finally:
            services.close()
    return to_send, bound


async def scenario(db_url: str, workdir: Path) -> Outcome:
    from sqlalchemy import create_engine

    started = time.perf_counter()
    to_send, bound = prepare(db_url, workdir)
    has_claims = claims_setting_present()
    tz = ZoneInfo(TZ)
    # a daily run all three processes start at the same second, once they are up
    daily = (dt.datetime.now(tz) + dt.timedelta(seconds=45)).time().replace(microsecond=0)
    env = {"ADMIN_IDS": str(STAFF), "QABOT_TIMEZONE": TZ, "REMINDER_TIME": daily.isoformat()}
    if has_claims:
        env[CLAIM_SETTING] = str(CLAIM_SECONDS)
    rng = random.Random(SEED)
    users = list(range(FIRST_USER, FIRST_USER + USERS))
    subscribers = set(rng.sample(users, len(users) * 3 // 5))
    engine = create_engine(db_url)
    async with FakeBotAPI() as fake:
        cluster = Cluster(fake, db_url, workdir, PROCESSES, env,
                          drop_answer_every=DROP_ANSWER_EVERY)
        sim = Sim(fake, cluster)
        try:
            await cluster.start()
            up = time.perf_counter()
            joined, confirmed = asyncio.Event(), asyncio.Event()
            joins = [len(users)]
            visits = [visit(sim, u, random.Random(f"{SEED}:{u}"), to_send.get(u),
                            u in subscribers, joined, joins) for u in users]
            await asyncio.gather(
                *visits, staff_notice(sim, joined, confirmed),
                killer(sim, confirmed, len(subscribers),
                       CLAIM_SECONDS + 1.0 if has_claims else 1.0))
            users_done = time.perf_counter()
            today = dt.datetime.now(tz).date()
            expected = expected_reminders(engine, bound, today)
            received = await _deliveries(sim, expected, subscribers, has_claims)
            delivered = time.perf_counter()
            cpu = {n: round(p.cpu_seconds(), 1) for n, p in cluster.procs.items()}
        finally:
            await cluster.close()
            engine.dispose()
    stats = {
        "seconds_total": round(time.perf_counter() - started, 1),
        "seconds_start": round(up - started, 1),
        "seconds_users": round(users_done - up, 1),
        "seconds_deliveries": round(delivered - users_done, 1),
        "updates": len(fake.deliveries),
        "posts": sum(len(v) for v in fake.deliveries.values()),
        "retried_updates": sum(1 for v in fake.deliveries.values() if len(v) > 1),
        "dropped_by_forwarder": cluster.forwarder.dropped,
        "refused_or_reset": sum(cluster.forwarder.failed.values()),
        "lost_updates": sum(1 for a in sim.actions if a.lost),
        "reply_seconds_median_p95_max": _spread([a.took for a in sim.actions if not a.lost]),
        "sent_by_process": sent_by(fake),
        "reminders_and_notices_by_process": dict(Counter(
            e.instance for events in sim.by_chat.values() for e in events if proactive(e))),
        "cpu_seconds": {**cpu, "test": round(time.process_time(), 1)},
        "taken_twice_log_lines": {n: t.count("already taken") for n, t in cluster.logs().items()},
    }
    return Outcome(sim.actions, sim.runs, sim.by_chat, expected, subscribers, received,
                   len(cluster.kills), has_claims,
                   f"{CLAIM_SETTING} is not in bot/settings.py yet (branch claims): reminders "
                   "and notices are not claimed before sending, so several processes repeat them",
                   today, stats, cluster.logs())


def _spread(values: list[float]) -> tuple[float, ...]:
    if not values:
        return ()
    values = sorted(values)
    return tuple(round(values[min(len(values) - 1, int(q * len(values)))], 2)
                 for q in (0.5, 0.95)) + (round(values[-1], 2),)


def expected_reminders(engine: Any, bound: dict[int, str], today: dt.date) -> dict[int, str]:
    """Chat -> the text of the reminder due today for the winner bound there."""
    from sqlmodel import Session, select

    from bot.reminders import Reminder, due_milestone, render
    from bot.storage.models import Binding, Winner
    from knowledge.pack import load_pack

    pack = load_pack()
    out: dict[int, str] = {}
    with Session(engine) as s:
        rows = s.exec(select(Winner, Binding).join(Binding, Binding.winner_id == Winner.id)
                      .where(Binding.active)).all()
    for w, b in rows:
        milestone = due_milestone(w.valid_until, today)
        assert milestone is not None, w.name
        r = Reminder(w.id or 0, b.chat_id, milestone, w.name, w.kind, w.award_year,
                     w.valid_until)
        out[int(b.chat_id)] = render(r, pack, today)
    assert set(out) == set(bound), "every binding of the scenario is in the database"
    return out


async def _deliveries(sim: Sim, expected: dict[int, str], subscribers: set[int],
                      wait: bool) -> dict[int, list[str]]:
    """Wait (when the claims are in) until every reminder and the notice arrived."""
    def received() -> dict[int, list[str]]:
        return {chat: texts for chat, events in sim.by_chat.items()
                if (texts := [e.text for e in events if proactive(e)])}

    def complete() -> bool:
        got = received()
        return (all(expected[c] in got.get(c, []) for c in expected)
                and all(NOTICE_PREFIX + NOTICE in got.get(c, []) for c in subscribers))

    if wait:
        with contextlib.suppress(AssertionError):  # what is missing is reported by the test
            await sim.fake.wait_for(complete, timeout=DELIVERY_TIMEOUT)
    return received()


# -- the fixture and the checks ----------------------------------------------------------------
@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"several processes share one database only on PostgreSQL: set {PG_ENV} "
                    "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test); .ci/run sets it")
    workdir = tmp_path_factory.mktemp("multiproc")
    for db_url in _pg_schema_url(base):
        result = asyncio.run(scenario(db_url, workdir))
        print(f"\nmultiprocess scenario: {result.stats}")
        (workdir / "stats.txt").write_text(repr(result.stats), encoding="utf-8")
        yield result


def test_every_questionnaire_ends_with_the_verdict_its_answers_imply(outcome: Outcome):
    from bot.features.selfcheck import facts_from_answers, render_result
    from knowledge.eligibility import evaluate, load_rules, validate_facts, with_today
    from knowledge.pack import load_pack

    pack = load_pack()
    rules = load_rules(pack)
    finished = [r for r in outcome.runs if r.result is not None]
    assert {r.user for r in finished} == set(range(FIRST_USER, FIRST_USER + USERS))
    wrong, verdicts = [], Counter()
    for r in finished:
        facts = with_today(validate_facts(facts_from_answers(rules, r.answers)), outcome.today)
        verdict = evaluate(facts, pack)
        verdicts[verdict.verdict] += 1
        if render_result(verdict, rules, pack=pack) != r.result:
            wrong.append((r.user, r.answers, verdict.summary(), r.result))
    assert not wrong, f"{len(wrong)} questionnaires ended with another verdict: {wrong[:3]}"
    assert len(verdicts) == 3, f"the answers reach every kind of verdict: {verdicts}"


def test_no_update_is_answered_twice_or_by_two_processes(outcome: Outcome):
    wrong = []
    for a in outcome.actions:
        window = _final_window(outcome, a)
        shape = "".join(_letter(e) for e in window)
        allowed = SHAPES[a.kind]
        if shape != a.shape:
            wrong.append((a.user, a.kind, a.sent, f"{a.shape!r} when judged, {shape!r} at the end"))
        elif a.lost and (shape in allowed or not any(s.startswith(shape) for s in allowed)):
            wrong.append((a.user, a.kind, a.sent, f"judged lost with a whole reply {shape!r}"))
        elif not a.lost and shape not in allowed:
            wrong.append((a.user, a.kind, a.sent, f"reply {shape!r}, expected one of {allowed}"))
        elif len({e.instance for e in window}) > 1:
            wrong.append((a.user, a.kind, a.sent,
                          f"answered by {sorted({e.instance for e in window})}"))
    assert not wrong, f"{len(wrong)} updates answered wrongly: {wrong[:5]}"
    presses = Counter(e.ref for events in outcome.events.values() for e in events
                      if e.kind == "answer")
    assert not [q for q, n in presses.items() if n > 1], "a press answered twice"
    lost = [a for a in outcome.actions if a.lost]
    assert len(lost) <= 64 * outcome.kills, "no more lost than one process had in hand"
    assert outcome.stats["dropped_by_forwarder"] > 0, "retried deliveries were tried"


def _final_window(outcome: Outcome, a: Action) -> list[Event]:
    out = []
    for e in outcome.events[a.user][a.pos + 1:]:
        if e.kind == "update":
            break
        if not proactive(e):
            out.append(e)
    return out


def test_each_due_reminder_and_the_notice_reach_each_recipient_once(outcome: Outcome):
    if not outcome.delivery_checked:
        pytest.skip(outcome.skip_reason)
    missing, repeats = [], 0
    for chat, text in outcome.expected_reminders.items():
        n = outcome.received.get(chat, []).count(text)
        if n == 0:
            missing.append(("reminder", chat))
        repeats += max(0, n - 1)
    notice_repeats = 0
    for chat in outcome.subscribers:
        n = outcome.received.get(chat, []).count(NOTICE_PREFIX + NOTICE)
        if n == 0:
            missing.append(("notice", chat))
        notice_repeats += max(0, n - 1)
    others = [c for c in outcome.received
              if c not in outcome.subscribers and c not in outcome.expected_reminders]
    assert not missing, f"{len(missing)} never arrived: {missing[:5]}"
    assert not others, f"sent to chats that were due nothing: {others[:5]}"
    assert repeats <= outcome.kills, f"{repeats} reminders repeated ({outcome.kills} kill)"
    assert notice_repeats <= outcome.kills, f"{notice_repeats} notices repeated"
