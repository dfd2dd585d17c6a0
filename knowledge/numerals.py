"""Numbers as people write them: article references (第二十四条, 第24条, 24条) and every number a
user types to a command (a year, a number of days, a number of years in business).

One parser for user-typed numbers, used by every command: ``parse_int`` and ``read_years``.
``str.isdigit()`` is never the test, since it accepts ² and ① which ``int()`` refuses.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_FULLWIDTH = str.maketrans("０１２３４５６７８９．－", "0123456789.-")

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


def parse_int(text: str, *, lo: int | None = None, hi: int | None = None,
              max_digits: int = MAX_DIGITS) -> int | None:
    """A whole number typed by a user (6, ６, 二十四, 二〇二一), or None when it is not one.

    Digits of any script that ``int()`` reads are accepted; superscripts, circled numbers,
    signs, decimals and text are not. ``lo``/``hi`` bound the value (None outside them).
    """
    s = (text or "").strip().translate(_FULLWIDTH)
    if not s or len(s) > max_digits:
        return None
    n = to_int(s)
    if n is None or (lo is not None and n < lo) or (hi is not None and n > hi):
        return None
    return n


def parse_year(text: str) -> int | None:
    """A four-digit year typed by a user (2021, ２０２１, 二〇二一), or None."""
    s = (text or "").strip().removesuffix("年度").removesuffix("年")
    return parse_int(s, lo=1000, hi=9999)


# -- a number of years, as said in a chat -----------------------------------------------------

@dataclass(frozen=True)
class Years:
    """A number of years as said: the number and the range the words allow.

    ``5`` is exactly five; ``5年左右`` is about five (4.5 to 5.5); ``5年多`` is more than five
    and less than six; ``快5年`` is less than five; ``5年以上`` is five or more; ``5到6年``.
    """

    value: float  # the number said (5 for 5年左右, 5.5 for 五年半)
    low: float
    high: float  # math.inf when the words set no upper bound
    low_open: bool = False  # the range excludes ``low`` (5年多: more than 5)
    high_open: bool = False  # the range excludes ``high`` (快5年: less than 5)

    @property
    def approximate(self) -> bool:
        return self.low != self.high

    def at_least(self, threshold: float) -> bool | None:
        """Whether the years reach ``threshold`` (以上含本数); None when the words allow both."""
        if self.low >= threshold:  # open or not, every value in the range reaches it
            return True
        if self.high < threshold or (self.high == threshold and self.high_open):
            return False
        return None

    def representative(self) -> float:
        """A number inside the range (the number said when it is inside)."""
        if self.low <= self.value <= self.high and not (
                (self.value == self.low and self.low_open)
                or (self.value == self.high and self.high_open)):
            return self.value
        if math.isinf(self.high):
            return self.low
        if self.high_open and self.value == self.high:  # 快5年, 不到6年: just under the number
            return max(self.low, self.high - 0.5)
        return (self.low + self.high) / 2


_ABOUT = ("大约", "大概", "约莫", "约", "差不多", "估计", "可能", "左右", "上下", "前后")
_BELOW = ("将近", "接近", "快要", "快", "近", "差不多快")
_UNDER = ("不到", "不足", "少于", "未满", "没满", "不满")
_OVER = ("以上", "至少", "起码", "超过", "多于", "满")
_MORE = ("多一点", "多点", "多", "出头", "有余")
_EXACT = ("已经", "已有", "已", "有", "整", "了", "正好", "刚好", "刚满", "足足")
_NUM = r"\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百]+"
_YEARS = re.compile(
    rf"^(?P<pre>(?:{'|'.join(sorted(_ABOUT + _BELOW + _UNDER + _OVER + _EXACT, key=len, reverse=True))})*)"
    rf"(?P<n>{_NUM})?(?:(?:个|整)?年)?(?P<half>半)?"
    rf"(?:(?:到|至|-|~|～|—)(?P<n2>{_NUM})(?:(?:个|整)?年)?(?P<half2>半)?)?"
    rf"(?:(?:个|整)?年)?"
    rf"(?P<post>(?:{'|'.join(sorted(_ABOUT + _MORE + _OVER + _UNDER + _EXACT, key=len, reverse=True))})*)"
    r"(?:(?:个|整)?年)?(?P<half3>半)?$")


def _number(text: str) -> float | None:
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    n = to_int(text)
    return None if n is None else float(n)


def read_years(text: str) -> Years | None:
    """A number of years typed as 6, 5.5, ５, 5年, 五年半, 半年, 5年左右, 快5年, 5到6年; None if not."""
    s = re.sub(r"\s+", "", (text or "").translate(_FULLWIDTH))
    if s in ("半年", "半"):
        return Years(0.5, 0.5, 0.5)
    m = _YEARS.match(s)
    if m is None or m["n"] is None:
        return None
    n = _number(m["n"])
    if n is None:
        return None
    n += 0.5 if (m["half"] or (m["half3"] and not m["n2"])) else 0
    if m["n2"] is not None:
        n2 = _number(m["n2"])
        if n2 is None:
            return None
        n2 += 0.5 if (m["half2"] or m["half3"]) else 0
        lo, hi = min(n, n2), max(n, n2)
        return Years(lo, lo, hi)
    words = _words(m["pre"]) + _words(m["post"])
    if any(w in _UNDER for w in words):
        return Years(n, 0, n, high_open=True)
    if any(w in _BELOW for w in words):
        return Years(n, max(0.0, n - 1), n, high_open=True)
    if any(w in _MORE for w in words):
        return Years(n, n, n + 1, low_open=True, high_open=True)
    if any(w in _OVER for w in words):
        return Years(n, n, math.inf)
    if any(w in _ABOUT for w in words):
        return Years(n, max(0.0, n - 0.5), n + 0.5)
    return Years(n, n, n)


def _words(run: str) -> list[str]:
    vocab = sorted(_ABOUT + _BELOW + _UNDER + _OVER + _MORE + _EXACT, key=len, reverse=True)
    out, i = [], 0
    while i < len(run):
        w = next(v for v in vocab if run.startswith(v, i))
        out.append(w)
        i += len(w)
    return out
