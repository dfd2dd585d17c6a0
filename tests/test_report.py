"""The 预审单: dates a time condition will be met, documents for unknowns, no date with a ban."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.report import build_report
from knowledge.eligibility import evaluate, load_rules, validate_facts
from knowledge.pack import load_pack

PACK = load_pack()
RULES = load_rules(PACK)
TODAY = dt.date(2026, 3, 1)
CLEAN_ORG: dict[str, Any] = {
    "applicant_type": "organization", "registered_in_cangzhou": True, "years_in_operation": 6,
    "on_abnormal_operations_list": False, "on_serious_violation_dishonesty_list": False,
    "advanced_quality_methods": True, "outstanding_results": True, "lawful_and_compliant": True,
    "bad_credit_last_3_years": False, "major_accident_last_3_years": False,
    "previously_awarded": False, "previously_revoked": False, "today": TODAY.isoformat()}


def report(**changes: Any) -> dict[str, Any]:
    facts = validate_facts({**CLEAN_ORG, **changes})
    return build_report(RULES, {"applicant_type": facts.applicant_type}, facts,
                        evaluate(facts, PACK), PACK)


def clause(r: dict[str, Any], cid: str) -> dict[str, Any]:
    return next(c for c in r["clauses"] if c["id"] == cid)


def test_four_years_in_business_meets_the_five_year_clause_a_year_later():
    r = report(years_in_operation=4)
    assert clause(r, "7.1")["met_from"] == "2027-03-01"
    assert clause(r, "7.1")["met_from_text"].startswith("2027-03-01 起满足第七条第（一）项")
    assert "2027-03-01" in r["earliest"]


def test_half_a_year_short_is_met_six_months_later():
    assert clause(report(years_in_operation=4.5), "7.1")["met_from"] == "2026-09-01"


def test_a_valid_previous_award_is_met_the_day_it_may_be_applied_for_again():
    from knowledge.validity import reapply_from_for

    r = report(previously_awarded=True, previous_award_date="2023-05-10")
    assert clause(r, "4")["status"] == "not_met"
    # the verdict gives no date to an ineligible applicant; the rules' own date is the one
    assert clause(r, "4")["met_from"] == reapply_from_for(PACK, dt.date(2023, 5, 10)).isoformat()
    assert clause(r, "4")["met_from"] == "2027-05-11"  # 《民法典》第二百零一条、第二百零二条


def test_a_clause_time_cannot_fix_gets_no_date():
    r = report(registered_in_cangzhou=False, years_in_operation=4)
    assert clause(r, "7.1")["met_from"] is None and r["earliest"] == ""


def test_a_revoked_award_is_never_paired_with_a_date_or_next_steps():
    r = report(years_in_operation=4, previously_awarded=True,
               previous_award_date="2024-01-10", previously_revoked=True)
    assert all(c["met_from"] is None for c in r["clauses"])
    assert r["earliest"] == "" and r["next_steps"] == []


def test_each_unknown_names_a_document_from_the_pack():
    r = report(bad_credit_last_3_years=None, years_in_operation=None)
    docs = {u["label"]: u["evidence"] for u in r["unknown"]}
    assert "信用报告" in docs["第七条第（四）项"] and "营业执照" in docs["第七条第（一）项"]
    assert "近3年" in docs["第七条第（四）项"]  # filled from the pack's facts
    assert clause(r, "7.2")["evidence"] == ""  # a met clause needs no document named


def test_an_individual_short_of_years_in_quality_work_gets_the_date():
    facts = {"applicant_type": "individual", "law_abiding": True, "years_in_quality_work": 3,
             "quality_awareness_and_reputation": True, "outstanding_contribution": True,
             "is_unit_head": False, "previously_awarded": False, "previously_revoked": False,
             "today": TODAY.isoformat()}
    f = validate_facts(facts)
    r = build_report(RULES, {}, f, evaluate(f, PACK), PACK)
    assert clause(r, "8.1")["met_from"] == "2028-03-01"


def test_a_clean_applicant_is_shown_what_was_checked_not_the_ban():
    r = report()
    assert clause(r, "24")["text"] == "未曾被撤销市政府质量奖奖项"
    assert all("今后不得申报" not in c["text"] for c in r["clauses"])


def test_a_barred_applicant_is_shown_no_priority_clause():
    r = report(quality_innovation=True, previously_awarded=True,
               previous_award_date="2012-01-10", previously_revoked=True)
    assert [c["id"] for c in r["clauses"] if not c["required"]] == []
    assert "今后不得申报" in r["summary"]


def test_not_sure_whether_ever_awarded_reads_as_such():
    r = build_report(RULES, {"applicant_type": "organization", "previous_award": None},
                     validate_facts({**CLEAN_ORG, "previously_awarded": None}),
                     evaluate(validate_facts({**CLEAN_ORG, "previously_awarded": None}), PACK),
                     PACK)
    answers = [a["answer"] for a in clause(r, "4")["answers"]]
    assert answers == ["不确定是否获得过"]
