"""Eligibility self-check (第七条、第八条, 第四条/第十七条, 第二十四条) as data and one engine.

The conditions live in the pack's ``eligibility.yaml`` beside the questionnaire; every number
they compare with (5 years, 4-year validity) is a pack fact tied to its article. ``evaluate``
takes validated :class:`Facts` and returns a :class:`Verdict`: one result per clause (met, not
met, unknown) and overall ``ineligible`` if a required clause is not met, else ``uncertain``
if one is unknown, else ``eligible``. An unknown answer never makes anyone ineligible.

第二十四条 is permanent: a clause marked ``permanent`` (24: 今后不得申报) that is not met
makes the applicant *barred*: the verdict names no date, no "目前", no next step and no
priority (``reapply_from`` is None and ``priority`` False whenever the verdict is ineligible).
Every sentence the verdict states comes from the pack's register of legal claims
(``claims.yaml``); each clause carries ``evidence``, the documents that would settle it.

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

from knowledge.claims import load_claims
from knowledge.errors import QabotError
from knowledge.pack import Pack, PackError, Ref
from knowledge.validity import MAX_YEAR, MIN_YEAR, period

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
    # Not a key of its own: set when the input says ``"previously_awarded": null`` (asked and
    # answered 不确定). Left out, previously_awarded follows previous_award_date as before.
    previously_awarded_unknown: bool = False

    def get(self, key: str) -> Any:
        return getattr(self, key)


_INTERNAL = ("previously_awarded_unknown",)
FACT_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Facts) if f.name not in _INTERNAL)
DATE_KEYS = ("today", "previous_award_date")
NUMBER_KEYS = ("years_in_operation", "years_in_quality_work")
BOOL_KEYS = tuple(k for k in FACT_KEYS if k not in (*DATE_KEYS, *NUMBER_KEYS, "applicant_type"))
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_iso_date(key: str, value: object) -> dt.date:
    """A YYYY-MM-DD string as a date; anything else is a FactsError naming ``key``."""
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise FactsError(f"{key} 应为 YYYY-MM-DD 格式的日期，收到：{_show(value)}")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise FactsError(f"{key} 不是有效日期：{value}") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise FactsError(f"{key} 的年份 {day.year} 超出范围（应在 {MIN_YEAR} 至 {MAX_YEAR} 年之间）")
    return day


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
    if "previously_awarded" in raw and raw["previously_awarded"] is None:
        out["previously_awarded_unknown"] = "previous_award_date" not in out
    facts = Facts(**out)
    if facts.previously_awarded is False and facts.previous_award_date is not None:
        raise FactsError("previously_awarded 为 false，但给出了 previous_award_date，二者矛盾")
    if facts.previously_awarded is False and facts.previously_revoked is True:
        # someone never awarded cannot have had an award revoked
        raise FactsError("previously_awarded 为 false，但 previously_revoked 为 true，二者矛盾")
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
    # once not met, never met again (第二十四条: 今后不得申报): the result names no date, no
    # next step and no priority
    permanent: bool = False

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
    # the wording per applicant type where it differs (您 / 贵单位); `text` otherwise
    texts: tuple[tuple[str, str], ...] = ()
    # a number question: the pack value its clause compares with (以上含本数), so an
    # approximate answer (5年左右) at that boundary is asked again instead of counted as met
    at_least: float | None = None

    def applies(self, applicant_type: str | None) -> bool:
        return self.applies_to == "all" or applicant_type in (None, self.applies_to)

    def text_for(self, applicant_type: str | None) -> str:
        """The question as put to this kind of applicant."""
        return dict(self.texts).get(str(applicant_type), self.text)


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
    by_id = {c.id: c for c in clauses}
    questions: list[Question] = []
    for q in data.get("questions") or []:
        if q.get("kind") not in _KINDS:
            raise PackError(f"{RULES_FILE}: 问题 {q.get('id')} 的 kind 无效：{q.get('kind')}")
        raw_text = q["text"]
        texts: tuple[tuple[str, str], ...] = ()
        if isinstance(raw_text, dict):
            texts = tuple((str(k), _fill(str(v), values, f"问题 {q['id']}"))
                          for k, v in raw_text.items())
            text = texts[0][1]
        else:
            text = _fill(str(raw_text), values, f"问题 {q['id']}")
        ask_if = {str(k): tuple(v) if isinstance(v, list) else (v,)
                  for k, v in (q.get("ask_if") or {}).items()} or None
        clause_id = str(q["clause"]) if q.get("clause") is not None else None
        at_least = None
        if q.get("kind") == "number" and clause_id in by_id:
            key = _threshold(by_id[clause_id].when, tuple(q.get("sets") or ()))
            at_least = float(pack.value(key)) if key else None
        questions.append(Question(
            id=str(q["id"]), applies_to=str(q.get("for", "all")), kind=str(q["kind"]),
            text=text, sets=tuple(q.get("sets") or ()), clause=clause_id,
            choices=tuple(Choice(str(ch["value"]), str(ch["label"]),
                                 tuple(ch.get("words") or ())) for ch in q.get("choices") or ()),
            ask_if=ask_if, if_skipped=q.get("if_skipped"), max=q.get("max"), texts=texts,
            at_least=at_least))
    steps = tuple(Step(Ref(int(st["article"])), _fill(str(st["text"]), values, "next_steps"))
                  for st in data.get("next_steps") or ())
    return Rules(tuple(clauses), tuple(questions), steps)


def _threshold(cond: dict[str, Any], facts: tuple[str, ...]) -> str | None:
    """The pack fact a number fact is compared with in a clause's condition."""
    for sub in cond.get("all") or cond.get("any") or ():
        if found := _threshold(sub, facts):
            return found
    if cond.get("fact") in facts and "at_least" in cond:
        return str(cond["at_least"])
    return None


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
    # what a reader is shown: the quote, or for 第四条/第二十四条 what was checked
    # (未曾被撤销…), never the bare ban next to a ✅
    shown: str = ""
    evidence: str = ""  # the documents that would settle it (信用报告…)

    def to_json(self, detail: bool = False) -> dict[str, Any]:
        """The public JSON of a clause; ``detail`` adds ``shown`` and ``evidence``."""
        out: dict[str, Any] = {"id": self.id, "label": self.label, "required": self.required,
                               "status": str(self.status), "text": self.text, "note": self.note}
        if detail:
            out.update(shown=self.shown or self.text, evidence=self.evidence)
        return out


@dataclass(frozen=True)
class Verdict:
    verdict: str  # eligible | ineligible | uncertain
    applicant_type: str
    clauses: tuple[ClauseResult, ...]
    priority: bool
    reapply_from: dt.date | None = None
    valid_until: dt.date | None = None
    barred: bool = False  # 第二十四条: 今后不得申报 (no date, no next step, no priority)
    headline: str = ""  # the verdict in one sentence, from the register of legal claims

    @property
    def failed(self) -> list[str]:
        return [c.id for c in self.clauses if c.required and c.status is Status.NOT_MET]

    @property
    def unknown(self) -> list[str]:
        return [c.id for c in self.clauses if c.required and c.status is Status.UNKNOWN]

    def clause(self, clause_id: str) -> ClauseResult:
        return next(c for c in self.clauses if c.id == clause_id)

    def to_json(self, detail: bool = False) -> dict[str, Any]:
        """The public JSON shape of ``qabot selfcheck --json`` (``detail``: per clause also
        ``shown`` and ``evidence``, and ``barred`` and ``summary`` for the whole)."""
        out: dict[str, Any] = {
            "verdict": self.verdict,
            "failed": self.failed,
            "unknown": self.unknown,
            "priority": self.priority,
            "reapply_from": self.reapply_from.isoformat() if self.reapply_from else None,
            "clauses": [c.to_json(detail) for c in self.clauses],
        }
        if detail:
            out.update(barred=self.barred, summary=self.summary())
        return out

    def summary(self) -> str:
        """The verdict in one Chinese sentence, naming the clauses it rests on."""
        return self.headline


def evaluate(facts: Facts, pack: Pack) -> Verdict:
    """Judge the facts against the pack's clauses; ``facts.today`` must be set."""
    if facts.today is None:
        raise FactsError("today 未设置")
    if facts.previous_award_date and facts.previous_award_date > facts.today:
        raise FactsError(f"previous_award_date 晚于 today（{facts.today}），请检查日期")
    rules = load_rules(pack)
    claims = load_claims(pack)
    ctx = _Context(facts, pack)
    results: list[ClauseResult] = []
    barred = False
    for clause in rules.clauses:
        if not clause.applies(facts.applicant_type):
            continue
        ctx.notes = []
        status = ctx.check(clause.when)
        if clause.not_applicable_when is not None and status is not True:
            na = ctx.check(clause.not_applicable_when)
            if na is True:
                status = True
                note = clause.not_applicable_note or "本项不适用"
                ctx.notes = [claims.text(note) if note in claims else note]
            elif na is None and status is False:
                status = None
        result = _status(status)
        barred = barred or (clause.required and clause.permanent
                            and result is Status.NOT_MET)
        shown_id = f"clause.{clause.id}.{result}"
        shown = claims.text(shown_id) if shown_id in claims else clause.quote
        results.append(ClauseResult(clause.id, clause.label, clause.required, result,
                                    clause.quote, "；".join(ctx.notes), shown, clause.evidence))
    if barred:  # what a barred applicant is shown: no "valid until", no priority
        results = [replace(r, shown=claims.text(f"clause.{r.id}.barred"))
                   if f"clause.{r.id}.barred" in claims else r for r in results]
    required = [r for r in results if r.required]
    if any(r.status is Status.NOT_MET for r in required):
        verdict = "ineligible"
    elif any(r.status is Status.UNKNOWN for r in required):
        verdict = "uncertain"
    else:
        verdict = "eligible"
    # Priority (第七条（五）) and a date to apply again only speak to someone who may apply:
    # never with an ineligible verdict, above all never to a barred one (第二十四条).
    priority = verdict != "ineligible" and any(
        not r.required and r.status is Status.MET for r in results)
    until = again = None
    if facts.previous_award_date and verdict != "ineligible":
        p = period(pack)
        until = p.valid_until(facts.previous_award_date)
        again = p.reapply_from(facts.previous_award_date)
    labels = {r.id: r.label for r in results}
    failed = [r.id for r in required if r.status is Status.NOT_MET]
    unknown = [r.id for r in required if r.status is Status.UNKNOWN]
    if barred:
        headline = claims.text("selfcheck.verdict.barred")
    elif verdict == "ineligible":
        headline = claims.text("selfcheck.verdict.ineligible",
                               failed="、".join(labels[i] for i in failed))
    elif verdict == "uncertain":
        headline = claims.text("selfcheck.verdict.uncertain",
                               unknown="、".join(labels[i] for i in unknown))
    else:
        headline = claims.text("selfcheck.verdict.eligible")
    return Verdict(verdict, facts.applicant_type, tuple(results), priority, again, until,
                   barred, headline)


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
            return cond.get("if_unknown")
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
        claims = load_claims(self.pack)
        if f.previous_award_date is None:
            if f.previously_awarded:
                self.notes.append(claims.text("note.4.date_unknown"))
                return None
            if f.previously_awarded_unknown:
                self.notes.append(claims.text("note.4.award_unknown"))
                return None
            if f.previously_awarded is False:
                self.notes.append(claims.text("note.4.never_awarded"))
            return True
        p = period(self.pack)  # validity_years, counted by the pack's rule
        until = p.valid_until(f.previous_award_date)
        again = p.reapply_from(f.previous_award_date)
        within = f.today is not None and f.today <= until
        if f.previously_revoked:
            pass  # 第二十四条: no date and no "可再次申报" for an award that was revoked
        elif within:
            self.notes.append(claims.text("note.4.within", until=until.isoformat(),
                                          again=again.isoformat()))
        else:
            self.notes.append(claims.text("note.4.expired", until=until.isoformat()))
        return not within


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
