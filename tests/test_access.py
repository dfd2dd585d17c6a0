"""Access: staff-only commands and handlers refuse everyone else, bind codes are safe, secrets
stay out of the logs, a winner sees only its own records and /forget leaves nothing behind.

Webhook posts without the secret token are refused: ``tests/test_telegram_webhook.py``
(``test_webhook_posts_without_the_secret_token_are_refused``) covers it through the real server.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from fakebotapi import FakeBotAPI
from sqlalchemy import MetaData, select
from telegram_harness import GROUP, STAFF, make_dialogue, running_bot, settings_for

from bot import registry
from bot.dialogue import Dialogue
from bot.learning import DECLINED, log_question
from bot.services import Services
from bot.settings import load_settings
from bot.storage.models import HotChoice, Lesson, QuestionLog, Winner
from bot.turn import Command, Reply
from handlers.telegram.guard import FLOOD_GATE, FloodGate

ROSTER = ("名称,奖项,年度,认定日期,文号,备注,再次获奖\n"
          "沧州甲公司,组织奖,2023,2023-12-20,沧政字〔2023〕1号,联系人王五 13800000000,否\n"
          "沧州乙公司,组织奖,2023,2023-12-20,沧政字〔2023〕2号,联系人赵六 13900000000,否\n"
          ).encode()
NOW = dt.datetime(2024, 1, 10, tzinfo=dt.UTC)
MALLORY = 58231947  # a user id that appears nowhere else, so a scan for it is exact
REFUSED = ("仅限", "工作人员")

# Every handler the Telegram application wires, and how it is guarded. A new handler fails
# test_every_telegram_handler_is_known_and_classified until it is added here with its guard
# and (for "staff") a refusal test below.
HANDLERS = {
    "claim_update": "public",  # an update delivered twice is answered once, runs first
    "flood_guard": "public",  # rate limiting, runs before everything
    "on_command": "dialogue",  # Dialogue.on_text refuses staff commands (+ none in groups)
    "on_text": "dialogue",
    "on_button": "dialogue",  # Dialogue.on_button refuses staff button prefixes (below)
    "on_inline": "public",  # article lookup
    "on_document": "staff",  # roster upload (anyone else: a refusal, or the media hint)
    "on_media": "public",  # stickers, photos, voice…: one hint, nothing stored but its time
    "on_my_membership": "public",  # added to a group: one acknowledgement there
}


@pytest.fixture
def services(db_url: str) -> Iterator[Services]:
    cfg = load_settings(_env_file=None, DATABASE_URL=db_url)
    svc = Services.from_settings(cfg)
    svc.now = lambda: NOW  # type: ignore[method-assign]
    svc.today = lambda: NOW.date()  # type: ignore[method-assign]
    svc.import_roster_bytes(ROSTER, "r.csv")
    yield svc
    svc.close()


def _all_rows(svc: Services) -> Iterator[tuple[str, tuple[object, ...]]]:
    meta = MetaData()
    meta.reflect(svc.engine)
    with svc.engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)):
                yield table.name, tuple(row)


def _rows_mentioning(svc: Services, needle: str) -> list[tuple[str, tuple[object, ...]]]:
    return [(t, r) for t, r in _all_rows(svc) if any(needle in str(v) for v in r)]


# -- staff-only commands in the dialogue ------------------------------------------------------


def staff_commands(d: Dialogue) -> list[Command]:
    return [c for c in d.commands.values() if c.staff]


def test_every_command_described_as_for_staff_is_marked_staff_only():
    d = Dialogue()
    assert {c.name for c in staff_commands(d)} >= {"code", "expiring", "notice", "feedback",
                                                   "synonym", "learned", "stats", "hot"}
    for c in d.commands.values():
        assert ("工作人员" in c.description) == c.staff, c.name


@pytest.mark.parametrize("arg", ["", " 沧州甲公司", " 30", " 2026年度申报开始"])
def test_every_staff_command_refuses_a_non_staff_user_without_running(arg: str):
    d = Dialogue()
    ran: list[str] = []

    def spy(name: str):  # noqa: ANN202
        def func(turn: object, a: str) -> list[Reply]:
            ran.append(name)
            return [Reply("ran")]
        return func

    for c in staff_commands(d):
        d.commands[c.name] = Command(c.name, spy(c.name), c.description, c.staff, c.menu)
    for c in staff_commands(d):
        for text in (f"/{c.name}{arg}", f"/{c.name.upper()}{arg}", f"／{c.name}{arg}",
                     f"/{c.name}@qabot_test_bot{arg}"):
            [reply] = d.on_text(d.turn({}, chat_id="1001", user_id="1001"), text)
            assert all(w in reply.html for w in REFUSED), (text, reply.html)
    assert ran == []
    for c in staff_commands(d):  # the same command does run for staff
        d.on_text(d.turn({}, chat_id="1", user_id="1", is_staff=True), f"/{c.name}{arg}")
    assert ran == [c.name for c in staff_commands(d)]


def test_no_button_reaches_a_staff_command():
    d = Dialogue()
    staff = {c.func for c in staff_commands(d)}
    assert not staff & set(d.buttons.values())
    assert not staff & set(d.flows.values())


# Every staff-only button prefix, with data of each shape it is offered with. A new staff
# prefix fails test_every_staff_button_is_known until it is listed here.
STAFF_BUTTONS = {
    "lrn": ["a:1:7", "i:1:7:1", "i:1:7:0", "t:1:15:2", "m:1", "s:1", "w:1:开张", "c:1:开张:经营", "o:1",
            "r:1:other_policy", "x:1", "u:1", "n", ""],
    "hotx": ["p:15", "h:15", "r:15", ""],
    "wrevoke": ["1:abc123:yes", "1:abc123:no", ""],
    "ntc": ["abc123:send", "abc123:cancel", ""],
}


def test_every_staff_button_is_known():
    assert Dialogue().staff_buttons == set(STAFF_BUTTONS)


@pytest.mark.parametrize("prefix", sorted(STAFF_BUTTONS))
def test_every_staff_button_refuses_a_non_staff_user_without_running(prefix: str):
    d = Dialogue()
    ran: list[str] = []

    def spy(turn: object, rest: str) -> list[Reply]:
        ran.append(rest)
        return [Reply("ran")]

    d.buttons[prefix] = spy
    for rest in STAFF_BUTTONS[prefix]:
        for user in ("1001", None):
            [reply] = d.on_button(d.turn({}, chat_id="1001", user_id=user), f"{prefix}:{rest}")
            assert all(w in reply.html for w in REFUSED), (prefix, rest, reply.html)
    assert ran == []
    for rest in STAFF_BUTTONS[prefix]:  # staff do get through
        d.on_button(d.turn({}, chat_id="1", user_id="1", is_staff=True), f"{prefix}:{rest}")
    assert ran == STAFF_BUTTONS[prefix]


def test_a_non_staff_press_on_a_real_question_teaches_nothing(services: Services):
    d = Dialogue(services=services)
    qid = log_question(services.sessions, "公司开张四年能报吗", DECLINED, [7])
    for data in [f"lrn:a:{qid}:7", f"lrn:i:{qid}:7:1", f"lrn:r:{qid}:other_policy",
                 f"lrn:x:{qid}", f"lrn:c:{qid}:开张:经营", "hotx:p:15", "hotx:h:7"]:
        [reply] = d.on_button(d.turn({}, chat_id=str(MALLORY), user_id=str(MALLORY)), data)
        assert all(w in reply.html for w in REFUSED), data
    with services.session() as s:
        assert s.exec(select(Lesson)).all() == [] and s.exec(select(HotChoice)).all() == []
        assert s.get(QuestionLog, qid).status == "open"


# -- staff-only handlers in Telegram ----------------------------------------------------------


async def test_every_telegram_handler_is_known_and_classified(fake: FakeBotAPI, sqlite_url: str):
    async with running_bot(fake, settings_for(fake, sqlite_url), polling=False) as app:
        wired = {h.callback.__name__ for group in app.handlers.values() for h in group}
    assert wired == set(HANDLERS), "classify the new handler in HANDLERS and test its guard"


async def test_a_non_staff_user_is_refused_by_every_staff_command_and_handler(
        fake: FakeBotAPI, sqlite_url: str):
    settings = settings_for(fake, sqlite_url)
    dialogue = make_dialogue(settings)
    dialogue.services.import_roster_bytes(ROSTER, "r.csv")
    names = [c.name for c in staff_commands(dialogue)]
    qid = log_question(dialogue.services.sessions, "公司开张四年能报吗", DECLINED, [7])
    presses = [f"{prefix}:{rest}".replace(":1", f":{qid}", 1)
               for prefix, rests in STAFF_BUTTONS.items() for rest in rests]
    async with running_bot(fake, settings, dialogue=dialogue) as app:
        app.bot_data[FLOOD_GATE] = FloodGate(limit=10_000)  # this test sends dozens at once
        for n, name in enumerate(names):
            fake.user_says(MALLORY, f"/{name} 沧州甲公司")
            await fake.wait_sent(MALLORY, n + 1)
        for n, name in enumerate(names):  # in a group nobody runs staff commands, staff neither
            fake.user_says(MALLORY, f"/{name} 30", chat_id=GROUP, chat_type="supergroup")
            fake.user_says(STAFF, f"/{name} 30", chat_id=GROUP, chat_type="supergroup")
            await fake.wait_sent(GROUP, 2 * (n + 1))
        fake.upload(MALLORY, "名单.csv", ROSTER.replace(b"2023,", b"2022,"))
        [*_, upload] = await fake.wait_sent(MALLORY, len(names) + 1)
        fake.user_says(MALLORY, "公示期几天")
        [answer] = await fake.wait_sent(MALLORY, after=len(names) + 1)
        # forged staff buttons on a message of the bot (as if copied from a staff chat)
        forged = replace(answer, buttons=[[{"text": d, "callback_data": d}] for d in presses])
        for n, data in enumerate(presses):
            fake.press(MALLORY, forged, data)
            await fake.wait_sent(MALLORY, len(names) + 3 + n)
        fake.user_says(STAFF, "/code 沧州甲公司")
        [code] = await fake.wait_sent(STAFF)
    for m in fake.to(MALLORY)[:len(names)] + fake.to(MALLORY)[len(names) + 2:]:
        assert all(w in m.text for w in REFUSED), m.text
    assert all("私聊" in m.text for m in fake.to(GROUP))
    assert "工作人员" in upload.text
    assert "绑定码" in code.text  # positive control: staff get through
    with dialogue.services.session() as s:
        assert {w.award_year for w in registry.list_winners(s)} == {2023}  # nothing imported
        assert s.exec(select(Lesson)).all() == [] and s.exec(select(HotChoice)).all() == []
        assert s.get(QuestionLog, qid).status == "open"  # nothing taught or ignored
    dialogue.services.close()


# -- bind codes -------------------------------------------------------------------------------


def test_a_bind_code_works_once_and_only_its_hash_is_stored(services: Services):
    code, _ = services.issue_code("沧州甲公司")
    plain = registry.normalise_code(code)
    for needle in (code, plain, plain.lower()):
        assert _rows_mentioning(services, needle) == []
    assert services.bind("1001", code.lower().replace("-", " ")).name == "沧州甲公司"
    with pytest.raises(registry.BindError, match="用过"):
        services.bind("2002", code)
    assert [w.name for w in services.bound_winners("2002")] == []


def test_a_bind_code_expires(services: Services):
    code, _ = services.issue_code("沧州甲公司")
    ttl = services.settings.bind_code_ttl_days
    services.now = lambda: NOW + dt.timedelta(days=ttl)  # type: ignore[method-assign]
    with pytest.raises(registry.BindError, match="过期"):
        services.bind("1001", code)


def test_five_wrong_codes_lock_the_chat_even_for_the_right_code(services: Services):
    code, _ = services.issue_code("沧州甲公司")
    for _ in range(registry.MAX_BIND_FAILURES):
        with pytest.raises(registry.BindError, match="不正确"):
            services.bind("1001", "ABCD-EFGH-JKLM")
    with pytest.raises(registry.BindLocked):
        services.bind("1001", code)
    assert services.bind("2002", code).name == "沧州甲公司"  # other chats are not locked
    services.now = lambda: NOW + registry.BIND_LOCK + dt.timedelta(seconds=1)  # type: ignore[method-assign]
    code2, _ = services.issue_code("沧州乙公司")
    assert services.bind("1001", code2).name == "沧州乙公司"


async def _secrets_in_logs(fake: FakeBotAPI, sqlite_url: str,
                           caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    """Staff issue a code, a user binds (with a wrong code and a failing send on the way);
    the secrets found in the captured log records."""
    settings = settings_for(fake, sqlite_url)
    dialogue = make_dialogue(settings)
    dialogue.services.import_roster_bytes(ROSTER, "r.csv")
    caplog.set_level(level)
    async with running_bot(fake, settings, dialogue=dialogue):
        fake.user_says(STAFF, "/code 沧州甲公司")
        [issued] = await fake.wait_sent(STAFF)
        found = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", issued.text)
        assert found is not None
        code = found.group()
        fake.user_says(MALLORY, "/bind WRONG-CODE-XXXX")
        await fake.wait_sent(MALLORY)
        fake.fail("sendMessage", 500)  # a failing send logs too
        fake.user_says(MALLORY, f"/bind {code}")
        bound = await fake.wait_sent(MALLORY, 2)
        fake.user_says(MALLORY, f"/bind {code.lower()}")  # used: an error path
        await fake.wait_sent(MALLORY, 3)
    dialogue.services.close()
    assert "绑定成功" in bound[1].text
    assert len(caplog.records) > 5  # the level really was captured
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    plain = registry.normalise_code(code)
    return [secret for secret in (fake.token, fake.token.split(":")[1], code, plain,
                                  code.lower(), "WRONG-CODE-XXXX") if secret in logged]


async def test_neither_the_token_nor_a_bind_code_reaches_a_log(fake: FakeBotAPI, sqlite_url: str,
                                                               caplog: pytest.LogCaptureFixture):
    assert await _secrets_in_logs(fake, sqlite_url, caplog, logging.INFO) == []


async def test_not_even_debug_logging_shows_a_bind_code(fake: FakeBotAPI, sqlite_url: str,
                                                        caplog: pytest.LogCaptureFixture):
    assert await _secrets_in_logs(fake, sqlite_url, caplog, logging.DEBUG) == []


# -- a winner sees only its own records -------------------------------------------------------


def test_a_winner_sees_only_its_own_records(services: Services):
    d = Dialogue(services=services)
    for name, chat in (("沧州甲公司", "1001"), ("沧州乙公司", "2002")):
        code, _ = services.issue_code(name)
        services.bind(chat, code)

    def say(chat: str, text: str) -> str:
        return "\n".join(r.html for r in d.on_text(d.turn({}, chat_id=chat, user_id=chat,
                                                          today=NOW.date()), text))

    a, b, stranger = say("1001", "/status"), say("2002", "/status"), say("3003", "/status")
    assert "沧州甲公司" in a and "沧州乙公司" not in a
    assert "沧州乙公司" in b and "沧州甲公司" not in b
    assert "甲" not in stranger and "乙" not in stranger and "绑定码" in stranger
    public = say("3003", "/verify 沧州甲公司")  # the public check tells the state, nothing more
    assert "沧州甲公司" in public
    for private in ("13800000000", "王五", "沧政字"):
        assert private not in a + b + stranger + public


# -- /forget ----------------------------------------------------------------------------------


async def test_forget_leaves_no_row_about_the_chat(fake: FakeBotAPI, sqlite_url: str):
    from bot import reminders

    settings = settings_for(fake, sqlite_url)
    dialogue = make_dialogue(settings)
    svc = dialogue.services
    svc.import_roster_bytes(ROSTER, "r.csv")
    code, winner = svc.issue_code("沧州甲公司")
    async with running_bot(fake, settings, dialogue=dialogue, schedule_jobs=False):
        for n, text in enumerate(["/bind WRONG-CODE-XXXX", f"/bind {code}", "/subscribe",
                                  "/selfcheck", "公示期几天"]):
            fake.user_says(MALLORY, text)
            await fake.wait_sent(MALLORY, n + 1)
        with svc.session() as s:
            reminders.record(s, reminders.Reminder(winner.id, str(MALLORY), "d180", winner.name,
                                                   winner.kind, winner.award_year,
                                                   winner.valid_until), NOW)
        before = _rows_mentioning(svc, str(MALLORY))  # the selfcheck state is in bot_state
        fake.user_says(MALLORY, "/forget")
        ask = await fake.wait_for(lambda: next(
            (m for m in fake.to(MALLORY) if "wforget" in m.prefixes()), None))
        sent = len(fake.to(MALLORY))
        fake.tap(MALLORY, ask, "确定删除")
        [done] = await fake.wait_sent(MALLORY, after=sent)
    left = _rows_mentioning(svc, str(MALLORY))
    svc.close()
    assert {t for t, _ in before} >= {"binding", "subscriber", "reminder_sent", "bot_state"}
    assert "已删除" in done.text
    assert left == [], left


def test_forget_through_the_dialogue_deletes_every_row_of_the_chat(services: Services):
    d = Dialogue(services=services)
    code, w = services.issue_code("沧州甲公司")
    state: dict = {}
    turn = d.turn(state, chat_id=str(MALLORY), user_id=str(MALLORY), today=NOW.date())
    d.on_text(turn, "/bind AAAA-BBBB-CCCC")
    d.on_text(turn, f"/bind {code}")
    d.on_text(turn, "/subscribe")
    assert _rows_mentioning(services, str(MALLORY))
    [ask] = d.on_text(turn, "/forget")
    [reply] = d.on_button(turn, next(b.data for b in ask.buttons[0] if b.label == "确定删除"))
    assert "已删除" in reply.html and state == {}
    assert _rows_mentioning(services, str(MALLORY)) == []
    with services.session() as s:  # the award itself stays: it is the office's record
        assert s.get(Winner, w.id) is not None
