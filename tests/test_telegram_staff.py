"""Staff work in chat: roster upload, the annual notice to subscribers, feedback review;
and inline lookup for everyone."""

from __future__ import annotations

import asyncio

import pytest
from fakebotapi import FakeBotAPI
from sqlalchemy import select
from telegram_harness import ALICE, BOB, STAFF, running_bot, settings_for

from bot.features.subscribe import Blocked, deliver_pending, queue_notice, set_subscribed
from bot.storage import make_engine, session_factory, upgrade_database
from bot.storage.models import BroadcastDelivery, QuestionLog

ROSTER = "名称,奖项,年度,认定日期,文号,备注,再次获奖\n沧州示例机械有限公司,组织奖,2021,2021-12-20,沧政字〔2021〕1号,,否\n"
CAROL = 1003


async def test_staff_upload_a_roster_and_others_are_refused(fake: FakeBotAPI, sqlite_url: str,
                                                           caplog: pytest.LogCaptureFixture):
    async with running_bot(fake, settings_for(fake, sqlite_url)):
        fake.upload(STAFF, "获奖名单.csv", ROSTER.encode("gbk"))
        [imported] = await fake.wait_sent(STAFF)
        fake.upload(STAFF, "获奖名单.csv", ROSTER.encode("utf-8-sig"))
        [again] = await fake.wait_sent(STAFF, after=1)
        fake.upload(ALICE, "获奖名单.csv", ROSTER.encode())
        [refusal] = await fake.wait_sent(ALICE)
    assert "新增 1 条" in imported.text
    assert "未变 1 条" in again.text
    assert "工作人员" in refusal.text
    assert "getFile" in fake.methods()
    assert any("non-staff user 1001 sent a document" in r.getMessage() for r in caplog.records)


async def test_a_bad_roster_row_is_reported_and_nothing_is_written(fake: FakeBotAPI,
                                                                 sqlite_url: str):
    bad = ROSTER + "另一家公司,组织奖,2021,不是日期,,,否\n"
    async with running_bot(fake, settings_for(fake, sqlite_url)):
        fake.upload(STAFF, "roster.csv", bad.encode())
        [report] = await fake.wait_sent(STAFF)
        fake.user_says(STAFF, "/help")
        await fake.wait_sent(STAFF, after=1)
    assert "没有写入" in report.text and "第3行" in report.text


async def test_staff_send_the_annual_notice_to_each_subscriber_once(fake: FakeBotAPI,
                                                                  sqlite_url: str):
    fake.block(CAROL)
    async with running_bot(fake, settings_for(fake, sqlite_url)) as app:
        app.bot_data["broadcast_per_second"] = 0  # no pacing in tests
        for user in (ALICE, BOB, CAROL):
            fake.user_says(user, "/subscribe")
        await fake.wait_sent(ALICE)
        await fake.wait_sent(BOB)
        fake.user_says(ALICE, "/subscribe")
        [again] = await fake.wait_sent(ALICE, after=1)
        fake.user_says(ALICE, "/notice 2026年度申报开始")
        [refused] = await fake.wait_sent(ALICE, after=2)
        fake.user_says(STAFF, "/notice 2026年度沧州市政府质量奖申报工作开始，截止6月30日。")
        note, preview = await fake.wait_sent(STAFF, 2)
        assert "预览" in note.text and "6月30日" in preview.text and len(fake.to(ALICE)) == 3
        fake.tap(STAFF, preview, "确认发送")
        [queued] = await fake.wait_sent(STAFF, after=2)
        [to_alice] = await fake.wait_sent(ALICE, after=3)
        [to_bob] = await fake.wait_sent(BOB, after=1)
        await asyncio.wait_for(app.bot_data["broadcast_idle"].wait(), 5)
        fake.user_says(STAFF, "/notice")
        [progress] = await fake.wait_sent(STAFF, after=3)
    assert "已经订阅" in again.text
    assert "仅限" in refused.text
    assert "2 位订阅者" in queued.text or "3 位订阅者" in queued.text
    assert "第十条" in to_alice.text and "6月30日" in to_bob.text
    assert "已送达 3 / 3" in progress.text and "已完成" in progress.text
    assert fake.to(CAROL) == []
    assert preview.buttons == []  # the one-shot preview's buttons went once used


async def test_a_notice_keeps_staff_formatting_and_an_older_preview_sends_nothing(
        fake: FakeBotAPI, sqlite_url: str):
    text = "/notice 申报截止 6月30日 <别忘了> 详见官网"
    bold = {"type": "bold", "offset": text.index("6月30日"), "length": len("6月30日")}
    link = {"type": "text_link", "offset": text.index("官网"), "length": 2,
            "url": "https://scjg.cangzhou.gov.cn/"}
    async with running_bot(fake, settings_for(fake, sqlite_url)) as app:
        app.bot_data["broadcast_per_second"] = 0
        fake.user_says(ALICE, "/subscribe")
        await fake.wait_sent(ALICE)
        fake.user_says(STAFF, "/notice 第一稿")
        _, first = await fake.wait_sent(STAFF, 2)
        fake.user_says(STAFF, text, entities=[bold, link])
        _, second = await fake.wait_sent(STAFF, 2, after=2)
        fake.tap(STAFF, first, "确认发送")  # the first draft's button: superseded
        await fake.wait_for(lambda: fake.popups())
        fake.tap(STAFF, second, "确认发送")
        await fake.wait_sent(STAFF, after=4)
        [notice] = await fake.wait_sent(ALICE, after=1)
        await asyncio.wait_for(app.bot_data["broadcast_idle"].wait(), 5)
    assert "失效" in fake.popups()[0] and "第一稿" not in notice.text
    assert "<b>6月30日</b>" in notice.text  # staff's bold is kept
    assert '<a href="https://scjg.cangzhou.gov.cn/">官网</a>' in notice.text
    assert "&lt;别忘了&gt;" in notice.text  # the rest is still escaped text
    assert len(fake.to(ALICE)) == 2  # the subscription note and the notice, once


async def test_an_interrupted_broadcast_resumes_without_repeating_anyone(db_url: str):
    engine = make_engine(db_url)
    upgrade_database(engine)
    factory = session_factory(engine)
    chats = [str(n) for n in range(2001, 2011)]
    for chat in chats:
        set_subscribed(factory, chat, True)
    queue_notice(factory, "📢 申报通知")
    received: list[str] = []

    async def flaky(chat_id: str, html: str) -> None:
        if len(received) == 4:
            raise ConnectionError("network down")
        received.append(chat_id)

    first = await deliver_pending(factory, flaky, per_second=0)
    assert first.interrupted and first.sent == 4

    async def send(chat_id: str, html: str) -> None:
        if chat_id == "2007":
            raise Blocked("403")
        received.append(chat_id)

    second = await deliver_pending(factory, send, per_second=0)
    assert second.finished == 1 and second.blocked == 1
    assert sorted(received) == sorted(set(chats) - {"2007"})  # each once
    assert await deliver_pending(factory, send, per_second=0) == type(second)()
    with factory() as s:
        assert len(s.execute(select(BroadcastDelivery)).all()) == 10
    engine.dispose()


async def test_votes_and_unanswered_questions_reach_staff_without_identity(fake: FakeBotAPI,
                                                                          sqlite_url: str):
    async with running_bot(fake, settings_for(fake, sqlite_url)):
        fake.user_says(ALICE, "公示期几天")
        [answer] = await fake.wait_sent(ALICE)
        down = answer.data("没帮助")
        fake.press(ALICE, answer, down)
        [sorry] = await fake.wait_sent(ALICE, after=1)
        await fake.wait_edited(answer, 0)
        assert "fb" not in answer.prefixes() and "art" in answer.prefixes()  # votes went
        fake.press(ALICE, answer, down, stale=True)  # a second tap that was already on its way
        await fake.wait_for(lambda: fake.popups())
        once = fake.popups()[-1]
        fake.user_says(BOB, "今天天气怎么样")
        await fake.wait_sent(BOB)
        fake.user_says(STAFF, "/feedback")
        head, *groups = await fake.wait_sent(STAFF, 3)
    assert "匿名" in sorry.text and "已收到" in once
    assert "2 组" in head.text
    assert any("👎" in g.text and "公示期几天" in g.text for g in groups)
    assert any("未答出" in g.text and "天气" in g.text for g in groups)
    engine = make_engine(sqlite_url)
    with session_factory(engine)() as s:
        rows = s.execute(select(QuestionLog)).scalars().all()
    engine.dispose()
    assert {r.kind for r in rows} == {"answered", "declined", "downvote"}
    assert sum(r.kind == "downvote" for r in rows) == 1
    assert not any(str(ALICE) in (r.text + r.articles) for r in rows)
    assert set(QuestionLog.model_fields) == {"id", "text", "kind", "articles", "created_at",
                                             "status", "lesson_id"}


async def test_inline_queries_offer_matching_articles(fake: FakeBotAPI, sqlite_url: str):
    async with running_bot(fake, settings_for(fake, sqlite_url)):
        ids = [fake.inline(ALICE, "公示"), fake.inline(BOB, "24"), fake.inline(BOB, "")]
        await fake.wait_method("answerInlineQuery", 3)
    by_id = {c.params["inline_query_id"]: c.params for c in fake.calls
             if c.method == "answerInlineQuery"}
    answers = [by_id[i] for i in ids]
    titles = [[r["title"] for r in a["results"]] for a in answers]
    assert any("公示" in r["input_message_content"]["message_text"]
               for r in answers[0]["results"])
    assert any("第二十四条" in t for t in titles[1])
    assert answers[2]["results"] == [] and "button" in answers[2]
