"""Validity of an award (第四条/第十七条), pure date arithmetic.

第四条: 奖项有效期四年，期满后可重新申报. An award decided on D is valid through
D + N years - 1 day (N from the pack, 4 here); an award on 29 February ends on 28 February
(the day before the 1 March anniversary, or 28 February when the anniversary is 29 February).
It may be applied for again from the day after it ends.
"""

from __future__ import annotations

import datetime as dt


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
