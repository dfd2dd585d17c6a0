from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.cli import main
from knowledge.pack import load_pack
from knowledge.validity import DateError, assess, parse_date, valid_until

D = dt.date
YEARS = load_pack().value("validity_years")


def test_an_award_is_valid_for_four_years_less_a_day():
    assert valid_until(D(2021, 12, 20), YEARS) == D(2025, 12, 19)


def test_an_award_on_29_february_ends_on_28_february():
    assert valid_until(D(2020, 2, 29), YEARS) == D(2024, 2, 28)


@pytest.mark.parametrize(("today", "state", "left"), [
    (D(2025, 9, 20), "expiring", 90),  # 90 days left is already expiring
    (D(2025, 9, 19), "valid", 91),
    (D(2025, 12, 19), "expiring", 0),  # the last valid day
    (D(2025, 12, 20), "expired", -1),
])
def test_the_state_changes_at_ninety_days_and_after_the_last_day(today, state, left):
    v = assess(D(2021, 12, 20), today, YEARS)
    assert (v.state, v.days_left) == (state, left)


def test_the_honour_may_be_used_while_valid_or_expiring_but_not_after():
    assert assess(D(2021, 12, 20), D(2025, 12, 19), YEARS).may_use_honor
    assert not assess(D(2021, 12, 20), D(2025, 12, 20), YEARS).may_use_honor


def test_a_winner_may_apply_again_only_once_the_award_has_expired():
    assert not assess(D(2021, 12, 20), D(2025, 12, 19), YEARS).may_reapply
    assert assess(D(2021, 12, 20), D(2025, 12, 20), YEARS).may_reapply


def test_a_revoked_winner_may_neither_use_the_honour_nor_apply_again():
    v = assess(D(2021, 12, 20), D(2030, 1, 1), YEARS, revoked=True)
    assert (v.state, v.may_use_honor, v.may_reapply) == ("revoked", False, False)


@pytest.mark.parametrize("text", ["2021-12-20", "2021/12/20", "2021年12月20日", "2021.12.20",
                                  " ２０２１－１２－２０ "])
def test_dates_are_read_in_the_forms_the_office_writes(text):
    assert parse_date(text) == D(2021, 12, 20)


@pytest.mark.parametrize("text", ["20211220", "2021-02-30", "十二月", ""])
def test_an_unreadable_date_is_a_chinese_error(text):
    with pytest.raises(DateError, match="日期格式不对|没有这一天"):
        parse_date(text)


def test_the_validity_command_prints_the_documented_json(capsys):
    assert main(["validity", "--award-date", "2021-12-20", "--today", "2025-12-19",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "valid_until": "2025-12-19", "state": "expiring", "days_left": 0,
        "may_use_honor": True, "may_reapply": False}


def test_the_validity_command_reports_revocation(capsys):
    main(["validity", "--award-date", "2021年12月20日", "--today", "2022/1/1", "--revoked",
          "--json"])
    out = json.loads(capsys.readouterr().out)
    assert (out["state"], out["may_use_honor"], out["may_reapply"]) == ("revoked", False, False)


def test_a_bad_date_on_the_command_line_exits_2_with_a_chinese_message(capsys):
    assert main(["validity", "--award-date", "2021-13-01"]) == 2
    err = capsys.readouterr().err
    assert "没有这一天" in err and "Traceback" not in err
