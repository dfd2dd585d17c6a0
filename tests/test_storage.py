from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import text
from sqlmodel import SQLModel, select

from bot.storage import (
    alembic_config,
    current_revision,
    make_engine,
    session_factory,
    upgrade_database,
)
from bot.storage.models import BotState, PackStatus, ReminderSent, Winner


def _head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_the_sqlite_file_and_its_folder_are_created_on_first_use_in_wal_mode(tmp_path: Path):
    url = f"sqlite:///{(tmp_path / 'new' / 'deeper' / 'q.sqlite3').as_posix()}"
    upgrade_database(url)
    assert (tmp_path / "new" / "deeper" / "q.sqlite3").exists()
    eng = make_engine(url)
    with eng.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    eng.dispose()


def test_upgrading_twice_is_harmless_and_reaches_head(db_url: str):
    upgrade_database(db_url)
    upgrade_database(db_url)
    eng = make_engine(db_url)
    assert current_revision(eng) == _head()
    eng.dispose()


def test_the_models_match_the_migrated_schema_exactly(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import bot.storage.models  # noqa: F401

    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, SQLModel.metadata) == []


def test_timestamps_come_back_timezone_aware_in_utc(sessions):
    at = dt.datetime(2024, 5, 1, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with sessions() as s:
        s.add(BotState(namespace="user_data", key="42", data="{}", updated_at=at))
        s.commit()
    with sessions() as s:
        row = s.get(BotState, ("user_data", "42"))
        assert row.updated_at == at
        assert row.updated_at.tzinfo is not None and row.updated_at.utcoffset() == dt.timedelta(0)


def test_upgrading_a_first_migration_database_with_rows_loses_nothing(db_url: str):
    eng = make_engine(db_url)
    upgrade_database(eng, "0001")
    assert current_revision(eng) == "0001"
    now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    with eng.begin() as conn:
        conn.execute(text(
            "INSERT INTO winner (id, name, name_key, kind, award_year, award_date, doc_number,"
            " notes, repeat_award, status, revoked_on, revoked_reason, created_at, updated_at)"
            " VALUES (1, '沧州甲公司', '沧州甲公司', 'organization', 2020, :d1,"
            " '沧政字〔2020〕9号', '联系人张三', false, 'active', NULL, NULL, :now, :now),"
            " (2, '李四', '李四', 'individual', 2020, :d2, NULL, NULL, true, 'revoked', :r,"
            " '第二十四条（四）', :now, :now)"),
            {"d1": dt.date(2020, 2, 29), "d2": dt.date(2020, 12, 20), "r": dt.date(2022, 3, 1),
             "now": now})
        conn.execute(text("INSERT INTO binding (id, winner_id, chat_id, active, created_at)"
                          " VALUES (1, 1, '1001', true, :now)"), {"now": now})
        conn.execute(text("INSERT INTO reminder_sent (winner_id, chat_id, milestone, sent_at)"
                          " VALUES (1, '1001', 'd180', :now)"), {"now": now})
        conn.execute(text("INSERT INTO bot_state (namespace, key, data, updated_at)"
                          " VALUES ('chat_data', '1001', '{\"a\": 1}', :now)"), {"now": now})
        conn.execute(text("INSERT INTO bot_state (namespace, key, data, updated_at)"
                          " VALUES ('user_data', '1001', '{\"flow\": \"selfcheck\"}', :now)"),
                     {"now": now})
        conn.execute(text("INSERT INTO subscriber (chat_id, active, subscribed_at)"
                          " VALUES ('1001', true, :now)"), {"now": now})
        conn.execute(text("INSERT INTO question_log (text, kind, articles, created_at)"
                          " VALUES ('公示几天', 'unanswered', '15', :now)"), {"now": now})

    upgrade_database(eng, "0002")  # the day of the award counted as the first day
    with session_factory(eng)() as s:
        assert s.get(Winner, 1).valid_until == dt.date(2024, 2, 28)
        assert s.get(Winner, 2).valid_until == dt.date(2024, 12, 19)

    upgrade_database(eng)

    assert current_revision(eng) == _head()
    with session_factory(eng)() as s:
        a, b = s.get(Winner, 1), s.get(Winner, 2)
        assert (a.name, a.doc_number, a.notes, a.award_date) == (
            "沧州甲公司", "沧政字〔2020〕9号", "联系人张三", dt.date(2020, 2, 29))
        # 0004: 《民法典》第二百零一条、第二百零二条, the same date four years on
        assert a.valid_until == dt.date(2024, 2, 29)
        assert (b.status, b.revoked_on, b.revoked_reason, b.repeat_award) == (
            "revoked", dt.date(2022, 3, 1), "第二十四条（四）", True)
        assert b.valid_until == dt.date(2024, 12, 20)
        assert s.get(PackStatus, "cangzhou-2020").counting == "civil_code:4"
        # 0005: a user's state becomes the state of that user in their private chat; PTB's
        # chat_data was never used by the dialogue
        assert s.get(BotState, ("conv", "1001:1001")).data == '{"flow": "selfcheck"}'
        assert s.get(BotState, ("user_data", "1001")) is None
        assert s.get(BotState, ("chat_data", "1001")) is None
        # 0005: rows recorded before are sent reminders, not claims
        sent = s.exec(select(ReminderSent)).one()
        assert sent.sent_at == now and sent.claimed_until is None
    with eng.connect() as conn:
        for table in ("binding", "reminder_sent", "subscriber", "question_log"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 1
        # 0003: the bot declined an 'unanswered' question; it is open for staff's triage
        assert conn.execute(text("SELECT kind, status FROM question_log")).one() == (
            "declined", "open")
    eng.dispose()


def test_processes_starting_together_on_an_empty_database_all_migrate_it(db_url: str,
                                                                       tmp_path: Path):
    """Replicas started at once (a deploy, a restart of the host) each run the migrations at
    start-up: one applies them, the others wait for it and find the schema at head."""
    import os
    import subprocess
    import sys

    if db_url.startswith("sqlite"):
        import pytest

        pytest.skip("several processes start together on a shared database: PostgreSQL")
    env = {**os.environ, "DATABASE_URL": db_url}
    procs = [subprocess.Popen([sys.executable, "-m", "bot", "db", "upgrade"], env=env,
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for _ in range(3)]
    outputs = [p.communicate(timeout=120)[0].decode("utf-8", "replace") for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    eng = make_engine(db_url)
    assert current_revision(eng) == _head()
    eng.dispose()
