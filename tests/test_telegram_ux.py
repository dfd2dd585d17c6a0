"""What Telegram users expect besides answers, through the real Application and the fake Bot
API: edited messages, media, typing, menus and descriptions, deep links, joining a group."""

from __future__ import annotations

import json
import logging
import re
import threading

import pytest
from fakebotapi import FakeBotAPI, Sent
from telegram_harness import ALICE, BOB, GROUP, STAFF, make_dialogue, running_bot, settings_for

from bot import registry
from bot.features.subscribe import sessions_of, subscriber_count
from bot.state import conversation_key
from bot.turn import Command, Reply
from handlers.telegram import common, media, texts

ROSTER = "名称,奖项,年度,认定日期,文号,备注,再次获奖\n沧州示例机械有限公司,组织奖,2023,2023-12-20,,,否\n"
MEDIA_KINDS = ["sticker", "photo", "voice", "video", "location", "contact", "document"]
SG = {"chat_id": GROUP, "chat_type": "supergroup"}
MENTION = "@qabot_test_bot"


def scope(**kw: object) -> str:
    return json.dumps(kw, sort_keys=True)


async def barrier(fake: FakeBotAPI, user: int, chat: int | None = None, **kw: object) -> Sent:
    """A question after what was sent before it: the same user's updates are handled in order,
    so once its answer is there every earlier update of that user has been handled."""
    chat = user if chat is None else chat
    seen = len(fake.to(chat))
    text = "公示期几天" if chat == user else f"{MENTION} 公示期几天"
    fake.user_says(user, text, chat_id=None if chat == user else chat, **kw)
    return await fake.wait_for(lambda: next(
        (m for m in fake.to(chat)[seen:] if "第十五条" in m.text), None))


# -- edited messages ---------------------------------------------------------------------------


async def test_an_edited_question_is_answered_as_a_new_question(fake: FakeBotAPI,
                                                               sqlite_url: str):
    async with running_bot(fake, settings_for(fake, sqlite_url)):
        asked = fake.user_says(ALICE, "公示期几天")
        [first] = await fake.wait_sent(ALICE)
        fake.user_edits(asked, "奖金是多少")
        [second] = await fake.wait_sent(ALICE, after=1)
        fake.user_edits(asked, "/article 15")  # an edited command runs too
        [article] = await fake.wait_sent(ALICE, after=2)
    assert "公示" in first.text
    assert "第十六条" in second.text and "第十五条" not in second.text  # the edited question
    assert "第十五条" in article.text


async def test_in_a_group_an_edit_is_answered_only_when_it_addresses_the_bot(fake: FakeBotAPI,
                                                                           sqlite_url: str):
    async with running_bot(fake, settings_for(fake, sqlite_url)):
        plain = fake.user_says(ALICE, "公示期几天", **SG)
        fake.user_edits(plain, "奖金是多少")  # still not addressed: nothing
        fake.user_edits(plain, f"{MENTION} 奖金是多少")
        [answer] = await fake.wait_sent(GROUP)
        await barrier(fake, ALICE, GROUP, chat_type="supergroup")
    assert "第十六条" in answer.text
    assert len(fake.to(GROUP)) == 2  # the edit that mentions the bot, and the barrier


async def test_an_edit_is_never_recorded_as_the_answer_to_the_current_step(fake: FakeBotAPI,
                                                                          sqlite_url: str):
    async with running_bot(fake, settings_for(fake, sqlite_url)) as app:
        fake.user_says(ALICE, "/selfcheck")
        [_, question] = await fake.wait_sent(ALICE, 2)
        for step in ("c0", "y"):  # 单位, registered: the next step asks for years (typed)
            data = next(d for d in question.button_data() if d.endswith(f":{step}"))
            edits = question.edits
            fake.press(ALICE, question, data)
            await fake.wait_edited(question, edits)
        seen = len(fake.to(ALICE))
        fake.user_says(ALICE, "8")  # years, typed
        await fake.wait_sent(ALICE, after=seen)
        answered = fake.user_says(ALICE, "否")  # the next yes/no step, typed
        await fake.wait_sent(ALICE, after=seen + 1)
        key = conversation_key(ALICE, ALICE)
        before = app.bot_data["states"].load(key)["selfcheck"]
        fake.user_edits(answered, "是")  # the user changes their mind in the sent message
        await fake.wait_sent(ALICE, after=seen + 2)
        after = app.bot_data["states"].load(key)
    # the step now asked is not the one "否" answered: the edit is recorded against nothing
    assert after["selfcheck"] == before
    assert after.get("flow") == "selfcheck"  # and the questionnaire still waits for its answer


# -- media -------------------------------------------------------------------------------------


async def test_each_kind_of_media_from_a_user_gets_one_short_hint(
        fake: FakeBotAPI, sqlite_url: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(media, "QUIET", 0.0)  # every message on its own
    async with running_bot(fake, settings_for(fake, sqlite_url)):
        for n, kind in enumerate(MEDIA_KINDS):
            fake.user_sends(ALICE, kind)
            await fake.wait_sent(ALICE, n + 1)
        await barrier(fake, ALICE)
    hints = fake.to(ALICE)[:len(MEDIA_KINDS)]
    assert [h.text for h in hints] == [texts.MEDIA_HINT] * len(MEDIA_KINDS)
    assert all(w in texts.MEDIA_HINT for w in ("/selfcheck", "/help", "输入"))
    assert len(fake.to(ALICE)) == len(MEDIA_KINDS) + 1


async def test_a_burst_of_media_gets_one_hint(fake: FakeBotAPI, db_url: str,
                                              monkeypatch: pytest.MonkeyPatch):
    settings = settings_for(fake, db_url)
    dialogue = make_dialogue(settings)
    async with running_bot(fake, settings, dialogue=dialogue):
        for kind in ("sticker", "sticker", "photo", "voice"):
            fake.user_sends(ALICE, kind)
        await barrier(fake, ALICE)
        monkeypatch.setattr(media, "QUIET", 0.0)  # an album is one burst however long it takes
        for _ in range(3):
            fake.user_sends(BOB, "photo", media_group_id="album1")
        await barrier(fake, BOB)
    dialogue.services.close()
    assert [m.text for m in fake.to(ALICE)].count(texts.MEDIA_HINT) == 1
    assert [m.text for m in fake.to(BOB)].count(texts.MEDIA_HINT) == 1


async def test_in_a_group_media_get_a_hint_only_when_addressed(
        fake: FakeBotAPI, sqlite_url: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(media, "QUIET", 0.0)
    async with running_bot(fake, settings_for(fake, sqlite_url)):
        fake.user_sends(ALICE, "photo", **SG)
        fake.user_sends(ALICE, "sticker", caption="哈哈", **SG)
        fake.user_sends(ALICE, "document", **SG)  # a file in a group is no roster upload
        fake.user_sends(STAFF, "document", **SG)
        fake.user_sends(ALICE, "photo", caption=f"{MENTION} 这个能用吗", **SG)
        [by_mention] = await fake.wait_sent(GROUP)
        fake.user_sends(BOB, "voice", reply_to_bot=True, **SG)
        [by_reply] = await fake.wait_sent(GROUP, after=1)
        await barrier(fake, ALICE, GROUP, chat_type="supergroup")
        await barrier(fake, STAFF, GROUP, chat_type="supergroup")
    assert by_mention.text == by_reply.text == texts.MEDIA_HINT
    assert len(fake.to(GROUP)) == 4  # two hints and the two barriers


async def test_staff_get_the_hint_with_how_to_send_a_roster_and_a_roster_still_imports(
        fake: FakeBotAPI, sqlite_url: str):
    async with running_bot(fake, settings_for(fake, sqlite_url)):
        fake.user_sends(STAFF, "sticker")
        [hint] = await fake.wait_sent(STAFF)
        fake.upload(STAFF, "获奖名单.csv", ROSTER.encode("gbk"))
        [summary] = await fake.wait_sent(STAFF, after=1)
        fake.upload(ALICE, "获奖名单.csv", ROSTER.encode("gbk"))  # a roster from anyone else
        [refusal] = await fake.wait_sent(ALICE)
    assert hint.text == texts.MEDIA_HINT_STAFF and "名单" in hint.text
    assert "1" in summary.text and "导入" in summary.text
    assert refusal.text == texts.DOCUMENT_NOT_STAFF


# -- typing ------------------------------------------------------------------------------------


def slow_dialogue(settings: object) -> tuple[object, threading.Event]:
    """A dialogue with /slow, which answers once the test releases it."""
    dialogue = make_dialogue(settings)  # type: ignore[arg-type]
    released = threading.Event()

    def slow(turn: object, arg: str) -> list[Reply]:
        released.wait(10)
        return [Reply("好了")]

    dialogue.commands["slow"] = Command("slow", slow, "慢", menu=False)
    return dialogue, released


async def test_a_slow_turn_shows_typing_until_it_is_answered(fake: FakeBotAPI, sqlite_url: str,
                                                             monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(common, "TYPING_EVERY", 0.05)  # repeated while the turn runs
    settings = settings_for(fake, sqlite_url)
    dialogue, released = slow_dialogue(settings)
    async with running_bot(fake, settings, dialogue=dialogue):
        fake.user_says(ALICE, "/slow")
        await fake.wait_for(lambda: len(fake.chat_actions(ALICE)) >= 2)
        assert fake.to(ALICE) == []  # still working, and the chat shows it
        released.set()
        [done] = await fake.wait_sent(ALICE)
    assert done.text == "好了"
    assert set(fake.chat_actions(ALICE)) == {"typing"}


async def test_a_fast_turn_sends_no_typing_action(fake: FakeBotAPI, sqlite_url: str,
                                                  monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(common, "TYPING_AFTER", 30.0)  # far longer than /help takes
    async with running_bot(fake, settings_for(fake, sqlite_url)):
        fake.user_says(ALICE, "/help")
        await fake.wait_sent(ALICE)
        await barrier(fake, ALICE)
    assert "sendChatAction" not in fake.methods()


async def test_in_a_group_a_slow_turn_costs_no_typing_action(fake: FakeBotAPI, sqlite_url: str,
                                                             monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(common, "TYPING_AFTER", 0.0)  # every turn counts as slow
    settings = settings_for(fake, sqlite_url)
    dialogue, released = slow_dialogue(settings)
    async with running_bot(fake, settings, dialogue=dialogue):
        fake.user_says(ALICE, "/slow", **SG)
        fake.user_says(BOB, "/slow")  # the same turn in private does show typing
        await fake.wait_for(lambda: fake.chat_actions(BOB))
        released.set()
        await fake.wait_sent(GROUP)
        await fake.wait_sent(BOB)
    assert fake.chat_actions(GROUP) == []


async def test_a_roster_import_shows_typing_before_the_summary(fake: FakeBotAPI,
                                                              sqlite_url: str):
    async with running_bot(fake, settings_for(fake, sqlite_url)):
        fake.upload(STAFF, "获奖名单.csv", ROSTER.encode("gbk"))
        [summary] = await fake.wait_sent(STAFF)
    assert fake.chat_actions(STAFF)[:1] == ["typing"]
    calls = [(c.method, c.params.get("chat_id")) for c in fake.calls]
    assert calls.index(("sendChatAction", STAFF)) < calls.index(("sendMessage", STAFF))
    assert "导入" in summary.text


# -- menus and descriptions --------------------------------------------------------------------


async def test_each_scope_gets_its_own_command_menu(fake: FakeBotAPI, sqlite_url: str):
    async with running_bot(fake, settings_for(fake, sqlite_url)):
        pass
    names = {k: [c["command"] for c in v] for k, v in fake.commands.items()}
    default, private = names[scope(type="default")], names[scope(type="all_private_chats")]
    group, staff = names[scope(type="all_group_chats")], names[scope(type="chat", chat_id=STAFF)]
    assert default == private
    assert {"start", "help", "selfcheck", "bind", "subscribe", "verify"} <= set(private)
    assert not {"notice", "feedback", "code"} & set(private)
    assert set(group) == {"help", "article", "search", "toc", "verify", "usage"}
    assert set(staff) == set(private) | {"notice", "feedback", "code", "revoke", "winners",
                                         "expiring", "synonym", "learned", "stats", "hot"}
    assert all(re.search("[\u4e00-\u9fff]", c["description"])
               for v in fake.commands.values() for c in v)


async def test_the_description_says_what_the_bot_is_and_is_set_only_when_it_changed(
        fake: FakeBotAPI, sqlite_url: str):
    settings = settings_for(fake, sqlite_url)
    async with running_bot(fake, settings):
        pass
    async with running_bot(fake, settings):  # a second start (or process) changes nothing
        pass
    assert "沧州市政府质量奖管理办法" in fake.description
    assert "引用办法原文" in fake.description and "不是官方评审" in fake.description
    assert "不是官方评审" in fake.short_description and "条款" in fake.short_description
    assert fake.methods().count("setMyDescription") == 1
    assert fake.methods().count("setMyShortDescription") == 1


async def test_a_menu_the_bot_api_refuses_does_not_stop_the_bot(fake: FakeBotAPI,
                                                               sqlite_url: str):
    fake.fail("setMyDescription", 400, description="Bad Request: description is invalid")
    fake.fail("setMyCommands", 400, times=1, description="Bad Request: chat not found")
    async with running_bot(fake, settings_for(fake, sqlite_url)):
        await barrier(fake, ALICE)
    assert fake.short_description  # the rest was still set


# -- deep links --------------------------------------------------------------------------------


async def test_start_selfcheck_starts_the_questionnaire_from_the_group_button(fake: FakeBotAPI,
                                                                            sqlite_url: str):
    async with running_bot(fake, settings_for(fake, sqlite_url)):
        fake.user_says(ALICE, "/selfcheck", **SG)
        [offer] = await fake.wait_sent(GROUP)
        [url] = [b["url"] for row in offer.buttons for b in row if "url" in b]
        payload = url.split("?start=", 1)[1]
        fake.user_says(ALICE, f"/start {payload}")  # what Telegram sends when it is opened
        [intro, question] = await fake.wait_sent(ALICE, 2)
        fake.user_says(BOB, "/selfcheck")
        [bob_intro, bob_question] = await fake.wait_sent(BOB, 2)
    assert url == "https://t.me/qabot_test_bot?start=selfcheck"
    assert (intro.text, question.text) == (bob_intro.text, bob_question.text)
    assert "申报资格自查" in intro.text and "sc" in question.prefixes()
    assert len(fake.to(GROUP)) == 1  # nothing of it in the group


async def test_start_subscribe_subscribes(fake: FakeBotAPI, db_url: str):
    settings = settings_for(fake, db_url)
    dialogue = make_dialogue(settings)
    async with running_bot(fake, settings, dialogue=dialogue):
        fake.user_says(ALICE, "/start subscribe")
        [done] = await fake.wait_sent(ALICE)
        fake.user_says(ALICE, "/subscribe")
        [again] = await fake.wait_sent(ALICE, after=1)
    count = subscriber_count(sessions_of(dialogue.services))
    dialogue.services.close()
    assert "已订阅" in done.text and "已经订阅" in again.text
    assert count == 1


async def test_start_bind_binds_with_the_code_staff_were_given_a_link_for(
        fake: FakeBotAPI, sqlite_url: str, caplog: pytest.LogCaptureFixture):
    settings = settings_for(fake, sqlite_url)
    dialogue = make_dialogue(settings)
    dialogue.services.import_roster_bytes(ROSTER.encode(), "r.csv")
    caplog.set_level(logging.DEBUG)
    async with running_bot(fake, settings, dialogue=dialogue):
        fake.user_says(STAFF, "/code 沧州示例机械有限公司")
        [issued] = await fake.wait_sent(STAFF)
        link = re.search(r"https://t\.me/qabot_test_bot\?start=(bind_[A-Z0-9-]+)", issued.text)
        assert link is not None, issued.text
        fake.user_says(ALICE, "/start bind_WRONG-CODE-XXXX")
        [wrong] = await fake.wait_sent(ALICE)
        fake.user_says(ALICE, f"/start {link.group(1)}")
        [bound] = await fake.wait_sent(ALICE, after=1)
        fake.user_says(ALICE, "/status")
        [status] = await fake.wait_sent(ALICE, after=2)
    dialogue.services.close()
    code = link.group(1).removeprefix("bind_")
    assert "不正确" in wrong.text
    assert "沧州示例机械有限公司" in bound.text and "绑定" in bound.text
    assert "沧州示例机械有限公司" in status.text
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert len(caplog.records) > 5
    for secret in (code, registry.normalise_code(code), "WRONG-CODE-XXXX"):
        assert secret not in logged


async def test_start_with_an_article_or_nothing_is_unchanged(fake: FakeBotAPI, sqlite_url: str):
    async with running_bot(fake, settings_for(fake, sqlite_url)):
        fake.user_says(ALICE, "/start art_15")
        [article] = await fake.wait_sent(ALICE)
        fake.user_says(ALICE, "/start")
        [greeting] = await fake.wait_sent(ALICE, after=1)
        fake.user_says(ALICE, "/start selfcheck_now")  # not one of the deep links
        [other] = await fake.wait_sent(ALICE, after=2)
    assert "第十五条" in article.text
    assert "质量奖助手" in greeting.text and other.text == greeting.text


# -- joining a group ---------------------------------------------------------------------------


async def test_being_added_to_a_group_is_acknowledged_once(fake: FakeBotAPI, sqlite_url: str):
    other = GROUP - 1
    async with running_bot(fake, settings_for(fake, sqlite_url)):
        fake.add_to_group(ALICE, GROUP)
        [hello] = await fake.wait_sent(GROUP)
        fake.add_to_group(ALICE, GROUP, old_status="member", status="administrator")  # promoted
        fake.add_to_group(ALICE, GROUP, old_status="administrator", status="left")  # removed
        fake.add_to_group(STAFF, other, status="administrator")  # added straight as admin
        [staff_hello] = await fake.wait_sent(other)
        fake.add_to_group(ALICE, ALICE, old_status="member", status="kicked",
                          chat_type="private")  # a user blocking the bot in private
        await barrier(fake, ALICE, GROUP, chat_type="supergroup")
        await barrier(fake, ALICE)
    assert "私聊" in hello.text and "@我" in hello.text and "/article" in hello.text
    assert "/selfcheck" not in hello.text and "/bind" not in hello.text
    assert [b["url"] for row in hello.buttons for b in row] == ["https://t.me/qabot_test_bot"]
    assert staff_hello.text == hello.text
    assert len(fake.to(GROUP)) == 2  # the acknowledgement and the barrier
    assert len(fake.to(ALICE)) == 1  # the barrier only
