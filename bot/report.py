"""The 预审单: a self-check result as a record an applicant can print and take to the office.

Built from what the questionnaire already has (the rules, the answers, the verdict), for
channels that can show more than a chat message (the web page prints it on A4). Each clause
comes with the answers given for it and its article; an unknown clause names a document that
would settle it; a clause missed only because not enough time has passed names the date from
which it will be met (``2027-03-01 起满足第七条第（一）项``), found by asking the rules
themselves about later days, so the dates follow whatever counting the rules use. A clause
that can never be met again (第二十四条) suppresses every date: a ban is never paired with one.

Nothing here is stored: the report travels in the reply and lives in the user's browser.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from knowledge.eligibility import Facts, Question, Rules, Status, Verdict, evaluate
from knowledge.pack import Pack

# -- user-facing text, kept together for review ----------------------------------------------
T_TITLE = "{award}申报资格预审单"
T_STATUS = {"met": "符合", "not_met": "不符合", "unknown": "待核实"}
T_YES, T_NO, T_UNSURE = "是", "否", "不确定"
T_YEARS = "{n} 年"
T_NEVER = "没有"
T_AWARDED_DATE_UNKNOWN = "获得过，日期不确定"
T_AWARD_UNSURE = "不确定是否获得过"
T_SKIPPED = "未问（不适用）"
T_MET_FROM = "{date} 起满足{label}"
T_MET_FROM_BASIS = "（按您填写的年数推算，以证明材料为准）"
T_EARLIEST = "如其他回答不变，{date} 起上述时间条件全部满足。"
T_EVIDENCE_NOTE = ("以下材料为举例，实际需提交的材料以当年申报通知和《沧州市政府质量奖申报表》的要求"
                   "为准（第十一条）。")
T_DISCLAIMER = ("本预审单只根据您的回答作初步判断，仅供参考，不代替正式的资格审查（第十二条）。"
                "您的回答没有保存在服务器上。")

# Searching for the day a time condition is met: no applicant waits longer than this.
HORIZON_YEARS = 100


def build_report(rules: Rules, answers: dict[str, Any], facts: Facts, verdict: Verdict,
                 pack: Pack) -> dict[str, Any]:
    """The 预审单 as JSON-ready data: clauses with answers, documents and dates."""
    today = facts.today
    assert today is not None
    barred = any(c.status is Status.NOT_MET and rules.clause(c.id).permanent
                 for c in verdict.clauses)
    clauses = []
    dates: list[dt.date] = []
    for c in verdict.clauses:
        if barred and not c.required:
            continue  # no priority to an applicant barred for good (第二十四条)
        rule = rules.clause(c.id)
        met_from = None
        if c.status is Status.NOT_MET and not barred and not rule.permanent:
            met_from = _met_from(c.id, facts, rules, pack)
        if met_from is not None and c.required:
            dates.append(met_from)
        clauses.append({
            "id": c.id,
            "label": c.label,
            "article": rule.ref.article,
            "required": c.required,
            "status": str(c.status),
            "status_text": T_STATUS[str(c.status)],
            "text": c.shown or c.text,  # what was checked (第二十四条: not the bare ban)
            "note": c.note,
            "answers": [{"question": q.text_for(verdict.applicant_type),
                         "answer": _answer_text(q, answers)}
                        for q in rules.questions
                        if q.clause == c.id and q.applies(verdict.applicant_type)
                        and not _other_wording_answered(q, rules, answers)],
            "evidence": rule.evidence if c.status is Status.UNKNOWN else "",
            "met_from": met_from.isoformat() if met_from else None,
            "met_from_text": (T_MET_FROM.format(date=met_from.isoformat(), label=c.label)
                              + (T_MET_FROM_BASIS if _ages(rule.when) else ""))
            if met_from else "",
        })
    failed = [c for c in clauses if c["required"] and c["status"] == "not_met"]
    earliest = None
    if failed and all(c["met_from"] for c in failed):
        earliest = max(dates).isoformat()
    kind = next((q for q in rules.questions if q.kind == "choice"), None)
    return {
        "title": T_TITLE.format(award=pack.award_name),
        "measures": f"《{pack.title}》（{pack.doc_number}）",
        "date": today.isoformat(),
        "applicant": _answer_text(kind, answers) if kind else verdict.applicant_type,
        "verdict": verdict.verdict,
        "summary": verdict.summary(),
        "clauses": clauses,
        "unknown": [{"label": c["label"], "evidence": c["evidence"]}
                    for c in clauses if c["status"] == "unknown" and c["required"]],
        "earliest": T_EARLIEST.format(date=earliest) if earliest else "",
        "evidence_note": T_EVIDENCE_NOTE,
        "next_steps": [] if barred else [f"{st.text}（{st.ref.label}）"
                                         for st in rules.next_steps],
        "disclaimer": T_DISCLAIMER,
    }


def _other_wording_answered(q: Question, rules: Rules, answers: dict[str, Any]) -> bool:
    """Another wording of the same question (same clause and facts) was the one asked."""
    return q.id not in answers and any(
        o.id != q.id and o.id in answers and (o.clause, o.sets) == (q.clause, q.sets)
        for o in rules.questions)


def _answer_text(q: Question, answers: dict[str, Any]) -> str:
    if q.id not in answers:
        return T_SKIPPED
    value = answers[q.id]
    if q.kind == "choice":
        return next((c.label for c in q.choices if c.value == value), str(value))
    if q.kind == "yesno":
        return T_UNSURE if value is None else (T_YES if value else T_NO)
    if q.kind == "number":
        if value is None:
            return T_UNSURE
        return T_YEARS.format(n=int(value) if float(value).is_integer() else value)
    if value is None:
        return T_AWARD_UNSURE
    if value == "none":
        return T_NEVER
    if value == "unknown":
        return T_AWARDED_DATE_UNKNOWN
    return str(value)


# -- the day a time condition is met -------------------------------------------------------
def _ages(cond: dict[str, Any]) -> set[str]:
    """The number facts (years of something) a condition compares with a minimum."""
    if "all" in cond or "any" in cond:
        return set().union(*(_ages(c) for c in cond.get("all") or cond.get("any") or []))
    return {str(cond["fact"])} if "at_least" in cond else set()


def _months_between(start: dt.date, end: dt.date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (1 if end.day < start.day else 0)


def _facts_on(facts: Facts, day: dt.date, aging: set[str]) -> Facts:
    """The facts as they will be on ``day``: years of operation or work grow with time."""
    assert facts.today is not None
    grown = _months_between(facts.today, day) / 12
    changes: dict[str, Any] = {"today": day}
    for key in aging:
        value = facts.get(key)
        if value is not None:
            changes[key] = value + grown
    return replace(facts, **changes)


def _met_from(clause_id: str, facts: Facts, rules: Rules, pack: Pack) -> dt.date | None:
    """The first day the clause is met if nothing but time changes; None if time never helps."""
    assert facts.today is not None
    aging = set().union(*(_ages(c.when) for c in rules.clauses))

    def met(day: dt.date) -> bool:
        return evaluate(_facts_on(facts, day, aging), pack).clause(clause_id).status is Status.MET

    lo = facts.today
    hi = dt.date(min(lo.year + HORIZON_YEARS, dt.MAXYEAR), lo.month, min(lo.day, 28))
    if not met(hi):
        return None
    while (hi - lo).days > 1:  # met(hi) holds, met(lo) does not: time only ever helps
        mid = lo + (hi - lo) / 2
        if met(mid):
            hi = mid
        else:
            lo = mid
    return hi
