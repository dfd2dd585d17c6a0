"""Numbers as people write them: article references (第二十四条, 第24条, 24条) and every number a
user types to a command (a year, a number of days, a number of years in business).

One parser for user-typed numbers, used by every command: ``parse_int`` (a whole number),
``read_years`` (a number of years typed as an answer) and ``find_years`` (a number of years said
in a question, for the stated-facts answers). ``str.isdigit()`` is never the test, since it
accepts ² and ① which ``int()`` refuses.
"""

from __future__ import annotations

import itertools
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
              max_digits: int = MAX_DIGITS, digits_only: bool = False) -> int | None:
    """A whole number typed by a user (6, ６, ٣٠, 二十四, 二〇二一), or None when it is not one.

    Digits of any script that ``int()`` reads are accepted; superscripts, circled numbers,
    signs, decimals and text are not. ``lo``/``hi`` bound the value (None outside them).
    ``digits_only`` refuses Chinese numerals: for an id (a question number, a button's data)
    where 十 is a word rather than a number.
    """
    s = (text or "").strip().translate(_FULLWIDTH)
    if not s or len(s) > max_digits or (digits_only and not s.isdecimal()):
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

    def ends(self, step: float = 0.01, top: float = 200.0) -> tuple[float, ...]:
        """The number said when exact; else the two ends of the range (an open end just
        inside it, no upper bound as ``top``), for a rule to be tried on both: a threshold
        between them makes the answer "it depends", never "met"."""
        if not self.approximate:
            return (self.value,)
        lo = self.low + step if self.low_open else self.low
        hi = top if math.isinf(self.high) else (self.high - step if self.high_open else self.high)
        return (round(lo, 2), round(max(lo, hi), 2))


_ABOUT = ("大约", "大概", "约莫", "约", "差不多", "估计", "可能", "左右", "上下", "前后")
_BELOW = ("将近", "接近", "快要", "快", "近", "差不多快")
_UNDER = ("不到", "不足", "少于", "未满", "没满", "不满")
_OVER = ("以上", "至少", "起码", "超过", "多于", "满")
_MORE = ("多一点", "多点", "多", "出头", "有余")
_EXACT = ("已经", "已有", "已", "有", "整", "了", "正好", "刚好", "刚满", "足足")
_VOCAB = sorted(_ABOUT + _BELOW + _UNDER + _OVER + _MORE + _EXACT, key=len, reverse=True)
# No count of years is this large: a bigger number before 年 is a calendar year (2017年).
MAX_YEARS = 200

_CN_NUM = "零〇一二两三四五六七八九十百"
_NUM = rf"\d+(?:\.\d+)?|[{_CN_NUM}]+"
_TO = r"到|至|-|~|～|—|－|、|或者|或"  # 4到6年, 4-6年, 四、五年
_UNIT = r"(?:个|整)?(?:年头|年)"


def _alt(words: tuple[str, ...] | list[str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


def _phrase(post: str) -> str:
    return (rf"(?P<pre>(?:{_alt(_ABOUT + _BELOW + _UNDER + _OVER + _EXACT)})*)"
            rf"(?P<n>{_NUM})(?P<approx>来|多|几)?(?P<unit>{_UNIT})?(?P<half>半)?"
            rf"(?:(?:{_TO})(?P<n2>{_NUM})(?P<approx2>多|几)?(?P<unit2>{_UNIT})?(?P<half2>半)?)?"
            rf"(?P<post>{post})(?P<unit3>{_UNIT})?(?P<half3>半)?")


# the whole answer to "how many years" (a self-check question): 6, 5年左右, 五年半
_YEARS = re.compile("^" + _phrase(rf"(?:{_alt(_ABOUT + _MORE + _OVER + _UNDER + _EXACT)})*") + "$")
# a number of years inside a sentence (公司成立快5年能报吗): the unit 年 is required, and words
# after it that begin something else are not taken (3年满足… is not 满3年, 多少 is not 多)
_POST_IN_TEXT = r"(?:左右|上下|前后|以上|出头|有余|多一点|多点|多(?![少久])|不到|不足|整|了)*"
_YEARS_IN_TEXT = re.compile(
    rf"(?<![0-9.．{_CN_NUM}])" + _phrase(_POST_IN_TEXT)
    # not a point in time or a window: 3年前, 3年以后, 3年内, 2021年度, 90年代, 三年级, 年底
    + rf"(?![0-9{_CN_NUM}]|以?[前后内]|度|代|级|底|初|末|份)")

_YEARS_AND_MONTHS = re.compile(
    rf"(?<![0-9.{_CN_NUM}])(?P<y>\d+|[{_CN_NUM}]+)(?:个)?年(?:零|又)?(?P<m>\d+|[{_CN_NUM}]+)个(?:多)?月")
_DIGIT_WORDS = "一二两三四五六七八九"


def _count(numeral: str) -> float | None:
    """One numeral of a number of years: 6, 5.5, 十二, 二十; None for 二四 (no count of years
    is said digit by digit) and for anything else."""
    s = numeral.translate(_FULLWIDTH)
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
        return float(s) if len(s) <= MAX_DIGITS else None
    if any(a in _DIGIT_WORDS and b in _DIGIT_WORDS for a, b in itertools.pairwise(s)):
        return None
    n = to_int(s)
    return None if n is None else float(n)


def _spoken_range(numeral: str) -> tuple[float, float] | None:
    """Two numerals side by side said as a range: 四五 (4 or 5), 两三, 十五六, 二十七八,
    五六十, and 三五 (three to five); None when the numeral is not one."""
    s = numeral.translate(_FULLWIDTH)
    for i, (a, b) in enumerate(itertools.pairwise(s)):
        if a in _DIGIT_WORDS and b in _DIGIT_WORDS:
            if _DIGITS[b] != _DIGITS[a] + 1 and (a, b) != ("三", "五"):
                return None
            lo, hi = _count(s[:i] + a + s[i + 2:]), _count(s[:i] + b + s[i + 2:])
            if lo is None or hi is None:
                return None
            return min(lo, hi), max(lo, hi)
    return None


def _years(m: re.Match[str]) -> Years | None:
    """The range a matched phrase of years allows (see :class:`Years`)."""
    rng = _spoken_range(m["n"])
    n = rng[0] if rng else _count(m["n"])
    if n is None:
        return None
    half = 0.5 if (m["half"] or (m["half3"] and not m["n2"])) else 0.0
    if m["n2"] is not None or rng is not None:
        if m["n2"] is not None:
            if rng is not None:
                return None  # 四五到六年: not a way anyone says a number
            n2 = _count(m["n2"])
            if n2 is None:
                return None
            n2 += 0.5 if (m["half2"] or m["half3"]) else 0.0
            approx = m["approx2"]
        else:
            n2, approx = rng[1] + half, m["approx"]  # type: ignore[index]
        lo, hi = min(n + half if m["n2"] else n, n2), max(n, n2)
        if approx in ("多", "几") and hi % 10 == 0 and hi >= 10:
            return Years(lo, lo, hi + 10, high_open=True)  # 二三十多年
        return Years(lo, lo, hi)
    n += half
    approx = m["approx"]
    tens = n % 10 == 0 and n >= 10
    if approx in ("多", "几") and tens:
        return Years(n, n, n + 10, low_open=True, high_open=True)  # 二十多年, 十几年: 21..29
    if approx == "来" and tens:
        return Years(n, n - 1, n + 1)  # 十来年: about ten
    if approx in ("多", "几", "来"):
        return Years(n, n, n + 1, low_open=True, high_open=True)
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


def read_years(text: str) -> Years | None:
    """A number of years typed as the whole answer: 6, 5.5, ５, 5年, 五年半, 半年, 5年左右, 快5年,
    5到6年, 四五年 (a range), 十来年, 二十多年; None if it is not one (两五, 二四, abc)."""
    s = re.sub(r"\s+", "", (text or "").translate(_FULLWIDTH))
    s = _months_as_years(s)[0]  # 4年10个月
    if s in ("半年", "半"):
        return Years(0.5, 0.5, 0.5)
    m = _YEARS.match(s)
    return _years(m) if m is not None else None


def find_years(text: str) -> tuple[str, Years] | None:
    """The first number of years said inside a sentence, as said and as a range:
    公司成立快5年了 -> ("快5年", 4 to under 5). Not a calendar year (2017年), a window
    (近3年, 这三年, 3年内), a time ago or ahead (3年前, 三年以后) or a number over 200."""
    s, said_as = _months_as_years((text or "").translate(_FULLWIDTH))
    for m in _YEARS_IN_TEXT.finditer(s):
        if not (m["unit"] or m["unit2"] or m["unit3"]):
            continue  # a number with no 年 after it is not a number of years
        pre = _words(m["pre"])
        if (pre[:1] == ["近"]) or (not pre and m.start() > 0 and s[m.start() - 1] in "这近内"):
            continue  # 近3年, 最近三年, 这三年: the last N years, a window, not a duration
        said = _years(m)
        if said is None or said.high > MAX_YEARS and not math.isinf(said.high) \
                or said.low > MAX_YEARS:
            continue
        shown = m.group(0)
        for w in pre:
            if w not in _EXACT:
                break
            shown = shown[len(w):]  # 成立了5年: said "5年"
        shown = shown.removesuffix("了")
        for token, original in said_as.items():
            shown = shown.replace(token, original)
        return shown, said
    m = re.search(rf"(?<![{_CN_NUM}0-9])半年(?!前|以前|内|以内|后|以后)", s)
    if m is not None:
        return "半年", Years(0.5, 0.5, 0.5)
    return None


def _months_as_years(s: str) -> tuple[str, dict[str, str]]:
    """四年零十个月, 4年10个月: years and months written as years (4.83年), with what each
    stood for, so that it can be shown as said."""
    said_as: dict[str, str] = {}

    def in_years(m: re.Match[str]) -> str:
        years, months = _count(m["y"]), _count(m["m"])
        if years is None or months is None or months >= 12:
            return m.group(0)
        token = f"{years + months / 12:.2f}".rstrip("0").rstrip(".") + "年"
        said_as[token] = m.group(0)
        return token

    return _YEARS_AND_MONTHS.sub(in_years, s), said_as


def _words(run: str) -> list[str]:
    out, i = [], 0
    while i < len(run):
        w = next(v for v in _VOCAB if run.startswith(v, i))
        out.append(w)
        i += len(w)
    return out
