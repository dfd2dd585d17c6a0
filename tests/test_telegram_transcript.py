"""A whole conversation: staff load the roster and issue a code; a user asks a question, runs
the self-check, binds the award and reads its status. The transcript is what the fake saw."""

from __future__ import annotations

import re
from pathlib import Path

from fakebotapi import FakeBotAPI, Sent
from telegram_harness import ALICE, STAFF, running_bot, settings_for

ROSTER = "名称,奖项,年度,认定日期,文号,备注,再次获奖\n沧州示例机械有限公司,组织奖,2023,2023-12-20,,,否\n"
# an eligible organisation: 单位, registered, 8 years, not listed, 7(二)(三)(四) met, no record
SELFCHECK = ["c0", "y", "8", "n", "y", "y", "y", "n", "n", "y", "none"]


async def _answer_selfcheck(fake: FakeBotAPI, user: int) -> Sent:
    """Answer the questionnaire: a press edits the one questionnaire message into the next
    step; a typed number gets the next step as a new message."""
    fake.user_says(user, "/selfcheck")
    await fake.wait_sent(user, 2, after=len(fake.to(user)))
    for step in SELFCHECK:
        question = fake.to(user)[-1]
        seen, edits = len(fake.to(user)), question.edits
        choice = [d for d in question.button_data() if re.fullmatch(rf"sc~\w+:\w+:\w+:{step}", d)]
        if choice:
            fake.press(user, question, choice[0])
            await fake.wait_edited(question, edits)
        else:
            fake.user_says(user, step)
            await fake.wait_sent(user, after=seen)
    return fake.to(user)[-1]


async def test_a_full_conversation_question_selfcheck_bind_status(fake: FakeBotAPI,
                                                                 tmp_path: Path):
    settings = settings_for(fake, f"sqlite:///{(tmp_path / 'bot.sqlite3').as_posix()}")
    async with running_bot(fake, settings):
        fake.upload(STAFF, "获奖名单.csv", ROSTER.encode("gbk"))
        await fake.wait_sent(STAFF)
        fake.user_says(STAFF, "/code 沧州示例机械有限公司")
        [code_msg] = await fake.wait_sent(STAFF, after=1)
        code = re.search(r"/bind ([A-Z0-9-]+)", code_msg.text).group(1)

        fake.user_says(ALICE, "公示期几天")
        [answer] = await fake.wait_sent(ALICE)
        verdict = await _answer_selfcheck(fake, ALICE)
        seen = len(fake.to(ALICE))
        fake.user_says(ALICE, f"/bind {code}")
        [bound] = await fake.wait_sent(ALICE, after=seen)
        fake.user_says(ALICE, "/status")
        [status] = await fake.wait_sent(ALICE, after=seen + 1)

    transcript = fake.transcript(ALICE)
    (tmp_path / "transcript.txt").write_text(transcript, encoding="utf-8")
    print(fake.transcript(STAFF) + "\n\n" + transcript)
    assert "第" in answer.text and "fb" in answer.prefixes()
    assert "自查结果" in verdict.text and "✅" in verdict.text
    assert "沧州示例机械有限公司" in bound.text
    assert "有效期至 2027-12-20" in status.text and "第二十一条" in status.text
