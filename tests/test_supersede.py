"""The measures may be revised: staff record it (``qabot pack supersede``) in the database and
every running copy of the bot shows the notice, once per conversation and on every /article,
/status and self-check result; awards made under this text keep its validity rule."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot import services as services_module
from bot.dialogue import Dialogue
from bot.services import Services
from bot.settings import load_settings
from knowledge.pack import load_pack, load_pack_from

PACK = load_pack()
TODAY = dt.date(2026, 1, 5)
NOTICE = "本办法已于2025-07-01修订（沧政字〔2025〕1号），以下依据沧政字〔2020〕14号；请以现行有效的办法为准。"
ROSTER = ("名称,奖项,年度,认定日期\n沧州甲公司,组织奖,2024,2024-12-20\n"
          "沧州乙公司,组织奖,2025,2025-08-01\n")


@pytest.fixture
def svc(db_url: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(services_module, "SUPERSESSION_TTL", 0.0)  # read on every turn
    s = Services.from_settings(load_settings(_env_file=None, DATABASE_URL=db_url))
    s.import_roster_bytes(ROSTER.encode(), "r.csv")
    yield s
    s.close()


def talk(d: Dialogue, state: dict, text: str, chat: str = "1001") -> str:
    return "\n".join(r.html for r in d.on_text(d.turn(state, today=TODAY, chat_id=chat), text))


def test_nothing_is_shown_until_staff_record_a_revision(svc: Services):
    d = Dialogue(PACK, services=svc)
    assert svc.supersession() is None
    assert "修订" not in talk(d, {}, "/article 4")


def test_the_notice_shows_once_per_conversation_and_on_every_article_and_status(svc: Services):
    svc.set_supersession("沧政字〔2025〕1号", dt.date(2025, 7, 1))
    d = Dialogue(PACK, services=svc)
    state: dict = {}
    assert NOTICE in talk(d, state, "公示期几天")  # the first reply of the conversation
    assert NOTICE not in talk(d, state, "奖金给多少")
    assert NOTICE in talk(d, state, "/article 15")
    assert NOTICE in talk(d, state, "/article 15")
    assert NOTICE in talk(d, state, "/status")
    assert NOTICE not in talk(d, state, "/help")
    assert NOTICE in talk(d, {}, "/help")  # another conversation


def test_every_self_check_result_carries_the_notice(svc: Services):
    svc.set_supersession("沧政字〔2025〕1号", dt.date(2025, 7, 1))
    d = Dialogue(PACK, services=svc)
    state: dict = {}
    talk(d, state, "/selfcheck 个人")
    for answer in ("是", "8", "是", "是", "否"):
        talk(d, state, answer)
    result = talk(d, state, "没有")
    assert "自查结果" in result and NOTICE in result


def test_clearing_the_record_removes_the_notice(svc: Services):
    svc.set_supersession("沧政字〔2025〕1号", dt.date(2025, 7, 1))
    svc.set_supersession(None, None)
    d = Dialogue(PACK, services=svc)
    assert "修订" not in talk(d, {}, "/article 4")


def test_awards_made_before_the_revision_keep_this_texts_validity_rule(svc: Services):
    svc.set_supersession("沧政字〔2025〕1号", dt.date(2025, 7, 1))
    d = Dialogue(PACK, services=svc)
    for name, chat in (("沧州甲公司", "1"), ("沧州乙公司", "2")):
        code, _ = svc.issue_code(name)
        svc.bind(chat, code)
    old = talk(d, {}, "/status", chat="1")
    assert "有效期至 2028-12-20" in old and "以现行有效的办法为准（第十七条）" not in old
    new = talk(d, {}, "/status", chat="2")
    assert "该奖项认定于本办法修订之后，有效期等请以现行有效的办法为准" in new


def test_a_revision_must_name_its_document_and_a_date_after_this_text(svc: Services):
    from bot.registry import RegistryError

    with pytest.raises(RegistryError, match="文号"):
        svc.set_supersession("  ", dt.date(2025, 7, 1))
    with pytest.raises(RegistryError, match="不晚于本办法施行日期"):
        svc.set_supersession("沧政字〔2025〕1号", dt.date(2020, 7, 30))


def test_a_revision_recorded_by_another_process_reaches_a_running_dialogue(
        svc: Services, db_url: str, tmp_path: Path):
    d = Dialogue(PACK, services=svc)
    state: dict = {}
    assert "修订" not in talk(d, state, "/article 4")
    env = {k: v for k, v in os.environ.items() if k not in ("QABOT_DEBUG",)}
    env.update(DATABASE_URL=db_url, PYTHONIOENCODING="utf-8")
    done = subprocess.run([sys.executable, "-m", "bot", "pack", "supersede", "--by",
                           "沧政字〔2025〕1号", "--from", "2025-07-01"], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert NOTICE in done.stdout
    assert NOTICE in talk(d, state, "/article 4")
    done = subprocess.run([sys.executable, "-m", "bot", "pack", "supersede", "--clear"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "修订" not in talk(d, state, "/article 4")


def test_a_database_error_keeps_the_last_notice_and_answers_the_question(
        svc: Services, monkeypatch: pytest.MonkeyPatch):
    svc.set_supersession("沧政字〔2025〕1号", dt.date(2025, 7, 1))
    d = Dialogue(PACK, services=svc)
    svc.supersession()

    def broken():
        raise RuntimeError("database down")

    monkeypatch.setattr(svc, "session", broken)
    out = talk(d, {}, "公示期几天")
    assert NOTICE in out and "公示期为7天" in out


def test_the_pack_command_shows_sets_and_clears_the_record(db_url: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]):
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    assert main(["pack", "status"]) == 0
    assert "没有修订记录" in capsys.readouterr().out
    assert main(["pack", "supersede", "--by", "沧政字〔2025〕1号", "--from", "2025年7月1日"]) == 0
    assert NOTICE in capsys.readouterr().out
    assert main(["pack", "status"]) == 0
    assert NOTICE in capsys.readouterr().out
    assert main(["pack", "supersede", "--clear"]) == 0
    assert "已清除" in capsys.readouterr().out
    assert main(["pack", "supersede", "--by", "沧政字〔2025〕1号"]) == 2
    assert "--from" in capsys.readouterr().err


def test_changing_the_counting_rule_recomputes_stored_expiry_dates_at_start(
        db_url: str, tmp_path: Path):
    settings = load_settings(_env_file=None, DATABASE_URL=db_url)
    first = Services.from_settings(settings)
    first.import_roster_bytes(ROSTER.encode(), "r.csv")
    with first.session() as s:
        from bot import registry
        assert registry.find_winner(s, "沧州甲公司").valid_until == dt.date(2028, 12, 20)
    first.close()
    dst = tmp_path / "cangzhou-2020"
    shutil.copytree(PACK.path, dst)
    meta = (dst / "pack.yaml").read_text(encoding="utf-8")
    (dst / "pack.yaml").write_text(meta.replace("rule: civil_code ", "rule: award_day_counted "),
                                   encoding="utf-8")
    second = Services.from_settings(settings, pack=load_pack_from(dst))
    with second.session() as s:
        assert registry.find_winner(s, "沧州甲公司").valid_until == dt.date(2028, 12, 19)
    assert second.sync_valid_until() == 0  # nothing more to do
    second.close()


# -- the command line shows the notice too (qabot selfcheck, article, ask) ----------------------
UNDATED = "本办法已修订（沧政字〔2025〕1号），以下依据沧政字〔2020〕14号；请以现行有效的办法为准。"
CLEAN_FACTS = {"applicant_type": "individual", "today": "2026-01-05", "law_abiding": True,
               "years_in_quality_work": 10, "quality_awareness_and_reputation": True,
               "outstanding_contribution": True, "is_unit_head": False,
               "previously_revoked": False, "previously_awarded": False}


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]):
    """``qabot …`` with a database configured in which staff recorded a revision."""
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    assert main(["pack", "supersede", "--by", "沧政字〔2025〕1号", "--from", "2025-07-01"]) == 0
    capsys.readouterr()

    def run(*argv: str, stdin: str | None = None) -> str:
        if stdin is not None:
            import io
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        assert main(list(argv)) == 0
        return capsys.readouterr().out

    return run


def test_every_self_check_result_on_the_command_line_carries_the_notice(cli, tmp_path: Path):
    import json

    barred = {**CLEAN_FACTS, "previously_revoked": True, "previously_awarded": True,
              "previous_award_date": "2015-01-01"}
    facts = tmp_path / "f.jsonl"
    facts.write_text(json.dumps(CLEAN_FACTS) + "\n" + json.dumps(barred) + "\n", "utf-8")
    clean, ban = cli("selfcheck", "--facts", str(facts)).split("\n\n")
    assert NOTICE in clean
    # a barred applicant's result names no date, not even the notice's (第二十四条)
    assert UNDATED in ban and "2025-07-01" not in ban and "今后不得申报" in ban
    lines = cli("selfcheck", "--json", "--facts", str(facts)).splitlines()
    assert [sorted(json.loads(x)) for x in lines] == [sorted(json.loads(lines[0]))] * 2
    assert "修订" not in "".join(lines)  # the JSON contract is the verdict alone


def test_every_article_on_the_command_line_carries_the_notice(cli):
    assert cli("article", "4").startswith(f"ℹ️ {NOTICE}\n")
    out = cli("article", "24")  # the measures' ban: the notice without its date
    assert UNDATED in out and "2025-07-01" not in out


def test_the_ask_command_gives_the_notice_once_and_keeps_its_json_keys(cli):
    import json

    out = cli("ask", "公示期几天")
    assert out.startswith(f"ℹ️ {NOTICE}\n") and "公示期为7天" in out
    lines = [json.loads(x) for x in cli("ask", "--json", "-", stdin="公示期几天\n奖金多少\n")
             .splitlines()]
    assert [list(x) for x in lines] == [["query", "articles", "abstained", "band", "kind",
                                         "reply"]] * 2
    assert NOTICE in lines[0]["reply"] and "修订" not in lines[1]["reply"]
    assert cli("ask", "--json", "公示期几天").count(NOTICE) == 1


def test_without_a_database_the_command_line_reads_none_and_creates_none(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    from bot.cli import main

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("QABOT_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["ask", "公示期几天"]) == 0 and main(["article", "4"]) == 0
    assert "修订" not in capsys.readouterr().out
    assert not (tmp_path / "data").exists()


def test_ask_without_a_database_never_imports_sqlalchemy(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "QABOT_DATA_DIR")}
    code = ("import sys; from bot.cli import main; main(['ask', '公示期几天']); "
            "print('sqlalchemy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**env, "PYTHONPATH": str(Path(__file__).parents[1])},
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("False")
