"""A question that states facts gets the verdict /selfcheck and /status give for the same facts.

The cases (tests/fact_questions.yaml) cover every condition of 第七条 and 第八条, validity and
re-application dates, and revocation. For each, the verdict in the answer is compared with
what the engine itself (knowledge.eligibility.evaluate, knowledge.validity.assess) gives for
the same situation, so a change of the rules flows into the answers or fails here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.commands.ask import answer_json
from bot.dialogue import Dialogue
from knowledge.eligibility import evaluate, validate_facts
from knowledge.pack import load_pack
from knowledge.retrieval import retriever_for
from knowledge.validity import assess_for

CASES = yaml.safe_load((Path(__file__).with_name("fact_questions.yaml")).read_text("utf-8"))
TODAY = CASES["today"]
# Everything else about the applicant meets every condition: the verdict then rests on what
# the question states.
ORG_OK: dict[str, Any] = {
    "registered_in_cangzhou": True, "years_in_operation": 10,
    "on_abnormal_operations_list": False, "on_serious_violation_dishonesty_list": False,
    "advanced_quality_methods": True, "outstanding_results": True,
    "lawful_and_compliant": True, "bad_credit_last_3_years": False,
    "major_accident_last_3_years": False, "quality_innovation": False,
    "previously_awarded": False, "previously_revoked": False}
IND_OK: dict[str, Any] = {
    "law_abiding": True, "years_in_quality_work": 10, "quality_awareness_and_reputation": True,
    "outstanding_contribution": True, "is_unit_head": False,
    "unit_bad_credit_last_3_years": False, "unit_major_accident_last_3_years": False,
    "previously_awarded": False, "previously_revoked": False}


@pytest.fixture(scope="module")
def r():
    return retriever_for()


@pytest.fixture(scope="module")
def d():
    return Dialogue(features=["bot.features.qa"])


def reply_of(d: Dialogue, question: str) -> str:
    from bot.features.qa import answer_reply
    from bot.render import html_to_text

    return html_to_text(answer_reply(d, retriever_for().ask(question, today=TODAY)).html)


def engine_status(clause: str, facts: dict[str, Any]) -> str:
    kind = "individual" if clause.startswith("8") else "organization"
    raw = {"applicant_type": kind, "today": TODAY.isoformat(),
           **(IND_OK if kind == "individual" else ORG_OK), **facts}
    return str(evaluate(validate_facts(raw), load_pack()).clause(clause).status)


def test_there_are_at_least_sixty_fact_questions_covering_every_condition():
    n = len(CASES["eligibility"]) + len(CASES["validity"]) + len(CASES["revoked"])
    assert n >= 60
    clauses = {c["clause"] for c in CASES["eligibility"]}
    assert clauses == {"7.1", "7.2", "7.3", "7.4", "7.5", "8.1", "8.2", "8.3", "8.4"}


@pytest.mark.parametrize("case", CASES["eligibility"], ids=lambda c: c["q"])
def test_an_eligibility_verdict_agrees_with_the_engine(r, d, case):
    ans = r.ask(case["q"], today=TODAY)
    assert ans.reading is not None and ans.reading.topic == "eligibility", case["q"]
    finding = next(f for f in ans.reading.findings if f.clause == case["clause"])
    if case["expect"] == "depends":
        assert {engine_status(case["clause"], f) for f in case["either"]} == {"met", "not_met"}
    else:
        assert engine_status(case["clause"], case["set"]) == case["expect"]
    assert finding.status == case["expect"]
    reply = reply_of(d, case["q"])
    first = reply.splitlines()[0]
    opening = {"not_met": "还不能", "met": "就您说的", "depends": "要看"}[case["expect"]]
    assert first.startswith(opening), reply
    assert finding.label in first and "/selfcheck" in reply


@pytest.mark.parametrize("case", CASES["validity"], ids=lambda c: c["q"])
def test_a_validity_or_reapplication_verdict_agrees_with_the_validity_rule(r, d, case):
    pack = load_pack()
    ans = r.ask(case["q"], today=TODAY)
    assert ans.reading is not None and ans.reading.topic == "validity", case["q"]
    v = ans.reading.validity
    ends = [assess_for(pack, day, TODAY) for day in case["award"]]
    # the honour on the day asked about (now, or the time the question names)
    uses = {assess_for(pack, day, on).may_use_honor
            for day in case["award"] for on in case.get("at", [TODAY])}
    reapply = {e.may_reapply for e in ends}
    assert v["may_use_honor"] == (uses.pop() if len(uses) == 1 else None)
    assert v["may_reapply"] == (reapply.pop() if len(reapply) == 1 else None)
    assert set(v["valid_until"]) == {e.valid_until for e in ends}
    # the day after the last valid day, by the validity rule (the self-check's verdict gives no
    # date to an applicant still inside the validity: it is ineligible)
    again = {e.reapply_from for e in ends}
    assert set(v["reapply_from"]) == again
    assert ans.articles[0] == case["lead"], ans.articles
    # a date and a next application never sit beside 第二十四条's ban, even as a title
    assert 24 not in ans.articles and "第二十四条" not in reply_of(d, case["q"])
    first = reply_of(d, case["q"]).splitlines()[0]
    if case["asks"] == "use" and "at" in case:
        first_day, last_day = case["at"]
        when = f"到{first_day.year}年" + (f"{first_day.month}月"
                                          if first_day.month == last_day.month else "")
        expected = {True: when + "仍在有效期内", False: when + "已过有效期",
                    None: "要看确切的获奖日期"}
        assert first.startswith(expected[v["may_use_honor"]]), first
    elif case["asks"] == "use":
        expected = {True: "还在有效期内", False: "已过有效期", None: "要看确切的获奖日期"}
        assert first.startswith(expected[v["may_use_honor"]]), first
    else:
        expected = {True: "可以再次申报", False: "有效期内还不能再次申报",
                    None: "要看确切的获奖日期"}
        assert first.startswith(expected[v["may_reapply"]]), first


@pytest.mark.parametrize("question", CASES["revoked"])
def test_a_revoked_award_is_never_paired_with_a_date_or_a_next_step(r, d, question):
    pack = load_pack()
    ans = r.ask(question, today=TODAY)
    assert ans.reading is not None and ans.reading.topic == "revoked", question
    raw = {"applicant_type": "organization", "today": TODAY.isoformat(),
           "previously_revoked": True}
    assert str(evaluate(validate_facts(raw), pack).clause("24").status) == "not_met"
    assert [f.status for f in ans.reading.findings] == ["not_met"]
    reply = reply_of(d, question)
    assert reply.startswith("不能") and "今后不得申报" in reply
    assert not re.search(r"\d{4}\s*[年-]|起可|可再次申报|重新申报|期满后", reply), reply


@pytest.mark.parametrize("question", CASES["not_facts"])
def test_a_question_about_the_rules_states_no_facts(r, question):
    assert r.ask(question, today=TODAY).reading is None


def test_qabot_ask_gives_the_verdict_first(d):
    row = answer_json(d, "公司成立四年半能报吗")
    assert row["reply"].startswith("还不能") and "5年以上" in row["reply"]
    assert row["articles"][0] == 7 and row["abstained"] is False


@pytest.mark.parametrize("question, clause", [
    ("我做质量工作十年了 名气不大 能报个人奖吗", "8.2"),
    ("我干质检八年了 没啥知名度 可以申报个人奖吗", "8.2"),
])
def test_saying_one_is_little_known_is_read_against_the_reputation_clause(r, question, clause):
    ans = r.ask(question, today=TODAY)
    assert ans.reading is not None
    assert any(f.clause == clause and f.status == "not_met" for f in ans.reading.findings)


def test_a_blacklist_within_the_window_is_a_bad_credit_record(r):
    ans = r.ask("我们公司去年上过失信黑名单 今年能申报吗", today=TODAY)
    assert ans.reading is not None
    found = {f.clause: f.status for f in ans.reading.findings}
    assert found.get("7.4") == "not_met", found


def test_a_person_saying_who_they_are_is_never_judged_as_an_organisation(r):
    # 干了二十年 is not 从事合法生产经营 when 我是一个焊工 said who asks; nor 质量工作 unsaid
    ans = r.ask("我是一个焊工，干了二十年，能报吗", today=TODAY)
    assert ans.reading is None or ans.reading.applicant_type == "individual", ans.reading
    assert 7 not in ans.articles[:1], ans.articles


@pytest.mark.parametrize("question", ["去年没评上，今年还能报吗", "我们前年申报没获奖，现在能再报吗",
                                      "2022年报过一次落选了，今年能报不"])
def test_not_winning_is_no_award_to_count_a_validity_from(r, d, question):
    ans = r.ask(question, today=TODAY)
    assert ans.reading is None or ans.reading.topic != "validity", ans.reading
    reply = reply_of(d, question)
    assert "有效期内还不能" not in reply and not re.search(r"\d{4}年\d+月\d+日", reply), reply


def test_the_year_said_with_the_award_is_the_awards(r):
    ans = r.ask("去年评上的，今年还能用这个称号吗", today=TODAY)
    assert ans.reading is not None and ans.reading.validity["award_from"].year == TODAY.year - 1


@pytest.mark.parametrize("question", ["奖被撤销了，还能用这个荣誉称号吗", "我们的奖撤了，门口牌子还能挂着吗"])
def test_a_revoked_award_may_no_longer_be_used_and_the_reply_says_so_first(r, d, question):
    ans = r.ask(question, today=TODAY)
    assert ans.reading is not None and ans.reading.topic == "revoked_use", ans.reading
    reply = reply_of(d, question)
    assert reply.startswith("不能") and "收回奖牌（奖杯）和证书" in reply, reply
    assert "可在形象宣传中使用" not in reply and not re.search(r"\d{4}\s*[年-]|可再次申报", reply)


def test_a_failed_condition_names_only_the_stated_fact_that_fails_it(d):
    reply = str(answer_json(d, "厂子在黄骅注册的，开了三年，能报组织奖吗")["reply"])
    assert reply.startswith("还不能"), reply
    assert "“3年”不符合" in reply or "“三年”不符合" in reply, reply
    assert "黄骅" not in reply.split("不符合")[0], reply  # registered inside the city: met


def _reading(question):
    import datetime as dt

    return retriever_for().facts.read(question, dt.date(2026, 6, 30))


def test_the_work_named_in_one_clause_takes_the_years_of_the_next():
    rd = _reading("俺是厂里的品控，干了七年了，能报个人奖吗")
    assert rd is not None and rd.applicant_type == "individual", rd
    assert [(f.clause, f.status) for f in rd.findings] == [("8.1", "met")], rd


def test_a_year_of_output_is_no_years_of_operation():
    rd = _reading("俺们公司不大 一年也就几百万的销售额 能报组织奖吗")
    assert rd is None or all(f.status != "not_met" for f in rd.findings), rd


def test_the_prize_named_decides_whose_conditions_are_read():
    rd = _reading("企业是2012年注册的，我做了两年质量管理，我们能报组织奖吗")
    assert rd is not None and rd.applicant_type == "organization", rd


def test_an_example_method_denied_decides_nothing_and_one_said_is_part_of_the_clause(d):
    # 第七条（二）: 《卓越绩效评价准则》"等" methods, and two more requirements beside them
    reply = str(answer_json(d, "我们厂没导入卓越绩效，只通过了ISO9001，能报组织奖吗")["reply"])
    assert not reply.startswith("还不能") and "要看" in reply.split("\n")[0], reply
    reply = str(answer_json(d, "我们厂导入了卓越绩效，能报组织奖吗")["reply"])
    assert "其他要求请一并核实" in reply.split("\n")[0], reply


def test_a_clause_that_does_not_apply_says_why_instead_of_being_met(d):
    reply = str(answer_json(d, "我只是车间的质量员，不是负责人，单位前年出过重大安全事故，影响我报个人奖吗")["reply"])
    first = reply.splitlines()[0]
    assert "不影响第八条第（四）项" in first and "不适用" in first, reply
