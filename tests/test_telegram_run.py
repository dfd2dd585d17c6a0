"""``qabot run``: settings fail loudly in one line, the token never reaches the logs, and the
start-up schedules reminders and notices."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fakebotapi import FakeBotAPI
from telegram_harness import ALICE, running_bot, settings_for

from bot.cli import main


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in ("TELEGRAM_BOT_TOKEN", "WEBHOOK_URL", "TELEGRAM_PROXY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QABOT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def test_run_without_a_token_stops_with_one_line_naming_it(clean_env: Path,
                                                          capsys: pytest.CaptureFixture[str]):
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "TELEGRAM_BOT_TOKEN" in err


def test_a_malformed_token_is_named_but_never_echoed(clean_env: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "not-a-token-SECRETVALUE")
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "TELEGRAM_BOT_TOKEN" in err and "SECRETVALUE" not in err


def test_a_bad_proxy_setting_stops_start_up_naming_it(clean_env: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("TELEGRAM_PROXY", "ftp://proxy:21")
    assert main(["run"]) == 2
    assert "TELEGRAM_PROXY" in capsys.readouterr().err


def test_webhook_mode_needs_a_webhook_url(clean_env: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:" + "A" * 30)
    assert main(["run", "--webhook"]) == 2
    assert "WEBHOOK_URL" in capsys.readouterr().err


async def test_the_token_never_appears_in_the_logs(fake: FakeBotAPI, tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture):
    settings = settings_for(fake, f"sqlite:///{(tmp_path / 'b.sqlite3').as_posix()}")
    with caplog.at_level(logging.DEBUG):
        async with running_bot(fake, settings):
            fake.user_says(ALICE, "/help")
            await fake.wait_sent(ALICE)
    secret = fake.token.split(":", 1)[1]
    assert caplog.records
    assert not [r.name for r in caplog.records if secret in r.getMessage()]


async def test_start_up_schedules_reminders_and_the_notice_job(fake: FakeBotAPI,
                                                               tmp_path: Path):
    settings = settings_for(fake, f"sqlite:///{(tmp_path / 'b.sqlite3').as_posix()}")
    async with running_bot(fake, settings) as app:
        assert app.job_queue is not None
        names = {job.name for job in app.job_queue.jobs()}
    assert "broadcast" in names
    assert len(names) >= 3  # plus the daily reminder run and the one at start-up
