"""Chinese and Arabic numerals as they appear in article references (第二十四条, 第24条, 24条)."""

from __future__ import annotations

import re

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")

CN_NUMERAL = "零〇一二两三四五六七八九十百千"
NUMERAL_CLASS = f"[0-9０-９{CN_NUMERAL}]+"
MAX_DIGITS = 18


def to_int(numeral: str) -> int | None:
    """Convert one captured numeral ("二十四", "24", "２４", "二四") to int; None if it is not one.

    Only the captured numeral is converted: running a converter over whole text would turn
    words such as 统一 into 统1.
    """
    s = numeral.strip().translate(_FULLWIDTH)
    if not s:
        return None
    if len(s) > MAX_DIGITS:
        return None  # no article or day count is this long; int() refuses past 4300 digits
    if s.isdecimal():  # not isdigit(): it accepts ² and ①, which int() refuses
        return int(s)
    if any(c not in _DIGITS and c not in _UNITS for c in s):
        return None
    if not any(c in _UNITS for c in s):
        # digit by digit: 二四 -> 24
        return int("".join(str(_DIGITS[c]) for c in s))
    total, current = 0, 0
    for c in s:
        if c in _DIGITS:
            current = _DIGITS[c]
        else:
            unit = _UNITS[c]
            total += (current or 1) * unit
            current = 0
    return total + current


def to_chinese(n: int) -> str:
    """Write 1..999 the way the measures number their articles: 24 -> 二十四."""
    if n <= 0 or n >= 1000:
        raise ValueError(n)
    names = "零一二三四五六七八九"
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = ""
    if hundreds:
        out += names[hundreds] + "百"
        if rest and tens == 0:
            out += "零"
    if tens:
        out += ("" if tens == 1 and not hundreds else names[tens]) + "十"
    if ones:
        out += names[ones]
    return out



_ARTICLE_REF = re.compile(rf"第\s*({NUMERAL_CLASS})\s*条|(?<![0-9０-９{CN_NUMERAL}])({NUMERAL_CLASS})\s*条")


def article_refs(text: str) -> list[int]:
    """Article numbers referred to in text, in order of appearance, without repeats."""
    found: list[int] = []
    for m in _ARTICLE_REF.finditer(text):
        n = to_int(m.group(1) or m.group(2))
        if n is not None and n not in found:
            found.append(n)
    return found
