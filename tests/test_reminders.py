from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import delete, select, update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot import registry, reminders
from bot.reminders import due_milestone, plan, render
from bot.storage.models import Binding, ReminderSent
from handlers.telegram.reminders import send_due
from knowledge.pack import load_pack

PACK = load_pack()
NOW = dt.datetime(2021, 12, 25, tzinfo=dt.UTC)
VU = dt.date(2025, 12, 20)  # award 2021-12-20, 《民法典》第二百零二条
ROSTER = ("名称,奖项,年度,认定日期,文号,备注,再次获奖\n"
          "沧州甲公司,组织奖,2021,2021-12-20,,,\n"
          "李四,个人奖,2021,2021-12-20,,,\n").encode()


class FakeBot:
    """An async send_message that records messages or raises the errors queued per chat;
    ``during`` runs before each send (another process acting meanwhile)."""

    def __init__(self) -> None:
        self.sent: list[tuple[int | str, str]] = []
        self.errors: dict[int | str, list[Exception]] = {}
        self.during = None

    async def send_message(self, chat_id, text, **kw):
        if self.during is not None:
            self.during(chat_id)
        queue = self.errors.get(chat_id)
        if queue:
            raise queue.pop(0)
        self.sent.append((chat_id, text))


@pytest.fixture
def bound(sessions):
    """Two winners, each bound to one chat: 沧州甲公司 -> 1001, 李四 -> 2002."""
    with sessions() as s:
        registry.import_bytes(s, ROSTER, "r.csv", PACK, NOW)
        for name, chat in (("沧州甲公司", "1001"), ("李四", "2002")):
            code, _ = registry.issue_code(s, name, NOW, 30)
            registry.bind(s, chat, code, NOW)
    return sessions


def days_before(n: int) -> dt.date:
    return VU - dt.timedelta(days=n)


@pytest.mark.parametrize(("today", "expected"), [
    (days_before(181), None), (days_before(180), "d180"), (days_before(91), "d180"),
    (days_before(90), "d90"), (days_before(30), "d30"), (days_before(1), "d30"),
    (VU, "last_day"), (VU + dt.timedelta(days=1), "expired"),
    (VU + dt.timedelta(days=400), "expired"),
])
def test_the_due_milestone_is_the_latest_one_reached(today, expected):
    assert due_milestone(VU, today) == expected


async def run(sessions, today, bot=None, **kw):
    bot = bot or FakeBot()
    report = await send_due(bot, sessions, PACK, today, sleep=_no_sleep, **kw)
    return bot, report


async def _no_sleep(seconds: float) -> None:
    _no_sleep.waited.append(seconds)  # type: ignore[attr-defined]


_no_sleep.waited = []  # type: ignore[attr-defined]


async def test_each_milestone_reaches_each_chat_exactly_once(bound):
    bot, rep = await run(bound, days_before(180))
    assert rep.sent == 2 and {c for c, _ in bot.sent} == {1001, 2002}
    bot, rep = await run(bound, days_before(180))
    assert (rep.planned, bot.sent) == (0, [])
    bot, _ = await run(bound, days_before(179))
    assert bot.sent == []
    milestones = []
    for today in (days_before(90), days_before(30), VU, VU + dt.timedelta(days=1)):
        bot, _ = await run(bound, today)
        bot2, _ = await run(bound, today)  # a second run the same day sends nothing
        assert bot2.sent == []
        milestones.append(len(bot.sent))
    assert milestones == [2, 2, 2, 2]
    with bound() as s:
        assert len(s.exec(select(ReminderSent)).all()) == 10


async def test_after_downtime_only_the_latest_missed_milestone_is_sent(bound):
    bot, rep = await run(bound, VU + dt.timedelta(days=3))  # 180/90/30/last day all missed
    assert rep.sent == 2
    with bound() as s:
        assert {r.milestone for r in s.exec(select(ReminderSent))} == {"expired"}
    assert "已于 2025-12-20 期满" in bot.sent[0][1]


async def test_an_award_that_ended_more_than_a_year_ago_is_no_longer_planned(bound):
    _, rep = await run(bound, VU + dt.timedelta(days=365), FakeBot())
    assert rep.planned == 2
    with bound() as s:
        s.exec(delete(ReminderSent))
        s.commit()
    bot, rep = await run(bound, VU + dt.timedelta(days=366))
    assert rep.planned == 0


async def test_a_revoked_winner_gets_no_further_reminders(bound):
    with bound() as s:
        registry.revoke(s, "李四", "第二十四条（一）", days_before(100), NOW)
    bot, _ = await run(bound, days_before(90))
    assert [c for c, _ in bot.sent] == [1001]


async def test_retry_after_waits_and_then_sends(bound):
    bot = FakeBot()
    bot.errors[1001] = [RetryAfter(3), RetryAfter(2)]
    _no_sleep.waited.clear()  # type: ignore[attr-defined]
    bot, rep = await run(bound, days_before(30), bot)
    assert rep.sent == 2
    assert _no_sleep.waited == [3.0, 2.0]  # type: ignore[attr-defined]


async def test_a_user_who_blocked_the_bot_has_the_binding_made_inactive(bound):
    bot = FakeBot()
    bot.errors[2002] = [Forbidden("Forbidden: bot was blocked by the user")]
    bot, rep = await run(bound, days_before(30), bot)
    assert (rep.sent, rep.blocked) == (1, 1)
    with bound() as s:
        b = s.exec(select(Binding).where(Binding.chat_id == "2002")).one()
        assert b.active is False
        assert plan(s, days_before(1)) == []  # and it is never planned again


async def test_a_network_error_leaves_the_reminder_for_the_next_run(bound):
    bot = FakeBot()
    bot.errors[1001] = [NetworkError("connection reset")]
    bot, rep = await run(bound, days_before(30), bot)
    assert (rep.sent, rep.deferred) == (1, 1)
    bot, rep = await run(bound, days_before(29))
    assert [c for c, _ in bot.sent] == [1001]


async def test_a_run_stops_when_the_network_is_down_and_loses_nothing(bound):
    bot = FakeBot()
    bot.errors[1001] = [NetworkError("down")] * 1
    bot.errors[2002] = [NetworkError("down")] * 1
    reminders.MAX_NETWORK_FAILURES, old = 2, reminders.MAX_NETWORK_FAILURES
    try:
        bot, rep = await run(bound, days_before(30), bot)
    finally:
        reminders.MAX_NETWORK_FAILURES = old
    assert (rep.sent, rep.deferred) == (0, 2)
    bot, rep = await run(bound, days_before(30))
    assert rep.sent == 2


async def test_a_bad_request_is_logged_and_retried_later(bound):
    bot = FakeBot()
    bot.errors[1001] = [BadRequest("Can't parse entities")]
    bot, rep = await run(bound, days_before(30), bot)
    assert (rep.sent, rep.deferred) == (1, 1)


async def test_a_crash_after_sending_repeats_one_message_but_never_loses_one(bound, monkeypatch):
    calls = {"n": 0}
    real = reminders.mark_sent

    def crash_once(session, r, holder, at):
        calls["n"] += 1
        if calls["n"] == 1:
            raise SystemExit("power cut")
        return real(session, r, holder, at)

    monkeypatch.setattr(reminders, "mark_sent", crash_once)
    bot = FakeBot()
    with pytest.raises(SystemExit):
        await send_due(bot, bound, PACK, days_before(30), sleep=_no_sleep, holder="dead")
    assert len(bot.sent) == 1  # sent, not recorded: its claim stays until it expires
    bot2, rep = await run(bound, days_before(30))
    assert (rep.sent, bot2.sent[0][0]) == (1, 2002)  # the other one; the claimed one waits
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=reminders.CLAIM_SECONDS + 1)
    bot3, rep = await run(bound, days_before(30), now=lambda: later)
    assert (rep.sent, bot3.sent[0][0]) == (1, 1001)  # the unrecorded one comes again, once
    bot4, rep = await run(bound, days_before(30), now=lambda: later)
    assert rep.sent == 0


def _claimed_elsewhere(sessions, chat: str, seconds: float = 60) -> None:
    """Another process claims the due reminder of ``chat`` (and is alive for ``seconds``)."""
    with sessions() as s:
        [r] = [r for r in plan(s, days_before(30)) if r.chat_id == chat]
        assert reminders.claim(s, r, "other-process", dt.datetime.now(dt.UTC), seconds)


async def test_a_reminder_another_process_holds_is_neither_planned_nor_sent(bound):
    _claimed_elsewhere(bound, "1001")
    with bound() as s:
        assert [r.chat_id for r in plan(s, days_before(30))] == ["2002"]
    bot, rep = await run(bound, days_before(30))
    assert [c for c, _ in bot.sent] == [2002] and rep.sent == 1
    with bound() as s:
        held = s.get(ReminderSent, (1, "1001", "d30"))
        assert held.holder == "other-process" and held.sent_at is None


async def test_an_expired_claim_is_taken_over_and_sent_once(bound):
    _claimed_elsewhere(bound, "1001", seconds=1)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
    bot, rep = await run(bound, days_before(30), now=lambda: later, holder="me")
    assert sorted(c for c, _ in bot.sent) == [1001, 2002]
    with bound() as s:
        row = s.get(ReminderSent, (1, "1001", "d30"))
        assert (row.holder, row.sent_at) == ("me", later)
    bot, rep = await run(bound, days_before(30), now=lambda: later)
    assert bot.sent == []


async def test_a_failed_send_gives_its_claim_up_for_the_next_run(bound):
    bot = FakeBot()
    bot.errors[1001] = [NetworkError("connection reset")]
    bot.errors[2002] = [RetryAfter(1)] * (reminders.delivery.MAX_RETRY_AFTER + 1)
    _, rep = await run(bound, days_before(30), bot)
    assert (rep.sent, rep.deferred) == (0, 2)
    with bound() as s:
        assert s.exec(select(ReminderSent)).all() == []  # no claim left behind
    bot, rep = await run(bound, days_before(30))
    assert rep.sent == 2


async def test_a_claim_lost_during_a_flood_wait_is_not_sent(bound):
    bot = FakeBot()
    bot.errors[1001] = [RetryAfter(5)]

    async def wait_too_long(seconds: float) -> None:
        # the wait outlasted the claim: another process took it over meanwhile
        with bound() as s:
            s.exec(update(ReminderSent).where(ReminderSent.chat_id == "1001")
                   .values(holder="other-process"))
            s.commit()

    rep = await send_due(bot, bound, PACK, days_before(30), sleep=wait_too_long)
    assert [c for c, _ in bot.sent] == [2002] and (rep.sent, rep.elsewhere) == (1, 1)


async def test_a_flood_wait_keeps_the_claim_alive(bound):
    bot = FakeBot()
    bot.errors[1001] = [RetryAfter(5)]
    seen = []
    t0 = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    clock = {"now": t0}

    async def wait(seconds: float) -> None:
        clock["now"] += dt.timedelta(seconds=seconds)
        with bound() as s:
            seen.append(s.get(ReminderSent, (1, "1001", "d30")).claimed_until)

    await send_due(bot, bound, PACK, days_before(30), sleep=wait, now=lambda: clock["now"],
                   claim_seconds=10)
    with bound() as s:
        row = s.get(ReminderSent, (1, "1001", "d30"))
    assert seen == [t0 + dt.timedelta(seconds=10)]  # claimed at t0 for 10 s
    assert row.claimed_until == t0 + dt.timedelta(seconds=15)  # extended after the wait
    assert row.sent_at == t0 + dt.timedelta(seconds=5)


def test_each_message_quotes_the_clause_and_the_correct_wording(bound):
    with bound() as s:
        [r1, _] = plan(s, days_before(90))
    text = render(r1, PACK, days_before(90))
    assert "2021年度沧州市政府质量奖" in text and "第二十一条" in text and "还有 90 天" in text
    expired = reminders.Reminder(r1.winner_id, r1.chat_id, "expired", r1.name, r1.kind,
                                 r1.award_year, r1.valid_until)
    text = render(expired, PACK, VU + dt.timedelta(days=1))
    assert "不得继续沿用" in text and "第十七条" in text and "不再给予物质奖励" in text


def test_an_award_followed_by_a_later_one_gives_the_later_ones_date_to_apply_again(bound):
    # 沧州甲公司 won again in 2024 (第十七条): its 2021 award's reminders name 2028, not 2025
    with bound() as s:
        registry.import_bytes(s, "名称,奖项,年度,认定日期,再次获奖\n沧州甲公司,组织奖,2024,"
                              "2024-12-20,是\n".encode(), "r2.csv", PACK, NOW)
    for day, milestone in ((days_before(90), "d90"), (VU + dt.timedelta(days=1), "expired")):
        with bound() as s:
            [r] = [r for r in plan(s, day) if r.name == "沧州甲公司"]
        assert (r.milestone, r.later_until) == (milestone, dt.date(2028, 12, 20))
        text = render(r, PACK, day)
        assert "2028-12-21 起" in text and "第十七条" in text, text
        assert "2025-12-21" not in text and "下一轮" not in text, text
    with bound() as s:  # 李四 has no later award: the date is still the award's own
        [r] = [r for r in plan(s, days_before(90)) if r.name == "李四"]
    assert r.later_until is None and "2025-12-21 起" in render(r, PACK, days_before(90))


def test_the_dry_run_prints_what_would_be_sent_and_to_whom(db_url, tmp_path, monkeypatch,
                                                           capsys):
    from bot.cli import main
    from bot.storage import make_engine, session_factory, upgrade_database

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    eng = make_engine(db_url)
    upgrade_database(eng)
    sessions = session_factory(eng)
    with sessions() as s:
        registry.import_bytes(s, ROSTER, "r.csv", PACK, NOW)
        registry.bind(s, "1001", registry.issue_code(s, "沧州甲公司", NOW, 30)[0], NOW)
    assert main(["remind", "--dry-run", "--today", str(days_before(30))]) == 0
    out = capsys.readouterr().out
    assert "chat 1001" in out and "沧州甲公司" in out and "d30" in out and "共 1 条" in out
    with sessions() as s:
        assert s.exec(select(ReminderSent)).all() == []
    eng.dispose()


async def test_schedule_reminders_registers_a_daily_run_and_one_at_start_up(
        engine, sessions, monkeypatch, tmp_path):
    from telegram.ext import ApplicationBuilder

    from bot.services import Services
    from bot.settings import load_settings
    from handlers.telegram.reminders import schedule_reminders

    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("REMINDER_TIME", "09:00")
    monkeypatch.setenv("QABOT_TIMEZONE", "Asia/Shanghai")
    settings = load_settings()
    app = ApplicationBuilder().token("123456:" + "A" * 30).build()
    daily, startup = schedule_reminders(app, settings, Services(settings, engine, sessions, PACK))
    jobs = {j.name: j for j in app.job_queue.jobs()}
    assert set(jobs) == {"reminders-daily", "reminders-startup"}
    trigger = daily.job.trigger
    assert "hour='9'" in str(trigger) and "Asia/Shanghai" in str(trigger.timezone)
