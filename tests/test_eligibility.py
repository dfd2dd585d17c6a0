"""The eligibility engine: the YAML rule cases in tests/rules, and the rules data checked
against the measures it quotes."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge.eligibility import (
    FACT_KEYS,
    Facts,
    FactsError,
    Status,
    evaluate,
    load_rules,
    validate_facts,
    with_today,
)
from knowledge.errors import QabotError
from knowledge.pack import Pack, load_pack, load_pack_from

RULES_DIR = Path(__file__).parent / "rules"


def _cases() -> list[Any]:
    out = []
    for path in sorted(RULES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if data.get("kind", "selfcheck") != "selfcheck":
            continue  # validity and usage cases: tests/test_rule_cases.py
        for case in data["cases"]:
            out.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return out


CASES = _cases()


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack()


def test_there_is_a_rule_case_for_at_least_forty_boundaries() -> None:
    assert len(CASES) >= 40
    names = [c.values[0]["name"] for c in CASES]
    assert len(names) == len(set(names)), "case names must be unique sentences"


@pytest.mark.parametrize("case", CASES)
def test_rule_case(case: dict[str, Any], pack: Pack) -> None:
    expect = case["expect"]
    if "error" in expect:
        with pytest.raises(FactsError, match=expect["error"]):
            facts = with_today(validate_facts(case["facts"]), dt.date(2024, 6, 1))
            evaluate(facts, pack)
        return
    facts = with_today(validate_facts(case["facts"]), dt.date(2024, 6, 1))
    result = evaluate(facts, pack).to_json()
    for key in ("verdict", "failed", "unknown", "priority", "reapply_from"):
        if key in expect:
            assert result[key] == expect[key], f"{key}: {result}"
    statuses = {c["id"]: c["status"] for c in result["clauses"]}
    for clause_id, status in (expect.get("clauses") or {}).items():
        assert statuses[clause_id] == status, f"{clause_id}: {result}"
    if "clause_ids" in expect:
        assert list(statuses) == expect["clause_ids"]


def test_the_json_result_has_exactly_the_public_keys(pack: Pack) -> None:
    facts = validate_facts({"applicant_type": "individual", "today": "2024-06-01"})
    result = evaluate(facts, pack).to_json()
    assert list(result) == ["verdict", "failed", "unknown", "priority", "reapply_from", "clauses"]
    assert set(result["clauses"][0]) == {"id", "label", "required", "status", "text", "note"}


def test_an_unknown_answer_never_makes_an_applicant_ineligible(pack: Pack) -> None:
    base = {"applicant_type": "organization", "today": "2024-06-01",
            "registered_in_cangzhou": True, "years_in_operation": 6,
            "on_abnormal_operations_list": False, "on_serious_violation_dishonesty_list": False,
            "advanced_quality_methods": True, "outstanding_results": True,
            "lawful_and_compliant": True, "bad_credit_last_3_years": False,
            "major_accident_last_3_years": False, "quality_innovation": True,
            "previously_revoked": False}
    for key in base:
        if key in ("applicant_type", "today"):
            continue
        verdict = evaluate(validate_facts({**base, key: None}), pack)
        assert verdict.verdict in ("eligible", "uncertain"), key


def test_the_engine_reads_no_clock_and_needs_today(pack: Pack) -> None:
    with pytest.raises(FactsError, match="today"):
        evaluate(Facts("organization"), pack)


def test_the_summary_names_the_failed_clause_labels(pack: Pack) -> None:
    facts = validate_facts({"applicant_type": "individual", "today": "2024-06-01",
                            "years_in_quality_work": 3})
    assert "第八条第（一）项" in evaluate(facts, pack).summary()


def test_a_shortfall_in_years_is_explained_in_the_note(pack: Pack) -> None:
    facts = validate_facts({"applicant_type": "organization", "today": "2024-06-01",
                            "years_in_operation": 4.5})
    assert evaluate(facts, pack).clause("7.1").note == "4.5年，不足5年"


def test_facts_errors_are_user_errors_with_exit_code_two() -> None:
    with pytest.raises(QabotError) as info:
        validate_facts({"applicant_type": "organization", "nonsense": 1})
    assert info.value.exit_code == 2
    assert "nonsense" in str(info.value)


def test_facts_must_be_a_json_object() -> None:
    with pytest.raises(FactsError, match="JSON 对象"):
        validate_facts(["organization"])


def test_not_a_number_years_are_refused() -> None:
    with pytest.raises(FactsError, match="years_in_operation"):
        validate_facts({"applicant_type": "organization", "years_in_operation": float("nan")})


# -- the rules data against the measures -----------------------------------------------------
def test_every_clause_points_to_an_existing_article_and_item_and_quotes_it(pack: Pack) -> None:
    for clause in load_rules(pack).clauses:
        article = pack.regulation.article(clause.ref.article)
        source = article.item(clause.ref.item).text if clause.ref.item else article.text
        assert clause.quote in source, clause.id


def test_clause_ids_follow_article_and_item(pack: Pack) -> None:
    for clause in load_rules(pack).clauses:
        expected = f"{clause.ref.article}.{clause.ref.item}" if clause.ref.item else str(
            clause.ref.article)
        assert clause.id == expected


def test_every_question_maps_to_a_clause_that_exists(pack: Pack) -> None:
    rules = load_rules(pack)
    ids = {c.id for c in rules.clauses}
    for q in rules.questions:
        if q.kind == "choice":
            continue
        assert q.clause in ids, q.id
        clause = rules.clause(q.clause)
        assert q.applies_to in (clause.applies_to, "all"), q.id


def test_every_required_clause_is_asked_about(pack: Pack) -> None:
    rules = load_rules(pack)
    asked = {q.clause for q in rules.questions}
    assert {c.id for c in rules.clauses} <= asked


def test_every_fact_the_rules_and_questions_use_is_part_of_the_contract(pack: Pack) -> None:
    rules = load_rules(pack)

    def facts_in(cond: dict[str, Any]) -> list[str]:
        if "all" in cond or "any" in cond:
            return [f for c in cond.get("all", cond.get("any")) for f in facts_in(c)]
        return [cond["fact"]] if "fact" in cond else []

    for clause in rules.clauses:
        for key in facts_in(clause.when) + facts_in(clause.not_applicable_when or {}):
            assert key in FACT_KEYS, (clause.id, key)
    for q in rules.questions:
        for key in q.sets:
            assert key in FACT_KEYS, (q.id, key)
        for key in q.if_skipped or {}:
            assert key in FACT_KEYS, (q.id, key)


def test_questions_show_numbers_from_the_pack_not_placeholders(pack: Pack) -> None:
    for q in load_rules(pack).questions:
        assert "{" not in q.text and "}" not in q.text, q.id
    assert "5年以上" in load_rules(pack).question("years_in_operation").text


def test_the_years_threshold_comes_from_the_pack(tmp_path: Path) -> None:
    src = load_pack().path
    dst = tmp_path / "other-city"
    shutil.copytree(src, dst)
    meta = (dst / "pack.yaml").read_text(encoding="utf-8")
    (dst / "pack.yaml").write_text(
        meta.replace("id: cangzhou-2020", "id: other-city")
            .replace("  min_years_in_operation:\n    value: 5",
                     "  min_years_in_operation:\n    value: 3"),
        encoding="utf-8")
    other = load_pack_from(dst)
    facts = validate_facts({"applicant_type": "organization", "today": "2024-06-01",
                            "years_in_operation": 3})
    assert evaluate(facts, other).clause("7.1").status is not Status.NOT_MET
    assert evaluate(facts, load_pack()).clause("7.1").status is Status.NOT_MET


def test_the_knowledge_package_imports_neither_telegram_nor_the_database() -> None:
    source = (Path(__file__).parents[1] / "knowledge" / "eligibility.py").read_text("utf-8")
    assert "telegram" not in source and "sqlmodel" not in source and "import bot" not in source
