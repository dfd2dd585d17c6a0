"""``qabot selfcheck``: JSON lines in, one result per line out; malformed facts exit 2."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.cli import main

ORG = {"applicant_type": "organization", "today": "2024-06-01",
       "registered_in_cangzhou": True, "years_in_operation": 5,
       "on_abnormal_operations_list": False, "on_serious_violation_dishonesty_list": False,
       "advanced_quality_methods": True, "outstanding_results": True,
       "lawful_and_compliant": True, "bad_credit_last_3_years": False,
       "major_accident_last_3_years": False, "quality_innovation": True,
       "previously_revoked": False, "previous_award_date": None}
PERSON = {"applicant_type": "individual", "today": "2024-06-01", "years_in_quality_work": 4.9,
          "previous_award_date": "2020-02-29"}


def _write(tmp_path: Path, *lines: str) -> str:
    p = tmp_path / "facts.jsonl"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(p)


def test_json_output_gives_one_result_per_input_line(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, json.dumps(ORG), "", json.dumps(PERSON))
    assert main(["selfcheck", "--json", "--facts", path]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2
    first, second = (json.loads(line) for line in out)
    assert first == {**first, "verdict": "eligible", "failed": [], "unknown": [],
                     "priority": True, "reapply_from": None}
    assert list(first) == ["verdict", "failed", "unknown", "priority", "reapply_from", "clauses"]
    assert second["verdict"] == "ineligible"
    assert second["failed"] == ["8.1"]
    assert second["reapply_from"] is None  # ineligible: no date to apply again
    assert second["priority"] is False


def test_facts_can_be_read_from_standard_input(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(ORG) + "\n"))
    assert main(["selfcheck", "--json", "--facts", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "eligible"


def test_today_defaults_to_the_current_date_when_left_out(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    facts = {k: v for k, v in ORG.items() if k != "today"}
    assert main(["selfcheck", "--json", "--facts", _write(tmp_path, json.dumps(facts))]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "eligible"


def test_human_output_marks_each_clause_and_states_the_verdict(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["selfcheck", "--facts", _write(tmp_path, json.dumps(PERSON))]) == 0
    out = capsys.readouterr().out
    assert "❌ 第八条第（一）项：遵纪守法，从事质量工作5年以上（4.9年，不足5年）" in out
    assert "❓ 第八条第（二）项" in out
    assert "结论：按您的回答，不符合第八条第（一）项，目前不具备申报资格。" in out
    # 2020-02-29 + 4 years: valid through 2024-02-29 (《民法典》第二百零二条)
    assert "上次获奖有效期已于2024-02-29届满（期间按《民法典》第二百零一条、第二百零二条计算）" in out
    assert "不代替正式的资格审查（第十二条）" in out


def test_a_barred_applicant_is_shown_no_date_no_priority_and_no_next_step(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    facts = {**ORG, "previously_revoked": True, "previous_award_date": "2022-01-10"}
    assert main(["selfcheck", "--facts", _write(tmp_path, json.dumps(facts))]) == 0
    out = capsys.readouterr().out
    assert "今后不得申报市政府质量奖" in out
    for word in ("目前", "起可", "再次申报", "优先", "2026-01-10", "2026-01-11"):
        assert word not in out, word
    assert main(["selfcheck", "--json", "--facts", _write(tmp_path, json.dumps(facts))]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["verdict"], result["reapply_from"], result["priority"]) == (
        "ineligible", None, False)


def test_a_never_awarded_applicant_is_eligible_without_saying_it_was_not_revoked(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    facts = {k: v for k, v in ORG.items() if k not in ("previously_revoked",
                                                       "previous_award_date")}
    facts["previously_awarded"] = False
    assert main(["selfcheck", "--json", "--facts", _write(tmp_path, json.dumps(facts))]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["verdict"], result["unknown"]) == ("eligible", [])


def test_the_evaluated_result_names_the_documents_that_would_settle_each_clause() -> None:
    from knowledge.eligibility import evaluate, validate_facts
    from knowledge.pack import load_pack

    v = evaluate(validate_facts({**ORG}), load_pack())
    assert "信用报告" in v.clause("7.4").evidence
    detailed = v.to_json(detail=True)
    assert all(c["evidence"] for c in detailed["clauses"])
    assert detailed["clauses"][-1]["shown"] == "未曾被撤销市政府质量奖奖项"
    assert set(v.to_json()["clauses"][0]) == {"id", "label", "required", "status", "text", "note"}


def test_a_malformed_line_names_the_key_and_line_and_prints_no_results(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = {**ORG, "years_in_operation": -3}
    path = _write(tmp_path, json.dumps(ORG), json.dumps(bad), "{not json")
    assert main(["selfcheck", "--json", "--facts", path]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "第2行：years_in_operation" in captured.err
    assert "第3行：不是有效的 JSON" in captured.err
    assert "Traceback" not in captured.err


@pytest.mark.parametrize("facts, key", [
    ({**ORG, "colour": "red"}, "colour"),
    ({**ORG, "years_in_operation": "five"}, "years_in_operation"),
    ({**ORG, "years_in_operation": 500}, "years_in_operation"),
    ({**ORG, "previous_award_date": "2021-13-01"}, "previous_award_date"),
    ({**ORG, "today": None, "previous_award_date": "2999-01-01"}, "previous_award_date"),
    ({**ORG, "applicant_type": None}, "applicant_type"),
])
def test_malformed_facts_exit_two_naming_the_key(facts: dict[str, object], key: str,
                                                tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["selfcheck", "--json", "--facts", _write(tmp_path, json.dumps(facts))]) == 2
    assert key in capsys.readouterr().err


def test_a_missing_facts_file_is_reported_plainly(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["selfcheck", "--json", "--facts", str(tmp_path / "nope.jsonl")]) == 2
    assert "找不到事实文件" in capsys.readouterr().err


def test_no_facts_option_points_to_the_chat_questionnaire(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["selfcheck"]) == 2
    assert "/selfcheck" in capsys.readouterr().err


def test_an_empty_facts_file_is_an_error(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["selfcheck", "--json", "--facts", _write(tmp_path, "")]) == 2
    assert "没有读到" in capsys.readouterr().err
