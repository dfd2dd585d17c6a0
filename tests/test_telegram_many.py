"""Issue 11's list, item by item, through the real Application: two bot processes (two
Applications, each with its own engine) serving one bot on one database, each update handed to
the process a load balancer would pick — on SQLite and on PostgreSQL.

1. a confirm button acts on the prompt's own target; 2. a vote lands on its answer; 3. an
update delivered again cannot shift the questionnaire; 4. (reminders and notices: claimed
before sent, tests/test_delivery_claims.py); 5. two processes agree on a conversation; 6.
pending input is per user and chat and any command ends it; 7. group rules.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fakebotapi import FakeBotAPI, Sent
from sqlalchemy import select
from telegram import Update
from telegram.ext import Application
from telegram_harness import ALICE, BOB, GROUP, STAFF, make_dialogue, running_bot, settings_for

from bot import registry
from bot.storage.models import QuestionLog

ROSTER = ("名称,奖项,年度,认定日期,文号,备注,再次获奖\n"
          "沧州甲公司,组织奖,2023,2023-12-20,,,否\n"
          "沧州乙公司,组织奖,2023,2023-12-20,,,否\n").encode()


class Replicas:
    """Two bot processes on one database; updates go where ``to`` says (a load balancer)."""

    def __init__(self, fake: FakeBotAPI, apps: list[Application]) -> None:
        self.fake, self.apps = fake, apps

    async def deliver(self, update_id: int, to: int) -> None:
        data = next(u for u in self.fake._updates if u["update_id"] == update_id)
        app = self.apps[to]
        await app.update_queue.put(Update.de_json(copy.deepcopy(data), app.bot))

    async def says(self, user: int, text: str, to: int, *, count: int = 1,
                   chat_id: int | None = None, **kw: object) -> list[Sent]:
        chat = user if chat_id is None else chat_id
        before = len(self.fake.to(chat))
        update_id = self.fake.user_says(user, text, chat_id=chat_id, **kw)
        await self.deliver(update_id, to)
        return await self.fake.wait_sent(chat, count, after=before)

    async def presses(self, user: int, sent: Sent, label: str, to: int, *,
                      data: str | None = None) -> int:
        """Press a button (by label, or stale ``data``); the update id, delivered to ``to``."""
        update_id = self.fake.press(user, sent, data or sent.data(label), stale=data is not None)
        await self.deliver(update_id, to)
        return update_id


@asynccontextmanager
async def replicas(fake: FakeBotAPI, db_url: str) -> AsyncIterator[Replicas]:
    settings = settings_for(fake, db_url)
    async with AsyncExitStack() as stack:
        apps = []
        for _ in range(2):  # each with its own dialogue, services and engine: two processes
            apps.append(await stack.enter_async_context(running_bot(
                fake, settings, dialogue=make_dialogue(settings), polling=False,
                schedule_jobs=False)))
        yield Replicas(fake, apps)


async def _popup(fake: FakeBotAPI, n: int) -> str:
    await fake.wait_for(lambda: len(fake.popups()) >= n)
    return fake.popups()[n - 1]


# -- 1. a confirm button acts on its own prompt's target --------------------------------------


async def test_the_first_revoke_prompts_confirm_revokes_nothing_on_either_process(
        fake: FakeBotAPI, db_url: str):
    async with replicas(fake, db_url) as r:
        r.apps[0].bot_data["dialogue"].services.import_roster_bytes(ROSTER, "r.csv")
        [first] = await r.says(STAFF, "/revoke 沧州甲公司 弄虚作假", to=0)
        [second] = await r.says(STAFF, "/revoke 沧州乙公司 骗取荣誉", to=1)
        await r.presses(STAFF, first, "确认撤销", to=1)  # the older prompt, the other process
        stale = await _popup(fake, 1)
        await r.presses(STAFF, second, "确认撤销", to=0)
        await fake.wait_edited(second, 0)
        done = await fake.wait_sent(STAFF, 3)
        with r.apps[0].bot_data["dialogue"].services.session() as s:
            states = {w.name: w.status for w in registry.list_winners(s)}
    assert "沧州甲公司" in first.text and "沧州乙公司" in second.text  # each names its target
    assert "失效" in stale and "没有撤销任何奖项" in stale
    assert states == {"沧州甲公司": "active", "沧州乙公司": "revoked"}
    assert "沧州乙公司" in done[-1].text and second.buttons == []  # the used prompt's buttons go


# -- 2. a vote lands on the answer it was given under -----------------------------------------


async def test_a_vote_under_an_earlier_answer_is_stored_for_that_answer(fake: FakeBotAPI,
                                                                      db_url: str):
    async with replicas(fake, db_url) as r:
        [first] = await r.says(ALICE, "公示期几天", to=0)
        await r.says(ALICE, "奖金有多少", to=1)
        await r.presses(ALICE, first, "没帮助", to=1)
        await fake.wait_sent(ALICE, 3)
        # the same press delivered again (a retried webhook) is not answered twice
        await r.deliver(fake._updates[-1]["update_id"], to=0)
        [again] = await r.says(ALICE, "谢谢", to=0)
        with r.apps[0].bot_data["dialogue"].services.session() as s:
            votes = s.execute(select(QuestionLog.text).where(
                QuestionLog.kind == "downvote")).scalars().all()
    assert votes == ["公示期几天"]
    assert len(fake.to(ALICE)) == 4  # two answers, the vote's thanks, the reply to 谢谢
    assert again is fake.to(ALICE)[-1]


# -- 3 and 5. the questionnaire across processes, redeliveries and a cancel -------------------


async def test_a_questionnaire_moves_between_processes_and_a_redelivery_shifts_nothing(
        fake: FakeBotAPI, db_url: str):
    async with replicas(fake, db_url) as r:
        intro, question = await r.says(ALICE, "/selfcheck", to=0, count=2)
        press = await r.presses(ALICE, question, "单位", to=1)
        await fake.wait_edited(question, 0)
        assert "注册" in question.text
        await r.presses(ALICE, question, "是", to=0)
        await fake.wait_edited(question, 1)
        assert "多少年" in question.text
        await r.deliver(press, to=0)  # the first press again, on the other process
        [typed] = await r.says(ALICE, "6", to=1)
        state = r.apps[0].bot_data["states"].load(f"{ALICE}:{ALICE}")
    answers = state["selfcheck"]["answers"]
    assert answers["applicant_type"] == "organization"
    assert answers["registered_in_cangzhou"] is True and answers["years_in_operation"] == 6
    assert "经营异常名录" in typed.text or "名单" in typed.text  # the question after the years
    assert question.edits == 2  # the redelivered press changed nothing


async def test_a_cancel_on_one_process_ends_the_questionnaire_on_the_other(fake: FakeBotAPI,
                                                                          db_url: str):
    async with replicas(fake, db_url) as r:
        _, question = await r.says(ALICE, "/selfcheck", to=0, count=2)
        [cancelled] = await r.says(ALICE, "/cancel", to=1)
        await r.presses(ALICE, question, "单位", to=0)
        popup = await _popup(fake, 1)
        [answered] = await r.says(ALICE, "是", to=0)  # no questionnaire: a question now
    assert "已取消" in cancelled.text
    assert "已结束或已取消" in popup
    assert "题</b>" not in answered.text  # not the questionnaire's next step


# -- 6. pending input is per user and chat, and any command ends it ---------------------------


async def test_usage_started_in_a_group_does_not_swallow_a_private_message(fake: FakeBotAPI,
                                                                          db_url: str):
    async with replicas(fake, db_url) as r:
        await r.says(ALICE, "/usage", to=0, chat_id=GROUP, chat_type="supergroup")
        [private] = await r.says(ALICE, "公示期几天", to=1)
        [bob] = await r.says(BOB, "@qabot_test_bot 公示期几天", to=1, chat_id=GROUP,
                             chat_type="supergroup")
        [checked] = await r.says(ALICE, "本公司荣获2023年度沧州市政府质量奖", to=0, chat_id=GROUP,
                                 chat_type="supergroup", reply_to_bot=True)
    assert "公示期为7天" in private.text  # answered, not checked as promotional text
    assert "公示期为7天" in bob.text  # Bob's message is his own question
    assert checked.text.startswith(("✅", "⚠️")) and "第二十一条" in checked.text  # Alice's


async def test_a_command_ends_the_input_the_bot_was_waiting_for(fake: FakeBotAPI, db_url: str):
    async with replicas(fake, db_url) as r:
        [ask] = await r.says(ALICE, "/usage", to=0)
        await r.says(ALICE, "/help", to=1)
        [answer] = await r.says(ALICE, "公示期几天", to=0)
    assert "宣传文字" in ask.text
    assert "公示期为7天" in answer.text and "第二十一条" not in answer.text


# -- 7. groups ----------------------------------------------------------------------------------


async def test_in_a_group_the_selfcheck_continues_in_private_and_others_cannot_press(
        fake: FakeBotAPI, db_url: str):
    async with replicas(fake, db_url) as r:
        [offer] = await r.says(ALICE, "/selfcheck", to=0, chat_id=GROUP, chat_type="supergroup")
        [answer] = await r.says(ALICE, "@qabot_test_bot 公示期几天", to=1, chat_id=GROUP,
                                chat_type="supergroup")
        await r.presses(BOB, answer, "没帮助", to=0)  # Bob votes on Alice's answer: allowed
        await fake.wait_sent(GROUP, 3)
        _, question = await r.says(ALICE, "/selfcheck", to=1, count=2)
        # Bob presses a button of Alice's questionnaire (a forwarded or copied message)
        await r.presses(BOB, question, "单位", to=0)
        popup = await _popup(fake, 1)
        state = r.apps[1].bot_data["states"].load(f"{ALICE}:{ALICE}")
    link = offer.buttons[0][0]
    assert link.get("url") == f"https://t.me/{fake.username}?start=selfcheck"
    assert "私聊" in offer.text and "第1题" not in offer.text
    assert "另一位用户" in popup
    assert state["selfcheck"]["answers"] == {}


async def test_only_a_groups_admins_or_staff_unbind_or_forget_it(fake: FakeBotAPI, db_url: str):
    fake.admins[GROUP] = {BOB}
    async with replicas(fake, db_url) as r:
        svc = r.apps[0].bot_data["dialogue"].services
        svc.import_roster_bytes(ROSTER, "r.csv")
        code, _ = svc.issue_code("沧州甲公司")
        svc.bind(str(GROUP), code)
        group = {"chat_id": GROUP, "chat_type": "supergroup"}
        [refused] = await r.says(ALICE, "/unbind", to=0, **group)
        [forget_refused] = await r.says(ALICE, "/forget", to=1, **group)
        assert svc.bound_winners(str(GROUP))
        [ask] = await r.says(BOB, "/forget", to=1, **group)
        await r.presses(ALICE, ask, "确定删除", to=0)  # a member presses the admin's prompt
        popup = await _popup(fake, 1)
        assert svc.bound_winners(str(GROUP))
        await r.presses(BOB, ask, "确定删除", to=0)
        [done] = await fake.wait_sent(GROUP, 1, after=len(fake.to(GROUP)))
    assert "群管理员" in refused.text and "群管理员" in forget_refused.text
    assert "另一位用户" in popup
    assert "已删除" in done.text
    assert svc.bound_winners(str(GROUP)) == []
