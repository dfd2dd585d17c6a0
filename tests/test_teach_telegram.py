"""Staff teach the bot in Telegram (the real Application against the fake Bot API), and the
next user, on this bot and on a second one sharing the database, gets the answer staff chose.

Every triage action by buttons: 归到第N条 → 第X项, 不在办法范围内 → reason, 同义词 → word →
measures' word, 忽略, ↩ 撤销; /learned, /stats, /hot (pin, hide) and 热点问题 on /start.
"""

from __future__ import annotations

import pytest
from fakebotapi import FakeBotAPI, Sent
from telegram_harness import ALICE, BOB, STAFF, make_dialogue, running_bot, settings_for

from handlers.telegram.guard import FLOOD_GATE, FloodGate

CAROL = 1003
UNANSWERED = "俺家铺子开张才三年多，够不够格报这个"  # written for these tests; the pack declines it
PARAPHRASE = "俺家铺子开张才三年多，够格吗"


def button(sent: Sent, prefix: str, label: str = "", *, exact: bool = False) -> str:
    """The data of the first button on ``sent`` starting with ``prefix`` (and naming ``label``)."""
    for row in sent.buttons:
        for b in row:
            text = b.get("text", "")
            if b.get("callback_data", "").startswith(prefix) and (
                    text == label if exact else label in text):
                return b["callback_data"]
    raise AssertionError(f"no {prefix!r} {label!r} button in {sent.button_labels()}")


def group_message(messages: list[Sent], text: str) -> Sent:
    return next(m for m in messages if text in m.text and m.buttons)


async def say(fake: FakeBotAPI, user: int, text: str, count: int = 1) -> list[Sent]:
    before = len(fake.to(user))
    fake.user_says(user, text)
    return await fake.wait_sent(user, count, after=before)


async def press(fake: FakeBotAPI, user: int, sent: Sent, data: str, count: int = 1) -> list[Sent]:
    before = len(fake.to(user))
    fake.press(user, sent, data)
    return await fake.wait_sent(user, count, after=before)


async def test_staff_turn_an_unanswered_question_into_an_answer_every_bot_gives(
        fake: FakeBotAPI, db_url: str):
    """The issue's "done when": one command and two taps; the next user asking a close
    paraphrase gets the answer, here and on a second bot process sharing the database."""
    settings = settings_for(fake, db_url)
    second = FakeBotAPI(token="654321:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB")
    await second.start()
    try:
        async with running_bot(fake, settings), \
                running_bot(second, settings_for(second, db_url)):
            [declined] = await say(fake, ALICE, UNANSWERED)
            [there_before] = await say(second, CAROL, PARAPHRASE)  # it has its layer already
            head, *groups = await say(fake, STAFF, "/feedback", 3)  # CAROL's is a group too
            item = group_message(groups, UNANSWERED)
            [which] = await press(fake, STAFF, item, button(item, "lrn:a:", "第七条"))
            [taught] = await press(fake, STAFF, which, button(which, "lrn:i:", "（一）"))
            [bob] = await say(fake, BOB, PARAPHRASE)
            [carol] = await say(second, CAROL, PARAPHRASE)
    finally:
        await second.close()
    assert "5年以上" not in declined.text and "5年以上" not in there_before.text
    assert "2 组" in head.text
    assert "第七条" in item.text  # the bot's candidates first
    assert "哪一项" in which.text
    assert "已学会" in taught.text and "5年以上" in taught.text
    assert button(taught, "lrn:u:")  # undo is one tap away
    for reply in (bob, carol):
        assert "5年以上" in reply.text and "第七条" in reply.text, reply.text


async def test_out_of_scope_with_a_reason_declines_the_question_and_its_paraphrase(
        fake: FakeBotAPI, db_url: str):
    # answered (wrongly) from 第七条's 经营异常名录: a 👎 brings it to staff
    question = "获奖企业能不能进市里的重点企业名录"
    async with running_bot(fake, settings_for(fake, db_url)):
        [answer] = await say(fake, ALICE, question)
        await press(fake, ALICE, answer, answer.data("没帮助"))
        _, *groups = await say(fake, STAFF, "/feedback", 2)
        item = group_message(groups, question)
        [reasons] = await press(fake, STAFF, item, button(item, "lrn:o:"))
        [taught] = await press(fake, STAFF, reasons, button(reasons, "lrn:r:", "税收"))
        [again] = await say(fake, BOB, "获奖单位能不能进市里的重点企业名录")
        [money] = await say(fake, BOB, "质量奖的奖金有多少")
        [handled] = await say(fake, STAFF, "/feedback")  # BOB's decline was staff's own
    assert "👎" in item.text
    assert "已学会" in taught.text and "不在办法范围内" in taught.text
    assert "税收、补贴、贷款等问题不在" in again.text
    assert "30万元" in money.text  # the award's money is still the award's
    assert "没有待处理" in handled.text


async def test_staff_answer_what_a_scope_rule_declined_and_it_stays_answered(
        fake: FakeBotAPI, db_url: str):
    """A pack rule declines the question quoting 第十条; staff's 归到第十条 (offered first, as
    the reply quoted it) is the office's latest word, for it and its near-copies."""
    question = "今年几号截止报名"
    async with running_bot(fake, settings_for(fake, db_url)):
        [declined] = await say(fake, ALICE, question)
        _, *groups = await say(fake, STAFF, "/feedback", 2)
        item = group_message(groups, question)
        # 第十条 has one sentence to point at: the press teaches at once
        [taught] = await press(fake, STAFF, item, button(item, "lrn:a:", "第十条"))
        [bob] = await say(fake, BOB, question)
        [carol] = await say(fake, CAROL, question + "啊")
        [handled] = await say(fake, STAFF, "/feedback")
    assert "申报通知为准" in declined.text
    assert item.buttons[0][0]["text"].startswith("归到第十条")  # the quoted article first
    assert "已学会" in taught.text and "范围规则原本不回答" in taught.text
    assert "⚠️" not in taught.text  # the taught question gets what staff chose
    for reply in (bob, carol):
        assert "发出申报通知" in reply.text and "为准" not in reply.text, reply.text
    assert "没有待处理" in handled.text


async def test_a_synonym_by_buttons_then_undone_from_learned(fake: FakeBotAPI, db_url: str):
    async with running_bot(fake, settings_for(fake, db_url)):
        await say(fake, ALICE, UNANSWERED)
        _, *groups = await say(fake, STAFF, "/feedback", 2)
        item = group_message(groups, UNANSWERED)
        [words] = await press(fake, STAFF, item, button(item, "lrn:s:"))
        [targets] = await press(fake, STAFF, words, button(words, "lrn:w:", "铺子"))
        [taught] = await press(fake, STAFF, targets, button(targets, "lrn:c:", "单位", exact=True))
        [listed] = await say(fake, STAFF, "/learned")
        [undone] = await press(fake, STAFF, listed, button(listed, "lrn:u:"))
        [empty] = await say(fake, STAFF, "/learned")
        [typed] = await say(fake, STAFF, "/synonym 开张 经营")
        [twice] = await say(fake, STAFF, "/synonym 开张 经营")
        [usage] = await say(fake, STAFF, "/synonym 开张")
    assert "哪个词" in words.text
    assert "已学会" in taught.text and "“铺子” = 办法中的“单位”" in taught.text
    assert "铺子" in listed.text and "撤销" in undone.text
    assert "还没有教过" in empty.text
    assert "已学会" in typed.text and "已经是" in twice.text and "用法" in usage.text


async def test_ignore_and_a_stale_press_lose_nothing(fake: FakeBotAPI, db_url: str):
    async with running_bot(fake, settings_for(fake, db_url)):
        await say(fake, ALICE, "你们周末上班吗")
        _, *groups = await say(fake, STAFF, "/feedback", 2)
        item = group_message(groups, "周末")
        [ignored] = await press(fake, STAFF, item, button(item, "lrn:x:"))
        [stale] = await press(fake, STAFF, item, button(item, "lrn:x:"))
        [nothing] = await say(fake, STAFF, "/feedback")
    assert "已忽略" in ignored.text
    assert "已忽略" in stale.text or "已处理" in stale.text
    assert "没有待处理" in nothing.text


async def test_hot_questions_appear_on_start_and_staff_can_hide_them(
        fake: FakeBotAPI, sqlite_url: str, monkeypatch: pytest.MonkeyPatch):
    from bot.features import teach

    monkeypatch.setattr(teach, "HOT_CACHE_SECONDS", 0.0)  # counted afresh for each /start
    settings = settings_for(fake, sqlite_url, HOT_MIN_COUNT="3")
    askers = [2001, 2002, 2003, 2004]
    async with running_bot(fake, settings) as app:
        app.bot_data[FLOOD_GATE] = FloodGate(limit=10_000)
        [before] = await say(fake, ALICE, "/start")
        for user in askers:
            await say(fake, user, "公示期几天")
        await say(fake, askers[0], "只有一个人这样问过的特别问题：公示期多少天来着")
        [after] = await say(fake, ALICE, "/start")
        hot = button(after, "hot:")
        [label, answer] = await press(fake, ALICE, after, hot, 2)
        [admin] = await say(fake, STAFF, "/hot")
        [hidden, *_] = await press(fake, STAFF, admin, button(admin, "hotx:h:"))
        [gone] = await say(fake, BOB, "/start")
        [stats] = await say(fake, STAFF, "/stats")
    assert not [d for d in before.button_data() if d.startswith("hot:")]
    assert "公示期几天" in " ".join(after.button_labels())
    assert "只有一个人" not in " ".join(after.button_labels())  # nobody singled out
    assert "公示期为7天" in answer.text and "公示期几天" in label.text
    assert "第十五条" in admin.text and "5 次" in admin.text  # the press is not counted
    assert "隐藏" in hidden.text
    assert not [d for d in gone.button_data() if d.startswith("hot:")]
    assert "问题：共 5 个" in stats.text and "作答 5" in stats.text
    for user in askers:
        assert str(user) not in stats.text + admin.text


@pytest.mark.parametrize("command", ["/feedback", "/learned", "/stats", "/hot", "/synonym 开张 经营"])
async def test_teaching_commands_need_a_database(fake: FakeBotAPI, sqlite_url: str, command: str):
    from bot.dialogue import Dialogue

    d = Dialogue()  # no storage
    [reply] = d.on_text(d.turn({}, chat_id="1", user_id="1", is_staff=True), command)
    assert "数据库" in reply.html


async def test_a_staff_command_in_the_dialogue_of_a_deployment_lists_buttons_with_valid_data(
        fake: FakeBotAPI, sqlite_url: str):
    settings = settings_for(fake, sqlite_url)
    dialogue = make_dialogue(settings)
    for q in (UNANSWERED, "你们周末上班吗", "评审一轮要多久"):
        dialogue.on_text(dialogue.turn({}, chat_id="1", user_id="1"), q)
    replies = dialogue.on_text(dialogue.turn({}, chat_id="9", user_id="9", is_staff=True),
                               "/feedback")
    datas = [b.data for r in replies for row in r.buttons for b in row]
    assert len(replies) == 4 and all(len(d.encode()) <= 64 for d in datas)
    assert all(d.split(":")[2].isdigit() for d in datas if d.startswith("lrn:"))
    dialogue.services.close()


def test_the_web_chat_offers_the_same_hot_questions(sqlite_url: str,
                                                    monkeypatch: pytest.MonkeyPatch):
    from web_harness import browser, buttons, html, web_settings

    from bot.features import teach

    monkeypatch.setattr(teach, "HOT_CACHE_SECONDS", 0.0)
    settings = web_settings(sqlite_url, HOT_MIN_COUNT="3")
    with browser(settings) as tab:
        assert "公示期几天" in tab.start["hot_questions"]  # nothing asked yet: the examples
        for _ in range(3):
            tab.say("评上以后奖金能拿多少")
        again = tab.open()
    assert again["hot_questions"][0] == "评上以后奖金能拿多少"
    assert not [d for d in buttons(again["replies"]).values() if d.startswith("hot:")]
    assert "质量奖助手" in html(again["replies"])
