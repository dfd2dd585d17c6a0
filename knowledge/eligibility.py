"""Eligibility self-check (第七条、第八条, 第四条/第十七条, 第二十四条) as data and one engine.

The conditions live in the pack's ``eligibility.yaml`` beside the questionnaire; every number
they compare with (5 years, 4-year validity) is a pack fact tied to its article. ``evaluate``
takes validated :class:`Facts` and returns a :class:`Verdict`: one result per clause (met, not
met, unknown) and overall ``ineligible`` if a required clause is not met, else ``uncertain``
if one is unknown, else ``eligible``. An unknown answer never makes anyone ineligible.

The engine reads no clock: ``Facts.today`` must be set by the caller (the glue takes today in
the pack's time zone).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any

from knowledge.errors import QabotError
from knowledge.pack import Pack, PackError, Ref
from knowledge.validity import reapply_from, valid_until

RULES_FILE = "eligibility.yaml"
# A sanity bound, not a legal threshold: no organisation or career is older than this.
MAX_YEARS = 200

ORGANIZATION = "organization"
INDIVIDUAL = "individual"
APPLICANT_TYPES = (ORGANIZATION, INDIVIDUAL)


class FactsError(QabotError):
    """Facts given to the self-check are malformed; the message names the key."""


class Status(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


# -- facts: the public input contract ------------------------------------------------------
@dataclass(frozen=True)
class Facts:
    """What the applicant says about itself; None means unknown (or, for dates, not given)."""

    applicant_type: str
    today: dt.date | None = None
    previously_revoked: bool | None = None
    previous_award_date: dt.date | None = None
    # Extension: true with no date means "awarded before, date not known" (clause 4 unknown);
    # left out, it follows previous_award_date.
    previously_awarded: bool | None = None
    # 第七条
    registered_in_cangzhou: bool | None = None
    years_in_operation: float | None = None
    on_abnormal_operations_list: bool | None = None
    on_serious_violation_dishonesty_list: bool | None = None
    advanced_quality_methods: bool | None = None
    outstanding_results: bool | None = None
    lawful_and_compliant: bool | None = None
    bad_credit_last_3_years: bool | None = None
    major_accident_last_3_years: bool | None = None
    quality_innovation: bool | None = None
    # 第八条
    law_abiding: bool | None = None
    years_in_quality_work: float | None = None
    quality_awareness_and_reputation: bool | None = None
    outstanding_contribution: bool | None = None
    is_unit_head: bool | None = None
    unit_bad_credit_last_3_years: bool | None = None
    unit_major_accident_last_3_years: bool | None = None

    def get(self, key: str) -> Any:
        return getattr(self, key)


FACT_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Facts))
DATE_KEYS = ("today", "previous_award_date")
NUMBER_KEYS = ("years_in_operation", "years_in_quality_work")
BOOL_KEYS = tuple(k for k in FACT_KEYS if k not in (*DATE_KEYS, *NUMBER_KEYS, "applicant_type"))
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_iso_date(key: str, value: object) -> dt.date:
    """A YYYY-MM-DD string as a date; anything else is a FactsError naming ``key``."""
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise FactsError(f"{key} 应为 YYYY-MM-DD 格式的日期，收到：{_show(value)}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FactsError(f"{key} 不是有效日期：{value}") from None


def validate_facts(raw: object) -> Facts:
    """Check a JSON object of facts and return them typed; reject anything malformed."""
    if not isinstance(raw, dict):
        raise FactsError(f"事实应为 JSON 对象，收到：{_show(raw)}")
    unknown = [k for k in raw if k not in FACT_KEYS]
    if unknown:
        raise FactsError(f"未知的键：{', '.join(map(str, unknown))}"
                         f"（可用的键：{', '.join(FACT_KEYS)}）")
    kind = raw.get("applicant_type")
    if kind not in APPLICANT_TYPES:
        raise FactsError(
            f"applicant_type 必须是 organization 或 individual，收到：{_show(kind)}")
    out: dict[str, Any] = {"applicant_type": kind}
    for key, value in raw.items():
        if key == "applicant_type" or value is None:
            continue
        if key in DATE_KEYS:
            out[key] = parse_iso_date(key, value)
        elif key in NUMBER_KEYS:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise FactsError(f"{key} 应为年数（数字），收到：{_show(value)}")
            if not math.isfinite(value) or value < 0:
                raise FactsError(f"{key} 不能为负数或非有限数，收到：{_show(value)}")
            if value > MAX_YEARS:
                raise FactsError(f"{key} 超过 {MAX_YEARS} 年，不合常理：{_show(value)}")
            out[key] = value
        else:
            if not isinstance(value, bool):
                raise FactsError(f"{key} 应为 true、false 或 null，收到：{_show(value)}")
            out[key] = value
    facts = Facts(**out)
    if facts.previously_awarded is False and facts.previous_award_date is not None:
        raise FactsError("previously_awarded 为 false，但给出了 previous_award_date，二者矛盾")
    if facts.today and facts.previous_award_date and facts.previous_award_date > facts.today:
        raise FactsError(f"previous_award_date 晚于 today（{facts.today}），请检查日期")
    return facts


def _show(value: object) -> str:
    s = repr(value)
    return s if len(s) <= 40 else s[:37] + "..."


# -- rules: clauses and questions from eligibility.yaml -------------------------------------
@dataclass(frozen=True)
class Clause:
    id: str
    applies_to: str  # organization | individual | all
    ref: Ref
    required: bool
    quote: str
    uses: tuple[str, ...]
    when: dict[str, Any]
    not_applicable_when: dict[str, Any] | None = None
    not_applicable_note: str = ""
    evidence: str = ""  # the document that would settle an unknown answer (an example)
    permanent: bool = False  # once not met, never met again (第二十四条): no date is ever given

    @property
    def label(self) -> str:
        return self.ref.label

    def applies(self, applicant_type: str) -> bool:
        return self.applies_to in ("all", applicant_type)


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    id: str
    applies_to: str
    kind: str  # choice | yesno | number | date
    text: str  # with {pack_fact} placeholders filled
    sets: tuple[str, ...]
    clause: str | None = None
    choices: tuple[Choice, ...] = ()
    ask_if: dict[str, tuple[Any, ...]] | None = None
    if_skipped: dict[str, Any] | None = None
    max: float | None = None

    def applies(self, applicant_type: str | None) -> bool:
        return self.applies_to == "all" or applicant_type in (None, self.applies_to)


@dataclass(frozen=True)
class Step:
    ref: Ref
    text: str


@dataclass(frozen=True)
class Rules:
    clauses: tuple[Clause, ...]
    questions: tuple[Question, ...]
    next_steps: tuple[Step, ...]

    def clause(self, clause_id: str) -> Clause:
        for c in self.clauses:
            if c.id == clause_id:
                return c
        raise KeyError(clause_id)

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)


_KINDS = ("choice", "yesno", "number", "date")


_RULES: dict[tuple[str, str], Rules] = {}


def load_rules(pack: Pack) -> Rules:
    """The pack's clauses and questionnaire, checked against its facts (read once per pack)."""
    key = (pack.id, str(pack.path))
    if key not in _RULES:
        _RULES[key] = _build_rules(pack)
    return _RULES[key]


def _build_rules(pack: Pack) -> Rules:
    data = pack.load_yaml(RULES_FILE)
    if not isinstance(data, dict):
        raise PackError(f"知识包 {pack.id} 缺少 {RULES_FILE}")
    values = {k: f.value for k, f in pack.facts.items()}
    clauses: list[Clause] = []
    for c in data.get("clauses") or []:
        uses = tuple(c.get("uses") or ())
        for key in uses:
            pack.fact(key)  # raises PackError naming a missing fact
        clauses.append(Clause(
            id=str(c["id"]), applies_to=str(c.get("for", "all")),
            ref=Ref(int(c["article"]), c.get("item")), required=bool(c.get("required", True)),
            quote=str(c["quote"]), uses=uses, when=c["when"],
            not_applicable_when=c.get("not_applicable_when"),
            not_applicable_note=str(c.get("not_applicable_note", "")),
            evidence=_fill(str(c.get("evidence", "")), values, f"条件 {c['id']}"),
            permanent=bool(c.get("permanent", False))))
    questions: list[Question] = []
    for q in data.get("questions") or []:
        if q.get("kind") not in _KINDS:
            raise PackError(f"{RULES_FILE}: 问题 {q.get('id')} 的 kind 无效：{q.get('kind')}")
        text = _fill(str(q["text"]), values, f"问题 {q['id']}")
        ask_if = {str(k): tuple(v) if isinstance(v, list) else (v,)
                  for k, v in (q.get("ask_if") or {}).items()} or None
        questions.append(Question(
            id=str(q["id"]), applies_to=str(q.get("for", "all")), kind=str(q["kind"]),
            text=text, sets=tuple(q.get("sets") or ()),
            clause=str(q["clause"]) if q.get("clause") is not None else None,
            choices=tuple(Choice(str(ch["value"]), str(ch["label"]),
                                 tuple(ch.get("words") or ())) for ch in q.get("choices") or ()),
            ask_if=ask_if, if_skipped=q.get("if_skipped"), max=q.get("max")))
    steps = tuple(Step(Ref(int(st["article"])), _fill(str(st["text"]), values, "next_steps"))
                  for st in data.get("next_steps") or ())
    return Rules(tuple(clauses), tuple(questions), steps)


def _fill(text: str, values: dict[str, Any], where: str) -> str:
    try:
        return text.format_map(values)
    except KeyError as e:
        raise PackError(f"{RULES_FILE}: {where} 引用了不存在的事实 {e}") from None


# -- the engine ---------------------------------------------------------------------------
Tri = bool | None  # three-valued: True, False, None (unknown)


@dataclass(frozen=True)
class ClauseResult:
    id: str
    label: str
    required: bool
    status: Status
    text: str  # the clause as quoted from the measures
    note: str = ""  # why, when there is more to say (a shortfall, a date, 不适用)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "required": self.required,
                "status": str(self.status), "text": self.text, "note": self.note}


@dataclass(frozen=True)
class Verdict:
    verdict: str  # eligible | ineligible | uncertain
    applicant_type: str
    clauses: tuple[ClauseResult, ...]
    priority: bool
    reapply_from: dt.date | None = None
    valid_until: dt.date | None = None

    @property
    def failed(self) -> list[str]:
        return [c.id for c in self.clauses if c.required and c.status is Status.NOT_MET]

    @property
    def unknown(self) -> list[str]:
        return [c.id for c in self.clauses if c.required and c.status is Status.UNKNOWN]

    def clause(self, clause_id: str) -> ClauseResult:
        return next(c for c in self.clauses if c.id == clause_id)

    def to_json(self) -> dict[str, Any]:
        """The public JSON shape of ``qabot selfcheck --json``."""
        return {
            "verdict": self.verdict,
            "failed": self.failed,
            "unknown": self.unknown,
            "priority": self.priority,
            "reapply_from": self.reapply_from.isoformat() if self.reapply_from else None,
            "clauses": [c.to_json() for c in self.clauses],
        }

    def summary(self) -> str:
        """The verdict in one Chinese sentence, naming the clauses it rests on."""
        labels = {c.id: c.label for c in self.clauses}
        if self.verdict == "ineligible":
            failed = "、".join(labels[i] for i in self.failed)
            return f"按您的回答，不符合{failed}，目前不具备申报资格。"
        if self.verdict == "uncertain":
            unknown = "、".join(labels[i] for i in self.unknown)
            return f"按您的回答，未发现不符合的条件，但{unknown}尚不确定，请核实后再判断。"
        return "按您的回答，符合全部基本条件，可以申报。"


def evaluate(facts: Facts, pack: Pack) -> Verdict:
    """Judge the facts against the pack's clauses; ``facts.today`` must be set."""
    if facts.today is None:
        raise FactsError("today 未设置")
    if facts.previous_award_date and facts.previous_award_date > facts.today:
        raise FactsError(f"previous_award_date 晚于 today（{facts.today}），请检查日期")
    rules = load_rules(pack)
    ctx = _Context(facts, pack)
    results: list[ClauseResult] = []
    for clause in rules.clauses:
        if not clause.applies(facts.applicant_type):
            continue
        ctx.notes = []
        status = ctx.check(clause.when)
        if clause.not_applicable_when is not None and status is not True:
            na = ctx.check(clause.not_applicable_when)
            if na is True:
                status = True
                ctx.notes = [clause.not_applicable_note or "本项不适用"]
            elif na is None and status is False:
                status = None
        results.append(ClauseResult(clause.id, clause.label, clause.required, _status(status),
                                    clause.quote, "；".join(ctx.notes)))
    required = [r for r in results if r.required]
    if any(r.status is Status.NOT_MET for r in required):
        verdict = "ineligible"
    elif any(r.status is Status.UNKNOWN for r in required):
        verdict = "uncertain"
    else:
        verdict = "eligible"
    priority = any(not r.required and r.status is Status.MET for r in results)
    years = int(pack.value("validity_years"))
    until = valid_until(facts.previous_award_date, years) if facts.previous_award_date else None
    again = reapply_from(facts.previous_award_date, years) if facts.previous_award_date else None
    return Verdict(verdict, facts.applicant_type, tuple(results), priority, again, until)


def _status(value: Tri) -> Status:
    return Status.UNKNOWN if value is None else (Status.MET if value else Status.NOT_MET)


class _Context:
    def __init__(self, facts: Facts, pack: Pack) -> None:
        self.facts = facts
        self.pack = pack
        self.notes: list[str] = []

    def check(self, cond: dict[str, Any]) -> Tri:
        if "all" in cond:
            return _all(self.check(c) for c in cond["all"])
        if "any" in cond:
            return _any(self.check(c) for c in cond["any"])
        if "award_expired" in cond:
            return self._award_expired(str(cond["award_expired"]))
        key = str(cond["fact"])
        value = self.facts.get(key)
        if value is None:
            return None
        if "is" in cond:
            return bool(value == cond["is"])
        if "at_least" in cond:
            minimum = self.pack.value(str(cond["at_least"]))
            if value < minimum:
                self.notes.append(f"{_num(value)}年，不足{minimum}年")
                return False
            return True
        raise PackError(f"{RULES_FILE}: 无法理解的条件 {cond}")

    def _award_expired(self, validity_key: str) -> Tri:
        f = self.facts
        if f.previous_award_date is None:
            if f.previously_awarded:
                self.notes.append("曾获奖但获奖日期不详，无法判断有效期是否已满")
                return None
            return True
        years = int(self.pack.value(validity_key))
        until = valid_until(f.previous_award_date, years)
        again = reapply_from(f.previous_award_date, years)
        if f.today is not None and f.today <= until:
            self.notes.append(f"上次获奖有效期至{until.isoformat()}，{again.isoformat()}起可再次申报")
            return False
        self.notes.append(f"上次获奖有效期已于{until.isoformat()}届满，可再次申报")
        return True


def _all(values: Any) -> Tri:
    vals = list(values)
    if any(v is False for v in vals):
        return False
    return None if any(v is None for v in vals) else True


def _any(values: Any) -> Tri:
    vals = list(values)
    if any(v is True for v in vals):
        return True
    return None if any(v is None for v in vals) else False


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def with_today(facts: Facts, today: dt.date) -> Facts:
    """The facts with ``today`` filled in when the input left it out."""
    return facts if facts.today is not None else replace(facts, today=today)
