from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge.numerals import (
    article_refs,
    find_years,
    parse_int,
    parse_year,
    read_years,
    to_chinese,
    to_int,
)


@pytest.mark.parametrize("text, n", [("二十四", 24), ("十五", 15), ("十", 10), ("一", 1),
                                     ("24", 24), ("２４", 24), ("二四", 24), ("一百零一", 101),
                                     ("两", 2)])
def test_numerals_convert(text, n):
    assert to_int(text) == n


def test_words_that_are_not_numerals_are_not_converted():
    assert to_int("统一") is None
    assert to_int("") is None


@pytest.mark.parametrize("n, text", [(1, "一"), (10, "十"), (15, "十五"), (24, "二十四"), (26, "二十六")])
def test_article_numbers_are_written_as_the_measures_write_them(n, text):
    assert to_chinese(n) == text


@pytest.mark.parametrize("text, refs", [("第二十四条", [24]), ("第24条", [24]), ("24条", [24]),
                                        ("查第十五条和第16条", [15, 16]), ("统一标准", []),
                                        ("第二十四条第三项", [24])])
def test_article_references_are_read_from_text(text, refs):
    assert article_refs(text) == refs


# -- one parser for every number a user types ------------------------------------------------
@pytest.mark.parametrize("text, n", [("6", 6), (" ６ ", 6), ("二十四", 24), ("二〇二一", 2021),
                                     ("٢٠٢١", 2021), ("0", 0)])
def test_a_typed_whole_number_is_read(text, n):
    assert parse_int(text) == n


@pytest.mark.parametrize("text", ["202²", "²", "①", "⑳", "𝟐𝟒x", "-1", "1.5", "1e3", "", "  ",
                                  "1" + "0" * 5000, "二十四条", "Ⅳ", "½"])
def test_what_int_would_refuse_or_misread_is_not_a_number(text):
    assert parse_int(text) is None


def test_bounds_keep_a_number_in_range():
    assert parse_int("400", hi=365) is None and parse_int("0", lo=1) is None
    assert parse_int("365", lo=1, hi=365) == 365


@pytest.mark.parametrize("text, year", [("2021", 2021), ("2021年", 2021), ("2021年度", 2021),
                                        ("２０２１", 2021)])
def test_a_typed_year_is_read(text, year):
    assert parse_year(text) == year


@pytest.mark.parametrize("text", ["202²", "21", "20211", "abc", "二〇二"])
def test_a_typed_year_needs_four_real_digits(text):
    assert parse_year(text) is None


@pytest.mark.parametrize("text, low, high, met", [
    ("5", 5, 5, True), ("5年左右", 4.5, 5.5, None), ("约5年", 4.5, 5.5, None),
    ("差不多5年", 4.5, 5.5, None), ("5年多", 5, 6, True), ("5年以上", 5, math.inf, True),
    ("快5年", 4, 5, False), ("将近5年", 4, 5, False), ("不到5年", 0, 5, False),
    ("5到6年", 5, 6, True), ("4-6年", 4, 6, None), ("约8年", 7.5, 8.5, True),
    ("三年左右", 2.5, 3.5, False), ("五年半", 5.5, 5.5, True),
])
def test_an_approximate_number_of_years_is_a_range_never_counted_as_met_across_the_line(
        text, low, high, met):
    said = read_years(text)
    assert said is not None and (said.low, said.high) == (low, high)
    assert said.at_least(5) is met
    if met is not None:
        assert (said.representative() >= 5) is met


@pytest.mark.parametrize("text, low, high", [
    ("四五年", 4, 5), ("五六年", 5, 6), ("两三年", 2, 3), ("十五六年", 15, 16),
    ("二十七八年", 27, 28), ("五六十年", 50, 60), ("三五年", 3, 5), ("四、五年", 4, 5),
    ("4到6年", 4, 6), ("4-6年", 4, 6), ("四到六年", 4, 6), ("五年到六年", 5, 6),
])
def test_two_numbers_said_together_are_a_range_not_one_number(text, low, high):
    said = read_years(text)
    assert said is not None and (said.low, said.high) == (low, high)


@pytest.mark.parametrize("text", ["两五", "二四", "四六年", "二〇二一"])
def test_digits_said_one_by_one_are_no_number_of_years(text):
    assert read_years(text) is None


@pytest.mark.parametrize("sentence, said, low, high", [
    ("成立快5年能报吗", "快5年", 4, 5), ("公司成立差不多5年了能报吗", "差不多5年", 4.5, 5.5),
    ("我们单位成立5年左右，能申报吗", "5年左右", 4.5, 5.5), ("公司成立4到6年能报吗", "4到6年", 4, 6),
    ("公司成立四五年能报吗", "四五年", 4, 5), ("我们厂子开了三年多", "三年多", 3, 4),
    ("干了二十多年", "二十多年", 20, 30), ("十来年了", "十来年", 9, 11),
    ("成立了5年", "5年", 5, 5), ("成立半年", "半年", 0.5, 0.5), ("经营满5年了", "满5年", 5, math.inf),
])
def test_a_number_of_years_is_found_in_a_sentence_as_said(sentence, said, low, high):
    found = find_years(sentence)
    assert found is not None
    assert (found[0], found[1].low, found[1].high) == (said, low, high)


@pytest.mark.parametrize("sentence", [
    "企业近三年没有发生过重大事故", "最近5年", "这三年经营", "公司2017年成立", "三年前出过事故",
    "公司三年以后能报吗", "3年内", "2021年度", "90年代", "三年级"])
def test_a_window_a_calendar_year_or_a_time_ago_is_not_a_number_of_years(sentence):
    assert find_years(sentence) is None


def test_a_range_is_tried_at_both_ends_and_an_open_end_just_inside():
    assert read_years("5").ends() == (5,)
    assert read_years("快5年").ends() == (4, 4.99)
    assert read_years("5年多").ends() == (5.01, 5.99)
    assert read_years("5年以上").ends() == (5, 200)


@given(st.text(max_size=30))
def test_no_typed_text_makes_the_number_parsers_raise(text):
    parse_int(text)
    parse_year(text)
    read_years(text)
    find_years(text)


def test_no_module_tests_user_input_with_isdigit():
    """str.isdigit() accepts ² and ① which int() refuses: the parser above is the only way in."""
    import ast
    from pathlib import Path

    root = Path(__file__).parents[1]
    offenders = []
    for folder in ("bot", "handlers", "knowledge"):
        for path in (root / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and node.attr == "isdigit":
                    offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == []


def test_no_command_reads_a_typed_number_its_own_way():
    """argparse's type=int and a hand-written [0-9] pattern read ٣ and ² differently from the
    chat: every number a user types goes through knowledge.numerals.parse_int."""
    import re
    from pathlib import Path

    root = Path(__file__).parents[1]
    own_way = re.compile(r"type=int\b|type=float\b|fullmatch\(r\"\[0-9\]|fullmatch\(rf\"\[0-9\]")
    offenders = [f"{path.relative_to(root)}:{i}"
                 for folder in ("bot", "handlers")
                 for path in (root / folder).rglob("*.py")
                 for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if own_way.search(line)]
    assert offenders == []


@pytest.mark.parametrize("text, value, shown", [("干了四年零十个月质检", 4.83, "四年零十个月"),
                                                ("成立4年10个月了", 4.83, "4年10个月"),
                                                ("已经五年零一个月", 5.08, "五年零一个月")])
def test_years_and_months_are_read_as_years_and_shown_as_said(text, value, shown):
    said, years = find_years(text)
    assert years.value == pytest.approx(value, abs=0.01) and said.endswith(shown)


def test_a_date_with_a_month_is_no_number_of_years():
    assert find_years("2017年3月注册") is None


def test_the_self_check_reads_years_and_months_as_the_question_reader_does():
    assert read_years("4年10个月").value == pytest.approx(find_years("干了4年10个月")[1].value)
