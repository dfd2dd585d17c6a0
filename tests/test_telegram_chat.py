"""Transcripts through the real Application, polling the fake Bot API over HTTP."""

from __future__ import annotations

import json

import pytest
from fakebotapi import FakeBotAPI
from telegram_harness import ALICE, BOB, GROUP, STAFF, make_dialogue, running_bot, settings_for

from bot.turn import Button, Command, Reply


async def test_start_greets_with_buttons_for_the_main_jobs(fake: FakeBotAPI, sqlite_url: str):
    async with running_bot(fake, settings_for(fake, sqlite_url)):
        fake.user_says(ALICE, "/start")
        [greeting] = await fake.wait_sent(ALICE)
    assert "质量奖助手" in greeting.text
    assert greeting.parse_mode == "HTML"
    assert "qa:selfcheck" in greeting.button_data()


async def test_the_command_menu_is_set_in_chinese_and_staff_see_more(fake: FakeBotAPI,
                                                                   sqlite_url: str):
    async with running_bot(fake, settings_for(fake, sqlite_url)):
        await fake.wait_method("setMyCommands", 2)
    public = fake.commands[json.dumps({"type": "default"}, sort_keys=True)]
    staff = fake.commands[json.dumps({"chat_id": STAFF, "type": "chat"}, sort_keys=True)]
    names = {c["command"] for c in public}
    assert {"start", "help", "article", "subscribe"} <= names
    assert "feedback" not in names and "notice" not in names
    assert {"feedback", "notice"} <= {c["command"] for c in staff}
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in c["description"]) for c in public)


async def test_a_free_question_is_answered_with_article_and_vote_buttons(fake: FakeBotAPI,
                                                                       sqlite_url: str):
    async with running_bot(fake, settings_for(fake, sqlite_url)):
        fake.user_says(ALICE, "公示期几天")
        [answer] = await fake.wait_sent(ALICE)
    assert "第" in answer.text and "条" in answer.text
    assert answer.prefixes().count("fb") == 2  # 👍 and 👎, naming this answer
    assert "art" in answer.prefixes()


async def test_article_command_and_deep_link_open_the_article(fake: FakeBotAPI, sqlite_url: str):
    async with running_bot(fake, settings_for(fake, sqlite_url)):
        fake.user_says(ALICE, "/article 15")
        fake.user_says(BOB, "/start art_15")
        [a] = await fake.wait_sent(ALICE)
        [b] = await fake.wait_sent(BOB)
    assert "第十五条" in a.text
    assert b.text == a.text


async def test_pressing_a_button_answers_the_callback_first_then_replies(fake: FakeBotAPI,
                                                                       sqlite_url: str):
    async with running_bot(fake, settings_for(fake, sqlite_url)):
        fake.user_says(ALICE, "/start")
        [greeting] = await fake.wait_sent(ALICE)
        fake.press(ALICE, greeting, "qa:toc")
        [toc] = await fake.wait_sent(ALICE, after=1)
    methods = fake.methods()
    assert methods.index("answerCallbackQuery") < len(methods) - 1 - methods[::-1].index(
        "sendMessage")
    assert "目录" in toc.text or "第一章" in toc.text


async def test_an_unknown_command_gets_a_hint(fake: FakeBotAPI, sqlite_url: str):
    async with running_bot(fake, settings_for(fake, sqlite_url)):
        fake.user_says(ALICE, "/frobnicate")
        [hint] = await fake.wait_sent(ALICE)
    assert "/help" in hint.text


async def test_a_long_answer_is_split_into_valid_messages(fake: FakeBotAPI, sqlite_url: str):
    settings = settings_for(fake, sqlite_url)
    dialogue = make_dialogue(settings)
    long_html = "<b>全文</b>\n<blockquote>" + "申报材料应当真实、准确。" * 900 + "</blockquote>"

    def long(turn: object, arg: str) -> list[Reply]:
        return [Reply(long_html, [[Button("👍", "fb:up")]])]

    dialogue.commands["long"] = Command("long", long, "长文", menu=False)
    async with running_bot(fake, settings, dialogue=dialogue):
        fake.user_says(ALICE, "/long")
        parts = await fake.wait_sent(ALICE, 3)  # the fake refuses bad HTML or >4096 (400)
    assert all(len(p.text) <= 4096 for p in parts)
    assert [bool(p.buttons) for p in parts] == [False, False, True]


async def test_in_a_group_the_bot_answers_commands_and_mentions_only(fake: FakeBotAPI,
                                                                   sqlite_url: str):
    async with running_bot(fake, settings_for(fake, sqlite_url)):
        fake.user_says(ALICE, "公示期几天", chat_id=GROUP, chat_type="supergroup")
        fake.user_says(ALICE, "/help@some_other_bot", chat_id=GROUP, chat_type="supergroup")
        fake.user_says(ALICE, "/article@qabot_test_bot 15", chat_id=GROUP,
                       chat_type="supergroup")
        [article] = await fake.wait_sent(GROUP)
        fake.user_says(BOB, "@qabot_test_bot 公示期几天", chat_id=GROUP, chat_type="supergroup")
        [answer] = await fake.wait_sent(GROUP, after=1)
        fake.user_says(BOB, "/feedback", chat_id=GROUP, chat_type="supergroup")
        [refusal] = await fake.wait_sent(GROUP, after=2)
    assert "第十五条" in article.text
    assert "公示" in answer.text
    assert "私聊" in refusal.text
    assert len(fake.to(GROUP)) == 3


async def test_staff_commands_are_refused_politely_to_others(fake: FakeBotAPI, sqlite_url: str,
                                                          caplog: pytest.LogCaptureFixture):
    async with running_bot(fake, settings_for(fake, sqlite_url)):
        fake.user_says(ALICE, "/feedback")
        fake.user_says(STAFF, "/feedback")
        [refusal] = await fake.wait_sent(ALICE)
        [review] = await fake.wait_sent(STAFF)
    assert "仅限" in refusal.text
    assert "仅限" not in review.text
    assert any("tried staff command" in r.getMessage() for r in caplog.records)
