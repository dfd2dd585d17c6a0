from __future__ import annotations

import pytest

from knowledge.numerals import article_refs, to_chinese, to_int


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
