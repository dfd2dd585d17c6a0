"""One place decides the knowledge pack (QABOT_KNOWLEDGE_PACK, bot/configured.py) and every
surface uses it: the registry, the dialogue (/status and a free question in the same chat),
and `qabot validity`, `selfcheck`, `check-usage`, `article`, `ask`. An office that counts the
award day as the first day changes one value in a copy of the pack (README, "How the four
years are counted") and every date and its basis follow."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest

from bot import configured
from bot.cli import main
from bot.dialogue import Dialogue
from bot.services import Services
from bot.settings import load_settings
from knowledge.pack import load_pack

CIVIL_BASIS = "《民法典》第二百零一条、第二百零二条"
OFFICE_BASIS = "获奖当日计入有效期的方式"
ROSTER = "名称,奖项,年度,认定日期\n沧州甲公司,组织奖,2021,2021-12-20\n"
TODAY = dt.date(2023, 6, 1)


@pytest.fixture
def office_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped pack whose pack.yaml changes one value: the counting rule."""
    dst = tmp_path / "office-pack"
    shutil.copytree(load_pack().path, dst)
    meta = (dst / "pack.yaml").read_text(encoding="utf-8")
    assert meta.count("rule: civil_code ") == 1
    (dst / "pack.yaml").write_text(meta.replace("rule: civil_code ", "rule: award_day_counted "),
                                   encoding="utf-8")
    monkeypatch.setenv("QABOT_KNOWLEDGE_PACK", str(dst))
    monkeypatch.chdir(tmp_path)  # no .env, no data folder: nothing but the variable
    return dst


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_the_settings_and_the_light_reader_name_the_same_pack(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QABOT_KNOWLEDGE_PACK", raising=False)
    assert configured.pack_id() == load_settings().knowledge_pack == "cangzhou-2020"
    (tmp_path / ".env").write_text("QABOT_KNOWLEDGE_PACK=/srv/packs/office\n", encoding="utf-8")
    assert configured.pack_id() == load_settings().knowledge_pack == "/srv/packs/office"
    monkeypatch.setenv("QABOT_KNOWLEDGE_PACK", " other ")  # the environment wins over .env
    assert configured.pack_id() == load_settings().knowledge_pack == "other"
    monkeypatch.setenv("QABOT_KNOWLEDGE_PACK", "")
    assert configured.pack_id() == load_settings().knowledge_pack == "cangzhou-2020"


def test_the_counting_rule_of_the_configured_pack_moves_the_validity_json(office_pack, capsys):
    out = _run(capsys, "validity", "--json", "--award-date", "2021-12-20", "--today", "2025-12-20")
    assert json.loads(out) == {"valid_until": "2025-12-19", "state": "expired", "days_left": -1,
                               "may_use_honor": False, "may_reapply": True}


def test_the_validity_text_names_the_basis_of_the_rule_in_force(office_pack, capsys):
    out = _run(capsys, "validity", "--award-date", "2021-12-20", "--today", "2023-06-01")
    assert "2025-12-19" in out and OFFICE_BASIS in out and CIVIL_BASIS not in out


def test_the_selfcheck_command_counts_by_the_configured_pack(office_pack, capsys, tmp_path):
    facts = tmp_path / "f.jsonl"
    facts.write_text(json.dumps({
        "applicant_type": "individual", "today": "2026-01-05", "law_abiding": True,
        "years_in_quality_work": 10, "quality_awareness_and_reputation": True,
        "outstanding_contribution": True, "is_unit_head": False, "previously_revoked": False,
        "previous_award_date": "2021-12-20"}) + "\n", encoding="utf-8")
    verdict = json.loads(_run(capsys, "selfcheck", "--json", "--facts", str(facts)))
    assert verdict["reapply_from"] == "2025-12-20"  # the day after 2025-12-19
    text = _run(capsys, "selfcheck", "--facts", str(facts))
    assert OFFICE_BASIS in text and CIVIL_BASIS not in text


def test_the_usage_check_counts_by_the_configured_pack(office_pack, capsys):
    out = _run(capsys, "check-usage", "--json", "--award-date", "2021-12-20", "--today",
               "2025-12-20", "荣获2021年度沧州市政府质量奖")
    result = json.loads(out)
    assert result["problems"] == ["expired"] and "2025-12-19" in result["reply"]


def test_a_free_question_on_the_command_line_counts_by_the_configured_pack(office_pack, capsys):
    out = _run(capsys, "ask", "2021年12月20日获的奖现在还能用吗")
    assert "有效期至2025年12月19日" in out and OFFICE_BASIS in out and CIVIL_BASIS not in out


def test_the_article_command_reads_the_configured_pack(office_pack, capsys):
    text = (office_pack / "measures.txt").read_text(encoding="utf-8")
    (office_pack / "measures.txt").write_text(text.replace("奖项有效期四年", "奖项有效期四年（本办公室副本）", 1),
                                              encoding="utf-8")
    load_pack.cache_clear()
    try:
        assert "（本办公室副本）" in _run(capsys, "article", "4")
    finally:
        load_pack.cache_clear()


def _dates(text: str) -> set[str]:
    """Every date in a reply, as ISO (2025-12-19 and 2025年12月19日 alike)."""
    iso = set(re.findall(r"\d{4}-\d{2}-\d{2}", text))
    cn = {f"{y}-{int(m):02d}-{int(d):02d}"
          for y, m, d in re.findall(r"(\d{4})年(\d{1,2})月(\d{1,2})日", text)}
    return iso | cn


def test_status_and_a_free_question_in_one_chat_give_the_same_date_and_basis(office_pack,
                                                                             db_url: str):
    svc = Services.from_settings(load_settings(_env_file=None, DATABASE_URL=db_url))
    try:
        assert svc.pack.path == office_pack
        svc.import_roster_bytes(ROSTER.encode(), "r.csv")
        code, _ = svc.issue_code("沧州甲公司")
        svc.bind("1001", code)
        d = Dialogue(services=svc, features=["bot.features.qa", "bot.features.winners"])
        state: dict = {}

        def say(text: str) -> str:
            turn = d.turn(state, today=TODAY, chat_id="1001")
            return "\n".join(r.html for r in d.on_text(turn, text))

        status = say("/status")
        answer = say("2021年12月20日获的奖现在还能用吗")
    finally:
        svc.close()
    assert "有效期至 2025-12-19（第四条，期间按获奖当日计入有效期的方式计算）" in status, status
    assert "有效期至2025年12月19日（第四条，期间按获奖当日计入有效期的方式计算）" in answer, answer
    for reply in (status, answer):  # the same last day and the same basis, nothing else
        assert _dates(reply) - {"2021-12-20", "2025-12-20"} == {"2025-12-19"}, reply
        assert CIVIL_BASIS not in reply, reply
    assert "即 2025-12-20 起" in status  # the day after the last valid day
