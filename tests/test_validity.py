from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from knowledge.pack import load_pack, load_pack_from
from knowledge.validity import (
    AWARD_DAY_COUNTED,
    CIVIL_CODE,
    DateError,
    assess,
    assess_for,
    parse_date,
    period,
    reapply_from,
    valid_until,
)

D = dt.date
YEARS = load_pack().value("validity_years")


def test_the_day_of_the_award_is_not_counted_so_four_years_end_on_the_same_date():
    # 《民法典》第二百零一条: 开始的当日不计入; 第二百零二条: 到期月的对应日为期间的最后一日
    assert valid_until(D(2021, 12, 20), YEARS) == D(2025, 12, 20)
    assert reapply_from(D(2021, 12, 20), YEARS) == D(2025, 12, 21)


def test_without_a_corresponding_day_the_period_ends_on_the_last_day_of_the_month():
    assert valid_until(D(2096, 2, 29), YEARS) == D(2100, 2, 28)
    assert valid_until(D(2020, 2, 29), 1) == D(2021, 2, 28)
    assert reapply_from(D(2020, 2, 29), 1) == D(2021, 3, 1)


def test_an_office_that_counts_the_award_day_gets_the_day_before():
    assert valid_until(D(2021, 12, 20), YEARS, AWARD_DAY_COUNTED) == D(2025, 12, 19)
    assert valid_until(D(2020, 2, 29), YEARS, AWARD_DAY_COUNTED) == D(2024, 2, 28)


def test_the_pack_names_its_counting_rule_and_the_basis_shown_to_users():
    p = period(load_pack())
    assert (p.years, p.counting) == (4, CIVIL_CODE)
    assert p.basis == "《民法典》第二百零一条、第二百零二条"


def test_changing_one_value_in_the_pack_changes_the_counting(tmp_path: Path):
    dst = tmp_path / "other-office"
    shutil.copytree(load_pack().path, dst)
    meta = (dst / "pack.yaml").read_text(encoding="utf-8")
    (dst / "pack.yaml").write_text(
        meta.replace("id: cangzhou-2020", "id: other-office")
            .replace("rule: civil_code ", f"rule: {AWARD_DAY_COUNTED} "), encoding="utf-8")
    other = load_pack_from(dst)
    v = assess_for(other, D(2021, 12, 20), D(2025, 12, 20))
    assert (v.valid_until, v.state, v.may_reapply) == (D(2025, 12, 19), "expired", True)


def test_an_unknown_counting_rule_in_a_pack_is_refused(tmp_path: Path):
    from knowledge.pack import PackError

    dst = tmp_path / "bad"
    shutil.copytree(load_pack().path, dst)
    meta = (dst / "pack.yaml").read_text(encoding="utf-8")
    (dst / "pack.yaml").write_text(meta.replace("id: cangzhou-2020", "id: bad")
                                   .replace("rule: civil_code ", "rule: lunar "), encoding="utf-8")
    with pytest.raises(PackError, match="period_counting"):
        period(load_pack_from(dst))


@pytest.mark.parametrize(("today", "state", "left"), [
    (D(2025, 9, 21), "expiring", 90),  # 90 days left is already expiring
    (D(2025, 9, 20), "valid", 91),
    (D(2025, 12, 20), "expiring", 0),  # the last valid day
    (D(2025, 12, 21), "expired", -1),
])
def test_the_state_changes_at_ninety_days_and_after_the_last_day(today, state, left):
    v = assess(D(2021, 12, 20), today, YEARS)
    assert (v.state, v.days_left) == (state, left)


def test_the_honour_may_be_used_while_valid_or_expiring_but_not_after():
    assert assess(D(2021, 12, 20), D(2025, 12, 20), YEARS).may_use_honor
    assert not assess(D(2021, 12, 20), D(2025, 12, 21), YEARS).may_use_honor


def test_a_winner_may_apply_again_only_once_the_award_has_expired():
    assert not assess(D(2021, 12, 20), D(2025, 12, 20), YEARS).may_reapply
    assert assess(D(2021, 12, 20), D(2025, 12, 21), YEARS).may_reapply


def test_a_revoked_winner_may_neither_use_the_honour_nor_apply_again_and_has_no_date():
    v = assess(D(2021, 12, 20), D(2030, 1, 1), YEARS, revoked=True)
    assert (v.state, v.may_use_honor, v.may_reapply, v.reapply_from) == (
        "revoked", False, False, None)


@pytest.mark.parametrize("text", ["2021-12-20", "2021/12/20", "2021年12月20日", "2021.12.20",
                                  " ２０２１－１２－２０ "])
def test_dates_are_read_in_the_forms_the_office_writes(text):
    assert parse_date(text) == D(2021, 12, 20)


@pytest.mark.parametrize("text", ["20211220", "2021-02-30", "十二月", "", "²"])
def test_an_unreadable_date_is_a_chinese_error(text):
    with pytest.raises(DateError, match="日期格式不对|没有这一天"):
        parse_date(text)


@pytest.mark.parametrize("text", ["1979-12-31", "2100-01-01", "9999-12-31", "0001-01-01"])
def test_a_year_the_rules_cannot_compute_with_is_refused(text):
    with pytest.raises(DateError, match="超出范围"):
        parse_date(text)


def test_the_validity_command_prints_the_documented_json(capsys):
    assert main(["validity", "--award-date", "2021-12-20", "--today", "2025-12-20",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "valid_until": "2025-12-20", "state": "expiring", "days_left": 0,
        "may_use_honor": True, "may_reapply": False}


def test_the_validity_command_names_the_counting_basis_and_the_first_day_to_apply(capsys):
    assert main(["validity", "--award-date", "2021-12-20", "--today", "2025-06-01"]) == 0
    out = capsys.readouterr().out
    assert "有效期至：2025-12-20（第四条：奖项有效期4年；期间按《民法典》第二百零一条、第二百零二条计算）" in out
    assert "即 2025-12-21 起（第十七条）" in out


def test_the_validity_command_reports_revocation_without_a_date(capsys):
    main(["validity", "--award-date", "2021年12月20日", "--today", "2022/1/1", "--revoked",
          "--json"])
    out = json.loads(capsys.readouterr().out)
    assert (out["state"], out["may_use_honor"], out["may_reapply"]) == ("revoked", False, False)
    main(["validity", "--award-date", "2021-12-20", "--today", "2022-01-01", "--revoked"])
    text = capsys.readouterr().out
    assert "今后不得申报" in text and "2025" not in text and "起" not in text


def test_a_bad_date_on_the_command_line_exits_2_with_a_chinese_message(capsys):
    assert main(["validity", "--award-date", "2021-13-01"]) == 2
    err = capsys.readouterr().err
    assert "没有这一天" in err and "Traceback" not in err


def test_a_today_before_the_award_is_refused_not_computed(capsys):
    assert main(["validity", "--award-date", "2021-12-20", "--today", "2021-12-19",
                 "--json"]) == 2
    captured = capsys.readouterr()
    assert "早于认定日期" in captured.err and captured.out == ""
