"""Questions that state facts get the rules' verdict: 公司成立四年半能报吗, 干了六年质检能报个人奖吗,
2021年12月拿的奖现在还能用吗, 前年出过安全事故还能申报吗.

The facts a question states (numbers of years, dates, an event and when it happened, a list
the applicant is on, a revoked award) are read with the pack's ``facts.yaml`` into the
self-check's :class:`~knowledge.eligibility.Facts`; the verdict comes from the same engine
(:func:`~knowledge.eligibility.evaluate`) and validity rule (:func:`~knowledge.validity.assess`)
as ``/selfcheck`` and ``/status``. Nothing here re-states a rule: thresholds, windows and
validity come from the pack through the engine.

A fact read vaguely (七八年, 2017年注册 without a month, 比较大的事故, 上过异常名录) is tried
both ways; when the engine's answer differs between them the verdict is "it depends" and the
missing fact is named. A clause the question only partly speaks to (年限 of 第八条（一）, which
also asks 遵纪守法) is judged on what was said, with the rest of the clause taken as met, and
the answer says so.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field, replace
from typing import Any

from knowledge.eligibility import (
    INDIVIDUAL,
    ORGANIZATION,
    FactsError,
    Verdict,
    evaluate,
    load_rules,
    validate_facts,
)
from knowledge.lexicon import normalize
from knowledge.numerals import CN_NUMERAL, find_years, to_int
from knowledge.pack import Pack
from knowledge.validity import add_years, assess_for

# a full stop ends a clause; a decimal point (4.9年) does not
_CLAUSE_SPLIT = re.compile(r"(?:[，。？！,?!；;\s]|(?<![0-9])\.|\.(?![0-9]))+")
_NUM = rf"[0-9]+(?:\.[0-9]+)?|[{CN_NUMERAL}]+"
_YEAR = re.compile(
    r"(?P<y>(?:19|20)[0-9]{2})\s*年(?:度)?(?:\s*(?P<m>[0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*月)?"
    r"(?:\s*(?P<d>[0-9]{1,2})\s*[日号])?")
_RELATIVE = {"今年": 0, "去年": 1, "前年": 2, "大前年": 3}
_YEARS_AGO = re.compile(rf"(?P<n>{_NUM})\s*年(?:以)?前")
_RECENT_YEARS = re.compile(rf"(?:近|最近|这)(?P<n>{_NUM})?\s*(?:几)?年")
_NOT_WON = re.compile(r"(?:没有|没|未|不|落)$|没能$|未能$")
_NEGATION = re.compile(r"(?:没有|没|未|从未|从没|不|无)(?:被|有)?(?:列入|列进|纳入|上过|上|进过|进|在|出过|发生过|有过)?$")


@dataclass(frozen=True)
class Finding:
    """What the rules say about one clause, given what the question stated."""

    clause: str  # clause id of eligibility.yaml ("7.1", "8.1", "4", "24")
    label: str  # 第七条第（一）项
    status: str  # met | not_met | depends (stated facts decide it either way or not)
    partial: bool  # the question spoke to part of the clause; the rest was taken as met
    stated: str  # what the question said, as read (4.5年, 2017年注册)
    note: str  # the engine's note (4.5年，不足5年)


@dataclass(frozen=True)
class Reading:
    """The facts a question states and the verdict of the rules on them."""

    topic: str  # eligibility | validity | revoked
    applicant_type: str
    findings: tuple[Finding, ...]
    missing: tuple[str, ...]  # what to confirm, in Chinese (确切的注册日期)
    engine_facts: tuple[dict[str, Any], ...]  # every fact set given to the engine
    article: int
    items: tuple[int, ...]
    validity: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """no | depends | yes: the answer to "may I" on what was said."""
        if any(f.status == "not_met" for f in self.findings):
            return "no"
        if any(f.status == "depends" for f in self.findings):
            return "depends"
        return "yes"


@dataclass(frozen=True)
class _Stated:
    key: str
    values: tuple[Any, ...]  # one value, or both ends / both readings of a vague statement
    stated: str
    missing: str = ""
    # one part of a clause of several said to be met (推行了卓越绩效 of 第七条（二）, which also
    # asks 不断创新… and 质量管理体系健全有效): met as far as it goes
    partial: bool = False


class FactReader:
    """Reads stated facts with the pack's facts.yaml; judges them with the pack's rules."""

    def __init__(self, pack: Pack, other_places: list[str], inside: list[str]) -> None:
        self.pack = pack
        data: dict[str, Any] = pack.load_yaml("facts.yaml") or {}
        self.data = data
        self.award_names = {str(k): normalize(str(v))
                            for k, v in (data.get("award_names") or {}).items()}
        self.applicant = {k: [normalize(w) for w in v or []]
                          for k, v in (data.get("applicant") or {}).items()}
        self.years = data.get("years") or {}
        self.flags = data.get("flags") or {}
        self.events = data.get("events") or {}
        self.award_words = [normalize(w) for w in data.get("award") or []]
        self.validity_asks = [normalize(w) for w in data.get("validity_asks") or []]
        self.reapply_asks = [normalize(w) for w in data.get("reapply_asks") or []]
        self.use_asks = [normalize(w) for w in data.get("use_asks") or []]
        # the articles a validity verdict quotes (the validity; may one apply again; may one
        # still use the honour)
        self.validity_articles = {str(k): int(v) for k, v in
                                  (data.get("validity_articles") or {}).items()}
        self.application_words = [normalize(w) for w in data.get("application_date_words") or []]
        self.eligibility_asks = [normalize(w) for w in data.get("eligibility_asks") or []]
        self.after_award = [normalize(w) for w in data.get("after_award") or []]
        self.applying_words = [normalize(w) for w in data.get("applying") or []]
        self.not_applying = [normalize(w) for w in data.get("not_applying") or []]
        # an award won, or applying again, using the title or the money: not a first application
        self._not_first_application = (*self.award_words, *self.after_award, *self.not_applying)
        self.other_places = other_places
        self._patterns: dict[str, tuple[re.Pattern[str] | None, set[str]]] = {}
        self.inside = inside

    # -- reading --------------------------------------------------------------------------
    def read(self, text: str, today: dt.date) -> Reading | None:
        """The stated facts of a normalised question and the rules' verdict, or None."""
        clauses = [c for c in _CLAUSE_SPLIT.split(text) if c]
        stated: list[_Stated] = []
        kind = self._applicant(text)
        revoked = self._flag("previously_revoked", text)
        award = self._award_date(clauses, today)
        hypothetical = [normalize(w) for w in
                        (self.flags.get("previously_revoked") or {}).get("hypothetical") or []]
        if (revoked is not None and revoked.values == (True,)
                and any(w in text for w in self.reapply_asks + self.eligibility_asks)
                and not any(w in text for w in hypothetical)):
            return self._judge("revoked", kind or ORGANIZATION, [revoked], today)
        if (revoked is not None and revoked.values == (True,)
                and any(w in text for w in self.use_asks)
                and not any(w in text for w in hypothetical)):
            # 奖被撤了，还能用荣誉称号吗: 第二十四条 took the award back, whatever its dates
            return replace(self._judge("revoked", kind or ORGANIZATION, [revoked], today),
                           topic="revoked_use")
        if award is not None and any(w in text for w in self.validity_asks + self.reapply_asks):
            return self._validity(kind or ORGANIZATION, award, text, today,
                                  self._use_date(clauses, award, today))
        if not any(w in text for w in self.eligibility_asks) or any(
                w in text for w in self.after_award):
            return None
        for key, spec in self.years.items():
            s = self._years(key, spec, clauses, today)
            if s is not None:
                stated.append(s)
        for key in self.flags:
            if key == "previously_revoked":
                continue
            s = self._flag(key, text)
            if s is not None:
                stated.append(s)
        application = self._application_date(clauses, today)
        for key, spec in self.events.items():
            s = self._event(key, spec, clauses, today, application)
            if s is not None:
                stated.append(s)
        if not stated:
            return None
        head = next((s for s in stated if s.key == "is_unit_head"), None)
        if head is not None and "我" in text and kind != INDIVIDUAL:
            kind = INDIVIDUAL  # 我是/我不是单位负责人: a person, about the individual prize
            stated = [s for s in stated if s.key != "is_unit_head"] + [head]
            for key in ("unit_bad_credit_last_3_years", "unit_major_accident_last_3_years"):
                if key in self.events and not any(s.key == key for s in stated):
                    s2 = self._event(key, self.events[key], clauses, today, application)
                    if s2 is not None:
                        stated.append(s2)
        if kind is None:
            fors = {self._for(s.key) for s in stated} - {"all"}
            kind = fors.pop() if len(fors) == 1 else ORGANIZATION
        stated = [s for s in stated if self._for(s.key) in ("all", kind)
                  and s.key != "is_unit_head"] + [s for s in stated if s.key == "is_unit_head"
                                                   and kind == INDIVIDUAL]
        if not any(s.key != "is_unit_head" for s in stated):
            return None
        return self._judge("eligibility", kind, stated, today)

    def asks_applying(self, text: str) -> bool:
        """The normalised question asks whether one may apply and says of no award won
        (我们公司去年亏损了，能申报吗): the conditions answer it, not what happens to winners."""
        return (any(w in text for w in self.applying_words)
                and not any(w in text for w in self._not_first_application))

    def states_facts(self, text: str, today: dt.date) -> bool:
        """The normalised text states a fact the rules read (years, a record, being the head
        of the unit), whatever it asks: 俺就是个普通工人不是领导，也中吗."""
        clauses = [c for c in _CLAUSE_SPLIT.split(text) if c]
        application = self._application_date(clauses, today)
        found = [*(self._years(k, spec, clauses, today) for k, spec in self.years.items()),
                 *(self._flag(k, text) for k in self.flags if k != "previously_revoked"),
                 *(self._event(k, spec, clauses, today, application)
                   for k, spec in self.events.items())]
        # (ISO9001认证去哪办 names an example of a method: it decides nothing)
        return any(s is not None and not s.missing for s in found)

    def _for(self, key: str) -> str:
        spec = self.years.get(key) or self.events.get(key) or self.flags.get(key) or {}
        return str(spec.get("for", "all"))

    def _applicant(self, text: str) -> str | None:
        named = [k for k, name in self.award_names.items() if name in text]
        if len(named) == 1:
            return named[0]  # 我干了3年质检，能报组织奖吗: the prize named decides
        if any(w in text for w in self.applicant.get(INDIVIDUAL, [])):
            return INDIVIDUAL
        if any(w in text for w in self.applicant.get(ORGANIZATION, [])):
            return ORGANIZATION
        return None

    def _years(self, key: str, spec: dict[str, Any], clauses: list[str],
               today: dt.date) -> _Stated | None:
        words = [normalize(w) for w in spec.get("words") or []]
        # 我是个质检员，干了六年: the work named in one clause, its years in the next
        # (俺这厂子小 一年也就几百万的产值: a year of output, no years of work)
        joined = [f"{a}，{b}" for a, b in zip(clauses, clauses[1:], strict=False)
                  if any(w in a for w in words) and not any(w in b for w in words)
                  and _WORKED.match(b) and find_years(b) and not find_years(a)]
        for c in [*clauses, *joined]:
            if not any(w in c for w in words):
                continue
            # the one reader of a number of years (knowledge.numerals, as in /selfcheck): an
            # approximation (快5年, 5年左右, 四五年, 4到6年) is a range tried at both ends
            if found := find_years(c):
                said, years = found
                ends = years.ends()
                return _Stated(key, ends, said, _MISSING_YEARS if len(ends) > 1 else "")
            if key == "years_in_operation" and (m := _YEAR.search(c)):
                start_lo, start_hi = _date_range(m)
                lo = _years_between(start_hi, today)
                hi = _years_between(start_lo, today)
                if start_lo > today:
                    continue
                said = m.group(0) + "注册" if "注册" in c else m.group(0) + "成立"
                if round(lo, 2) == round(hi, 2):
                    return _Stated(key, (round(lo, 2),), said)
                return _Stated(key, (round(lo, 2), round(hi, 2)), said, _MISSING_START)
        return None

    def _flag(self, key: str, text: str) -> _Stated | None:
        spec = self.flags.get(key) or {}
        if key == "registered_in_cangzhou":
            return self._registered(spec, text)
        found: list[tuple[bool, str]] = []  # (value, what was said)
        examples = [normalize(w) for w in spec.get("example") or []]
        lacking: list[str] = []  # an example denied (没推行卓越绩效): the clause says 等
        rx, false_words = self._flag_pattern(key, spec)
        for m in rx.finditer(text) if rx is not None else ():
            i, word = m.start(), m.group(0)
            value = word not in false_words
            before = text[max(0, i - 6):i]
            negated = bool(_NEGATION.search(before) or re.search(r"不是|并非|不属于", before))
            said = ("不是" if "不是" in before else "没有") + word if negated else word
            if negated and value and any(e in word for e in examples):
                lacking.append(said)
                continue
            found.append((value != negated, said))
        if lacking and not found:
            return _Stated(key, (True, False), "、".join(lacking),
                           str(spec.get("example_missing", "")))
        if not found:
            for word in examples:
                i = text.find(word)
                if i >= 0:
                    before = text[max(0, i - 6):i]
                    negated = bool(re.search(r"(?:没有|没|未|不|无|并非)[^，。]{0,3}$", before))
                    if not negated and spec.get("example_counts"):
                        # 导入了卓越绩效: one of the methods the clause names, and it asks more
                        return _Stated(key, (True,), _upper_latin(word), partial=True)
                    said = ("没有" + word) if negated else word
                    return _Stated(key, (True, False), said, str(spec.get("example_missing", "")))
            return None
        # one alternative met is enough (实践经验 in 第八条（三）: 成果 "或" 实践经验)
        value = any(v for v, _ in found)
        said = "、".join(w for v, w in found if v == value)
        if value and any(normalize(p) in text for p in spec.get("past") or []):
            return _Stated(key, (True, False), "曾" + said, _MISSING_PAST.get(key, ""))
        return _Stated(key, (value,), said, partial=value and bool(spec.get("several_parts")))

    def _flag_pattern(self, key: str,
                      spec: dict[str, Any]) -> tuple[re.Pattern[str] | None, set[str]]:
        """One regex over a flag's words, longest first (a phrase is read once, not also as
        the shorter words inside it)."""
        cached = self._patterns.get(key)
        if cached is None:
            false_words = {normalize(w) for w in spec.get("means_false") or []}
            words = false_words | {normalize(w) for w in spec.get("means_true") or []}
            rx = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))) \
                if words else None
            cached = self._patterns[key] = (rx, false_words)
        return cached

    def _registered(self, spec: dict[str, Any], text: str) -> _Stated | None:
        key = "registered_in_cangzhou"
        for word in spec.get("means_false") or []:
            if normalize(word) in text:
                return _Stated(key, (False,), word)
        before = "|".join(re.escape(normalize(w)) for w in spec.get("other_place_before") or [])
        if before and self.other_places:
            places = "|".join(re.escape(p) for p in self.other_places)
            if m := re.search(rf"(?:(?:{before})[^，。]{{0,3}}(?:在|于)?({places})|在?({places})"
                              rf"[^，。]{{0,3}}(?:{before}))", text):
                return _Stated(key, (False,), (m.group(1) or m.group(2)) + "注册")
        if self.inside:
            places = "|".join(re.escape(p) for p in self.inside)
            if m := re.search(rf"在?({places})[^，。]{{0,3}}(?:{before})", text):
                return _Stated(key, (True,), m.group(1) + "注册")
        return None

    def _award_date(self, clauses: list[str], today: dt.date) -> tuple[dt.date, dt.date] | None:
        for c in clauses:
            at = self._award_said(c)
            if at is None:
                continue
            if m := _YEAR.search(c):
                lo, hi = _date_range(m)
                if lo <= today:
                    return lo, min(hi, today)
            # the year word nearest the award (去年没…今年评上: 今年; 去年评上的今年还能用吗: 去年)
            said = [(abs(c.find(word) - at), back) for word, back in _RELATIVE.items()
                    if word in c and not (word == "前年" and "大前年" in c)]
            if said:
                y = today.year - min(said)[1]
                return dt.date(y, 1, 1), min(dt.date(y, 12, 31), today)
        return None

    def _award_said(self, clause: str) -> int | None:
        """Where a clause says the award was won (评上, 获的奖…), or None: also when it says
        it was not (没评上, 未获奖, 落选: an applicant who did not win has no award to count)."""
        for w in sorted(self.award_words, key=len, reverse=True):
            start = 0
            while (i := clause.find(w, start)) >= 0:
                if not _NOT_WON.search(clause[max(0, i - 3):i]):
                    return i
                start = i + len(w)
        return None

    def _use_date(self, clauses: list[str], award: tuple[dt.date, dt.date],
                  today: dt.date) -> tuple[dt.date, dt.date] | None:
        """The time a question asks about the honour, when it names one other than now:
        2027年展会上还能打这个招牌吗 after 2022年获的奖 (a year after the award's, in a clause
        that does not name the award); None for now."""
        for c in clauses:
            if any(w in c for w in self.award_words):
                continue
            if m := _YEAR.search(c):
                lo, hi = _date_range(m)
                if lo > award[1] and not lo <= today <= hi:
                    return lo, hi
        return None

    def _application_date(self, clauses: list[str], today: dt.date) -> tuple[dt.date, dt.date]:
        for c in clauses:
            if any(w in c for w in self.application_words) and (m := _YEAR.search(c)):
                return _date_range(m)
        return today, today

    def _event(self, key: str, spec: dict[str, Any], clauses: list[str], today: dt.date,
               application: tuple[dt.date, dt.date]) -> _Stated | None:
        words = [normalize(w) for w in spec.get("words") or []]
        for i, c in enumerate(clauses):
            hit = next((w for w in words if w in c), None)
            if hit is None:
                continue
            j = c.find(hit)
            if _NEGATION.search(c[max(0, j - 12):j].replace("重大", "").replace("安全", "")
                                .replace("质量", "").replace("环保", "")):
                return _Stated(key, (False,), "没有" + hit)
            when = self._when(c, today) or (self._when(clauses[i - 1], today) if i else None)
            years = int(self.pack.value(str(spec["window"])))
            missing: list[str] = []
            if when is None:
                when_values: tuple[bool, ...] = (True, False)
                missing.append(_MISSING_WHEN.format(years=years))
            else:
                start_lo = add_years(application[0], -years)
                start_hi = add_years(application[1], -years)
                inside = {when[1] >= start_lo and when[0] <= application[1],
                          when[0] >= start_hi and when[1] <= application[0]}
                when_values = (True,) if inside == {True} else (
                    (False,) if inside == {False} else (True, False))
                if len(when_values) > 1:
                    missing.append(_MISSING_WHEN.format(years=years))
            major_words = [normalize(w) for w in spec.get("major") or []]
            minor_words = [normalize(w) for w in spec.get("minor") or []]
            major: tuple[bool, ...] = (True,)
            if any(w in c for w in minor_words):
                major = (False,)
            elif major_words and not any(w in c for w in major_words):
                major = (True, False)
                missing.append(_MISSING_MAJOR)
            if any(normalize(w) in hit for w in spec.get("vague") or []):
                major = (True, False)
                missing.append(str(spec.get("vague_missing", "")))
            values = tuple(sorted({a and b for a in when_values for b in major}, reverse=True))
            said = c[:j + len(hit)][-16:]
            return _Stated(key, values, said, "、".join(missing) if len(values) > 1 else "")
        return None

    @staticmethod
    def _when(clause: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
        if m := _RECENT_YEARS.search(clause):  # 近三年, 这两年: inside the last N years
            n = to_int(m.group("n")) if m.group("n") else 2
            if n is not None and n < 100:
                return add_years(today, -n) + dt.timedelta(days=1), today
        if m := _YEAR.search(clause):
            return _date_range(m)
        for word, back in sorted(_RELATIVE.items(), key=lambda x: -len(x[0])):
            if word in clause:
                y = today.year - back
                return dt.date(y, 1, 1), min(dt.date(y, 12, 31), today)
        if m := _YEARS_AGO.search(clause):
            n = to_int(m.group("n"))
            if n is not None and n < 100:
                y = today.year - n
                return dt.date(y, 1, 1), dt.date(y, 12, 31)
        if any(w in clause for w in ("最近", "刚刚", "刚", "上个月", "这个月", "前几天", "上周")):
            return today, today
        return None

    # -- judging --------------------------------------------------------------------------
    def _judge(self, topic: str, kind: str, stated: list[_Stated], today: dt.date) -> Reading:
        rules = load_rules(self.pack)
        keys = {s.key for s in stated}
        touched = [c for c in rules.clauses if c.applies(kind) and _uses(c.when, keys)]
        combos = [dict(zip([s.key for s in stated], vals, strict=True))
                  for vals in itertools.product(*[s.values for s in stated])]
        engine_facts: list[dict[str, Any]] = []
        verdicts: list[Verdict] = []
        isolated: list[Verdict] = []
        for combo in combos:
            raw = _engine_facts(kind, today, combo)
            try:
                verdicts.append(evaluate(validate_facts(raw), self.pack))
            except FactsError:
                continue
            engine_facts.append(raw)
            passing = {**raw}
            for c in touched:
                for k, v in _passing(c.when, self.pack).items():
                    passing.setdefault(k, v)
            if "previous_award_date" in passing:
                passing.pop("previously_awarded", None)
            isolated.append(evaluate(validate_facts(passing), self.pack))
        findings = []
        for c in touched:
            actual = {str(v.clause(c.id).status) for v in verdicts}
            alone = {str(v.clause(c.id).status) for v in isolated}
            if actual == {"not_met"}:
                status, partial = "not_met", False
            elif actual == {"met"}:
                status, partial = "met", False
            elif alone == {"met"}:
                status, partial = "met", True
            elif alone == {"not_met"}:
                status, partial = "not_met", False
            else:
                status, partial = "depends", "unknown" in actual
            used = [s for s in stated if _uses(c.when, {s.key})]
            if status == "met" and any(s.partial for s in used):
                partial = True
            if status == "not_met" and len(used) > 1:
                # 4年、任丘注册: only what fails the clause is named (任丘 is inside the city)
                used = [s for s in used if self._fails_alone(c, s, kind, today)] or used
            said = "、".join(s.stated for s in used)
            notes = {v.clause(c.id).note for v in (verdicts or isolated)
                     if v.clause(c.id).note}
            findings.append(Finding(c.id, c.label, status, partial, said,
                                    "；".join(sorted(notes)) if len(notes) == 1 else ""))
        missing = tuple(dict.fromkeys(s.missing for s in stated if s.missing))
        article = touched[0].ref.article if touched else (24 if topic == "revoked" else 7)
        items = tuple(sorted({c.ref.item for c in touched if c.ref.item}))
        return Reading(topic, kind, tuple(findings), missing, tuple(engine_facts), article,
                       items)

    def _fails_alone(self, clause: Any, s: _Stated, kind: str, today: dt.date) -> bool:
        """The clause is not met on this stated fact alone, the clause's other facts passing."""
        for value in s.values:
            raw = _engine_facts(kind, today, {**_passing(clause.when, self.pack), s.key: value})
            try:
                verdict = evaluate(validate_facts(raw), self.pack)
            except FactsError:
                return False
            if str(verdict.clause(clause.id).status) != "not_met":
                return False
        return True

    def _validity(self, kind: str, award: tuple[dt.date, dt.date], text: str,
                  today: dt.date, on: tuple[dt.date, dt.date] | None = None) -> Reading:
        asks_reapply = (any(w in text for w in self.reapply_asks)
                        and not any(w in text for w in self.validity_asks))
        if asks_reapply:
            on = None  # applying again is judged today, by the self-check's rule
        days = on or (today, today)
        ends = [assess_for(self.pack, d, today) for d in award]  # the pack's counting rule
        # the honour on the day asked about: each end of the award's dates by each end of it
        at = [assess_for(self.pack, d, day) for d in award for day in days]
        states = {v.state for v in at}
        info: dict[str, Any] = {
            "award_from": award[0], "award_to": award[1],
            "valid_until": (ends[0].valid_until, ends[1].valid_until),
            "state": states.pop() if len(states) == 1 else "depends",
            "may_use_honor": _same(v.may_use_honor for v in at),
            "may_reapply": _same(v.may_reapply for v in ends),
            "on": on, "on_said": _said_date(on) if on else "",
            "asks_reapply": asks_reapply,
            # 还挂着有问题没: whether the honour may still be used, not only until when
            "asks_use": any(w in text for w in self.use_asks)
            and not any(w in text for w in self.validity_asks if w not in self.use_asks),
        }
        # re-application: the self-check's clause 4 for the same award date
        stated = _Stated("previous_award_date", tuple(dict.fromkeys(d.isoformat() for d in award)),
                         _said_date(award),
                         _MISSING_AWARD_DATE if award[0] != award[1] else "")
        reading = self._judge("validity", kind, [stated], today)
        # the day after the last valid day (the verdict names no date to an applicant it finds
        # ineligible, so the date comes from the validity rule itself)
        info["reapply_from"] = tuple(dict.fromkeys(v.reapply_from for v in ends
                                                   if v.reapply_from))
        missing = reading.missing if (info["state"] == "depends"
                                      or info["may_use_honor"] is None) else ()
        arts = self.validity_articles
        info["rule_article"] = arts["reapply"] if info["asks_reapply"] else arts["use"]
        return Reading("validity", kind, reading.findings, missing, reading.engine_facts,
                       arts["validity"], (), info)


def _same(values: Any) -> bool | None:
    vals = set(values)
    return vals.pop() if len(vals) == 1 else None


def _uses(cond: dict[str, Any], keys: set[str]) -> bool:
    if "all" in cond:
        return any(_uses(c, keys) for c in cond["all"])
    if "any" in cond:
        return any(_uses(c, keys) for c in cond["any"])
    if "award_expired" in cond:
        return bool(keys & {"previous_award_date", "previously_awarded"})
    return str(cond.get("fact")) in keys


def _passing(cond: dict[str, Any], pack: Pack) -> dict[str, Any]:
    """Fact values that meet a condition (the rest of a clause the question did not speak to)."""
    out: dict[str, Any] = {}
    if "all" in cond:
        for c in cond["all"]:
            out.update(_passing(c, pack))
    elif "any" in cond:
        if cond["any"]:
            out.update(_passing(cond["any"][0], pack))
    elif "award_expired" in cond:
        out["previously_awarded"] = False
    elif "is" in cond:
        out[str(cond["fact"])] = cond["is"]
    elif "at_least" in cond:
        out[str(cond["fact"])] = pack.value(str(cond["at_least"]))
    return out


def _date_range(m: re.Match[str]) -> tuple[dt.date, dt.date]:
    y = int(m.group("y"))
    month = to_int(m.group("m")) if m.group("m") else None
    day = int(m.group("d")) if m.group("d") else None
    if month and 1 <= month <= 12:
        if day:
            try:
                d = dt.date(y, month, day)
                return d, d
            except ValueError:
                pass
        last = (dt.date(y + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1))
        return dt.date(y, month, 1), last
    return dt.date(y, 1, 1), dt.date(y, 12, 31)


def _years_between(start: dt.date, end: dt.date) -> float:
    return max(0.0, (end - start).days / 365.25)


def _engine_facts(kind: str, today: dt.date, facts: dict[str, Any]) -> dict[str, Any]:
    """The facts as the rules' engine takes them: a unit's record counts for a person only as
    its head, so a person stating one is read as the head unless said otherwise."""
    raw = {"applicant_type": kind, "today": today.isoformat(), **facts}
    if "is_unit_head" not in facts and kind == INDIVIDUAL and any(
            k.startswith("unit_") for k in facts):
        raw["is_unit_head"] = True
    return raw


def _upper_latin(word: str) -> str:
    """iso9001 as it was written: ISO9001 (the text was read lower-cased)."""
    return re.sub(r"[a-z]+", lambda m: m.group(0).upper(), word)


def _said_date(award: tuple[dt.date, dt.date]) -> str:
    lo, hi = award
    if lo == hi:
        return f"{lo.year}年{lo.month}月{lo.day}日"
    if lo.month == hi.month and lo.year == hi.year:
        return f"{lo.year}年{lo.month}月"
    return f"{lo.year}年"


_MISSING_YEARS = "确切的年数"
_MISSING_START = "确切的注册（成立）日期"
_WORKED = re.compile(r"^(?:我|俺|已经|都|快|差不多|才|刚)*(?:干了|做了|干|做|从事了?|工作了?)")
_MISSING_WHEN = "发生的时间（是否在近{years}年内）"
_MISSING_MAJOR = "是否属于重大事故"
_MISSING_AWARD_DATE = "确切的获奖日期"
_MISSING_PAST = {"on_abnormal_operations_list": "现在是否仍在经营异常名录中",
                 "on_serious_violation_dishonesty_list": "现在是否仍在严重违法失信企业名单中"}
