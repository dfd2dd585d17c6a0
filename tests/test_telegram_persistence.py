"""State that survives restarts: user_data lives in the bot_state table, not a pickle."""

from __future__ import annotations

import json
import re

from fakebotapi import FakeBotAPI
from sqlalchemy import select
from telegram_harness import ALICE, BOB, running_bot, settings_for

from bot.storage import make_engine, session_factory, upgrade_database
from bot.storage.models import BotState
from handlers.telegram.persistence import SqlPersistence


def _question(text: str) -> int:
    m = re.search(r"第(\d+)(?:/\d+)?题", text)
    assert m, text
    return int(m.group(1))


async def test_a_restart_in_the_middle_of_selfcheck_continues_at_the_same_question(
        fake: FakeBotAPI, db_url: str):
    settings = settings_for(fake, db_url)
    async with running_bot(fake, settings):
        fake.user_says(ALICE, "/selfcheck")
        intro, first = await fake.wait_sent(ALICE, 2)
        fake.press(ALICE, first, first.button_data()[0])
        [second] = await fake.wait_sent(ALICE, after=2)
    assert _question(second.text) == 2

    async with running_bot(fake, settings):  # a new process: only the database remains
        fake.press(ALICE, second, second.button_data()[0])
        [third] = await fake.wait_sent(ALICE, after=3)
        fake.user_says(BOB, "/cancel")
        [bob] = await fake.wait_sent(BOB)
    assert _question(third.text) == 3
    assert "没有进行中" in bob.text


async def test_user_state_is_stored_as_json_rows_and_dropped_with_the_user(db_url: str):
    engine = make_engine(db_url)
    upgrade_database(engine)
    p = SqlPersistence(engine)
    await p.update_user_data(42, {"flow": "selfcheck", "answers": {"年限": 5}})
    await p.update_chat_data(-7, {"lang": "zh"})
    await p.update_conversation("sc", (42, 42), 3)
    with session_factory(engine)() as s:
        rows = {(r.namespace, r.key): r.data for r in s.execute(select(BotState)).scalars()}
    assert json.loads(rows[("user_data", "42")]) == {"flow": "selfcheck", "answers": {"年限": 5}}

    fresh = SqlPersistence(engine)
    assert await fresh.get_user_data() == {42: {"flow": "selfcheck", "answers": {"年限": 5}}}
    assert await fresh.get_chat_data() == {-7: {"lang": "zh"}}
    assert await fresh.get_conversations("sc") == {(42, 42): 3}
    await fresh.drop_user_data(42)
    await fresh.update_conversation("sc", (42, 42), None)
    assert await SqlPersistence(engine).get_user_data() == {}
    assert await SqlPersistence(engine).get_conversations("sc") == {}
    engine.dispose()
