"""The question log written inside a held turn (bot/state.py, bot/learning.py): one transaction with the conversation's state."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from bot.learning import ANSWERED, log_question
from bot.state import StateStore, turn_transaction
from bot.storage import session_factory
from bot.storage.models import QuestionLog


class Boom(Exception):
    pass


def _logged(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(QuestionLog.text).order_by(QuestionLog.id)).scalars())


def test_a_question_logged_in_a_held_turn_is_stored_under_the_id_it_was_given(engine):
    states = StateStore(engine)
    with states.hold("web:a:web:a") as state:
        qid = log_question(session_factory(engine), "公示期几天", ANSWERED, [15])
        state["last_question"] = {"text": "公示期几天", "id": qid}
    with engine.connect() as conn:
        row = conn.execute(select(QuestionLog.text, QuestionLog.articles)
                           .where(QuestionLog.id == qid)).one()
    assert tuple(row) == ("公示期几天", "15")
    assert states.load("web:a:web:a")["last_question"]["id"] == qid


def test_a_turn_that_fails_saves_no_state_and_on_postgresql_no_log_row(engine):
    states = StateStore(engine)
    with pytest.raises(Boom), states.hold("web:b:web:b") as state:
        log_question(session_factory(engine), "奖金给多少", ANSWERED, [23])
        state["flow"] = "selfcheck"
        raise Boom
    assert states.load("web:b:web:b") == {}
    # PostgreSQL: the row was in the turn's transaction. SQLite keeps no transaction open
    # during a turn, so the row was committed when it was written (a log row may outlive a
    # failed turn; state never half-commits).
    postgres = engine.dialect.name == "postgresql"
    assert _logged(engine) == ([] if postgres else ["奖金给多少"])


def test_the_turn_transaction_is_only_a_postgresql_turns_and_only_inside_it(engine):
    states = StateStore(engine)
    assert turn_transaction(engine) is None
    with states.hold("c:c"):
        inside = turn_transaction(engine)
    assert (inside is not None) == (engine.dialect.name == "postgresql")
    assert turn_transaction(engine) is None


def test_many_turns_at_once_each_commit_their_state_and_log(engine):
    states = StateStore(engine)
    factory = session_factory(engine)
    errors: list[BaseException] = []

    def user(n: int) -> None:
        try:
            for i in range(15):
                with states.hold(f"u{n}:u{n}") as state:
                    log_question(factory, f"问题{n}-{i}", ANSWERED, [n])
                    state["count"] = state.get("count", 0) + 1
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=user, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [states.load(f"u{n}:u{n}")["count"] for n in range(8)] == [15] * 8
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(QuestionLog)).scalar() == 120
