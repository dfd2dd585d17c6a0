"""Validity of an award (第四条/第十七条), pure date arithmetic.

第四条: 奖项有效期四年，期满后可重新申报. How a period "of four years" is counted is not said
in the measures; the pack names the rule it follows (``period_counting`` in ``pack.yaml``) and
the basis shown to users wherever a date is given. Two rules are known:

- ``civil_code`` (the default, 《民法典》第二百零一条、第二百零二条): the day of the award is
  not counted, so the period ends on the same date N years later, or on the last day of that
  month when there is no such date. An award of 2021-12-20 is valid through 2025-12-20.
- ``award_day_counted``: the day of the award is the first day, so the period ends the day
  before that date (2021-12-20 -> 2025-12-19; 29 February -> 28 February).

Either way the day after the last valid day is the first day to apply again (第十七条).
``assess`` gives the state on a day: valid, expiring (0 to 90 days left), expired or revoked
(第二十四条), whether the honour may be used (第二十一条) and whether the winner may apply again.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from knowledge.errors import QabotError

if TYPE_CHECKING:
    from knowledge.pack import Pack, Ref

CIVIL_CODE = "civil_code"
AWARD_DAY_COUNTED = "award_day_counted"
COUNTING_RULES = (CIVIL_CODE, AWARD_DAY_COUNTED)

# A sanity bound, not a legal rule: dates outside these years are typing mistakes, and
# computing with them (9999 + 4 years) would overflow instead of answering.
MIN_YEAR = 1980
MAX_YEAR = 2099


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later; 29 February becomes 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return dt.date(day.year + years, 3, 1)


def corresponding_day(day: dt.date, years: int) -> dt.date:
    """《民法典》第二百零二条: the corresponding day ``years`` later; without one, month end."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year: the last day of February
        return dt.date(day.year + years, 2, 28)


def valid_until(award_date: dt.date, validity_years: int,
                counting: str = CIVIL_CODE) -> dt.date:
    """Last day the award is valid, under the counting rule (see the module docstring)."""
    if counting == CIVIL_CODE:
        # 第二百零一条: 开始的当日不计入; 第二百零二条: 到期月的对应日为期间的最后一日
        return corresponding_day(award_date, validity_years)
    if counting == AWARD_DAY_COUNTED:
        if award_date.month == 2 and award_date.day == 29:
            return dt.date(award_date.year + validity_years, 2, 28)
        return add_years(award_date, validity_years) - dt.timedelta(days=1)
    raise ValueError(f"unknown counting rule {counting!r}")


def reapply_from(award_date: dt.date, validity_years: int,
                 counting: str = CIVIL_CODE) -> dt.date:
    """First day a previous winner may apply again (第十七条: 有效期满后可再次申报)."""
    return valid_until(award_date, validity_years, counting) + dt.timedelta(days=1)


# -- the pack's period -------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """How the pack counts an award's validity: N years, a counting rule, the basis shown."""

    years: int
    counting: str
    basis: str  # e.g. 《中华人民共和国民法典》第二百零一条、第二百零二条
    ref: Ref  # the article that sets the period (第四条)

    def valid_until(self, award_date: dt.date) -> dt.date:
        return valid_until(award_date, self.years, self.counting)

    def reapply_from(self, award_date: dt.date) -> dt.date:
        return reapply_from(award_date, self.years, self.counting)


def period(pack: Pack) -> Period:
    """The pack's validity period and counting rule (``period_counting`` in ``pack.yaml``)."""
    from knowledge.pack import PackError

    fact = pack.fact("validity_years")
    spec = pack.meta.get("period_counting") or {}
    rule = str(spec.get("rule", CIVIL_CODE))
    if rule not in COUNTING_RULES:
        raise PackError(f"pack.yaml: period_counting.rule 应为 {' 或 '.join(COUNTING_RULES)}，"
                        f"收到：{rule}")
    basis = spec.get("basis") or ""
    if isinstance(basis, dict):  # one basis per rule: changing `rule` changes the basis shown
        if not basis.get(rule):
            raise PackError(f"pack.yaml: period_counting.basis 没有写明 {rule} 的依据")
        basis = basis[rule]
    return Period(int(fact.value), rule, str(basis), fact.ref)


def valid_until_for(pack: Pack, award_date: dt.date) -> dt.date:
    return period(pack).valid_until(award_date)


def reapply_from_for(pack: Pack, award_date: dt.date) -> dt.date:
    return period(pack).reapply_from(award_date)


# -- state of an award on a given day --------------------------------------------------------

VALID = "valid"
EXPIRING = "expiring"
EXPIRED = "expired"
REVOKED = "revoked"

# Not from the measures: the office warns a winner in the last 90 days (the 90-day reminder).
EXPIRING_DAYS = 90


class DateError(QabotError):
    """A date that cannot be read, or one the rules cannot compute with."""


@dataclass(frozen=True)
class Validity:
    valid_until: dt.date
    state: str  # VALID | EXPIRING | EXPIRED | REVOKED
    days_left: int  # valid_until - today; negative once expired
    may_use_honor: bool  # 第二十一条: only within the validity period
    may_reapply: bool  # 第四条/第十七条: once expired; 第二十四条: never after revocation
    reapply_from: dt.date | None = None  # the day after valid_until; None once revoked

    def as_dict(self) -> dict[str, object]:
        return {"valid_until": self.valid_until.isoformat(), "state": self.state,
                "days_left": self.days_left, "may_use_honor": self.may_use_honor,
                "may_reapply": self.may_reapply}


def days_left(until: dt.date, today: dt.date) -> int:
    return (until - today).days


def state(until: dt.date, today: dt.date, *, revoked: bool = False) -> str:
    if revoked:
        return REVOKED
    left = days_left(until, today)
    if left < 0:
        return EXPIRED
    return EXPIRING if left <= EXPIRING_DAYS else VALID


def may_use_honor(state_: str) -> bool:
    """第二十一条: 在有效期内可在形象宣传中使用; 超过有效期后不得继续沿用."""
    return state_ in (VALID, EXPIRING)


def may_reapply(state_: str, *, revoked_may_reapply: bool = False) -> bool:
    """第十七条: 有效期满后可再次申报; 第二十四条: a revoked winner 今后不得申报."""
    if state_ == REVOKED:
        return revoked_may_reapply
    return state_ == EXPIRED


def assess(award_date: dt.date, today: dt.date, validity_years: int, *, revoked: bool = False,
           revoked_may_reapply: bool = False, counting: str = CIVIL_CODE) -> Validity:
    """Everything the rules say about an award on ``today``."""
    until = valid_until(award_date, validity_years, counting)
    s = state(until, today, revoked=revoked)
    again = None if s == REVOKED and not revoked_may_reapply else until + dt.timedelta(days=1)
    return Validity(until, s, days_left(until, today), may_use_honor(s),
                    may_reapply(s, revoked_may_reapply=revoked_may_reapply), again)


def assess_for(pack: Pack, award_date: dt.date, today: dt.date, *,
               revoked: bool = False) -> Validity:
    """``assess`` with the pack's period, counting rule and 第二十四条 reading."""
    p = period(pack)
    return assess(award_date, today, p.years, revoked=revoked,
                  revoked_may_reapply=bool(pack.value("revoked_may_reapply")),
                  counting=p.counting)


# -- reading dates -----------------------------------------------------------------------------

_DATE = re.compile(r"^\s*(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*(?:[-/.月])\s*(\d{1,2})\s*[日号]?\s*$")


def check_year(day: dt.date, what: str = "日期") -> dt.date:
    """``day`` if its year is one the rules compute with; a DateError naming ``what`` if not."""
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise DateError(f"{what}的年份 {day.year} 超出范围（应在 {MIN_YEAR} 至 {MAX_YEAR} 年之间），"
                        "请检查")
    return day


def check_order(award_date: dt.date, today: dt.date) -> None:
    """Refuse a ``today`` before the award: nothing about an award exists before it was made."""
    if today < award_date:
        raise DateError(f"计算日期 {today.isoformat()} 早于认定日期 {award_date.isoformat()}，"
                        "请检查日期")


def parse_date(text: str) -> dt.date:
    """A date written 2021-12-20, 2021/12/20, 2021.12.20 or 2021年12月20日, in range."""
    shown = str(text).strip()[:30]
    m = _DATE.match(unicodedata.normalize("NFKC", str(text)))
    if not m:
        raise DateError(f"日期格式不对：{shown}（应为 2021-12-20、2021/12/20 或 "
                        "2021年12月20日）")
    try:
        day = dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise DateError(f"没有这一天：{shown}") from None
    return check_year(day)
