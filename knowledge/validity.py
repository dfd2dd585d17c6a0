"""Validity of an award (第四条/第十七条), pure date arithmetic.

第四条: 奖项有效期四年，期满后可重新申报. An award decided on D is valid through
D + N years - 1 day (N from the pack, 4 here); an award on 29 February ends on 28 February
(the day before the 1 March anniversary, or 28 February when the anniversary is 29 February).
It may be applied for again from the day after it ends.

``assess`` gives the state on a day: valid, expiring (the last 90 days), expired or revoked
(第二十四条), whether the honour may be used (第二十一条) and whether the winner may apply again.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from knowledge.errors import QabotError


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later; 29 February becomes 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return dt.date(day.year + years, 3, 1)


def valid_until(award_date: dt.date, validity_years: int) -> dt.date:
    """Last day the award is valid: award date + N years - 1 day."""
    end = add_years(award_date, validity_years) - dt.timedelta(days=1)
    if award_date.month == 2 and award_date.day == 29:
        # An award on 29 February ends on 28 February of the last year (issue #4).
        end = dt.date(award_date.year + validity_years, 2, 28)
    return end


def reapply_from(award_date: dt.date, validity_years: int) -> dt.date:
    """First day a previous winner may apply again (第十七条: 有效期满后可再次申报)."""
    return valid_until(award_date, validity_years) + dt.timedelta(days=1)


# -- state of an award on a given day --------------------------------------------------------

VALID = "valid"
EXPIRING = "expiring"
EXPIRED = "expired"
REVOKED = "revoked"

# Not from the measures: the office warns a winner in the last 90 days (the 90-day reminder).
EXPIRING_DAYS = 90


class DateError(QabotError):
    """A date that cannot be read."""


@dataclass(frozen=True)
class Validity:
    valid_until: dt.date
    state: str  # VALID | EXPIRING | EXPIRED | REVOKED
    days_left: int  # valid_until - today; negative once expired
    may_use_honor: bool  # 第二十一条: only within the validity period
    may_reapply: bool  # 第四条/第十七条: once expired; 第二十四条: never after revocation

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
           revoked_may_reapply: bool = False) -> Validity:
    """Everything the rules say about an award on ``today``."""
    until = valid_until(award_date, validity_years)
    s = state(until, today, revoked=revoked)
    return Validity(until, s, days_left(until, today), may_use_honor(s),
                    may_reapply(s, revoked_may_reapply=revoked_may_reapply))


_DATE = re.compile(r"^\s*(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*(?:[-/.月])\s*(\d{1,2})\s*日?\s*$")


def parse_date(text: str) -> dt.date:
    """A date written 2021-12-20, 2021/12/20, 2021.12.20 or 2021年12月20日."""
    m = _DATE.match(unicodedata.normalize("NFKC", str(text)))
    if not m:
        raise DateError(f"日期格式不对：{str(text)[:30]}（应为 2021-12-20、2021/12/20 或 "
                        "2021年12月20日）")
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise DateError(f"没有这一天：{str(text).strip()[:30]}") from None
