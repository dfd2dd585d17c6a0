"""Honour-use check (第二十一条): is a piece of promotional text using the award correctly?

第二十一条: 获奖单位和个人在有效期内可在形象宣传中使用“市政府质量奖”荣誉称号，但需注明获奖
年份，并不得用于产品宣传。超过有效期后，不得继续沿用市政府质量奖荣誉。

Text that does not name the award has nothing to check. Where it does, each mention must carry
a year right before it (“2021年度沧州市政府质量奖”), that year must be the award year when it is
known, the text must not promote a product, and the award must still be valid and unrevoked.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import unicodedata
from dataclasses import dataclass, field

from knowledge.pack import Pack
from knowledge.validity import EXPIRED, assess

MISSING_YEAR = "missing_year"
WRONG_YEAR = "wrong_year"
PRODUCT_PROMOTION = "product_promotion"
EXPIRED_CODE = "expired"
REVOKED_CODE = "revoked"

# Words that show the honour is used to sell goods rather than for the winner's image.
PRODUCT_WORDS = ("产品", "包装", "商品", "选购", "购买", "抢购", "下单", "促销", "热销", "专卖",
                 "旗舰店", "货品", "优惠价", "特价", "包邮")

_CN_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_YEAR_BEFORE = re.compile(r"(\d{4})\s*年度?[^。！？；，,\n]{0,12}$")
_YEAR_AFTER = re.compile(r"^[（(]\s*(\d{4})\s*年?度?\s*[)）]")
_WINDOW = 24


@dataclass(frozen=True)
class UsageCheck:
    ok: bool
    problems: list[str] = field(default_factory=list)
    reply: str = ""  # plain text, Chinese

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "problems": self.problems, "reply": self.reply}


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_CN_DIGITS)


def _award_pattern(pack: Pack) -> re.Pattern[str]:
    # “沧州市政府质量奖”, “市政府质量奖”, and the loose “政府质量奖” all name the award.
    short = str(pack.meta.get("award_short_name") or pack.award_name)
    core = short.removeprefix("市")
    return re.compile(re.escape(core))


def mentions(text: str, pack: Pack) -> list[tuple[int, int]]:
    """Where the award is named in ``text`` (already normalised)."""
    return [m.span() for m in _award_pattern(pack).finditer(text)]


def check_usage(text: str, pack: Pack, *, award_year: int | None = None,
                award_date: dt.date | None = None, today: dt.date | None = None,
                revoked: bool = False) -> UsageCheck:
    """Problems with how ``text`` uses the honour; ``award_year`` defaults to the award date's."""
    norm = _normalise(text or "")
    spans = mentions(norm, pack)
    if not spans:
        return UsageCheck(True, [], "文中没有提到市政府质量奖，不涉及荣誉称号的使用。")
    if award_year is None and award_date is not None:
        award_year = award_date.year
    problems: list[str] = []
    years: list[int] = []
    for start, end in spans:
        before = _YEAR_BEFORE.search(norm[max(0, start - _WINDOW):start])
        after = _YEAR_AFTER.match(norm[end:end + 12])
        found = before or after
        if found is None:
            if MISSING_YEAR not in problems:
                problems.append(MISSING_YEAR)
        else:
            years.append(int(found[1]))
    if award_year is not None and any(y != award_year for y in years):
        problems.append(WRONG_YEAR)
    if any(w in norm for w in PRODUCT_WORDS):
        problems.append(PRODUCT_PROMOTION)
    if revoked:
        problems.append(REVOKED_CODE)
    elif award_date is not None and today is not None:
        v = assess(award_date, today, int(pack.value("validity_years")))
        if v.state == EXPIRED:
            problems.append(EXPIRED_CODE)
    return UsageCheck(not problems, problems,
                      _reply(problems, pack, award_year, years, award_date, today))


def correct_wording(pack: Pack, award_year: int | None) -> str:
    year = f"{award_year}" if award_year else "XXXX"
    return f"{year}年度{pack.award_name}"


def _reply(problems: list[str], pack: Pack, award_year: int | None, years: list[int],
           award_date: dt.date | None, today: dt.date | None) -> str:
    art = pack.regulation.article(21)
    wording = correct_wording(pack, award_year)
    if not problems:
        return (f"用法符合{art.label}：注明了获奖年份，用于形象宣传。"
                f"请在有效期内使用，并继续写作“{wording}”。")
    lines = ["发现以下问题："]
    for p in problems:
        if p == MISSING_YEAR:
            lines.append(f"· 提到荣誉称号时没有注明获奖年份，应写作“{wording}”。")
        elif p == WRONG_YEAR:
            wrong = "、".join(str(y) for y in sorted(set(years)) if y != award_year)
            lines.append(f"· 年份写成了 {wrong}，获奖年份是 {award_year} 年，应写作“{wording}”。")
        elif p == PRODUCT_PROMOTION:
            lines.append("· 用于产品宣传（产品、包装、商品等），荣誉称号只能用于形象宣传。")
        elif p == EXPIRED_CODE:
            v = assess(award_date, today, int(pack.value("validity_years")))  # type: ignore[arg-type]
            lines.append(f"· 奖项已于 {v.valid_until.isoformat()} 期满，不得继续沿用荣誉称号。")
        elif p == REVOKED_CODE:
            label = pack.regulation.article(24).label
            lines.append(f"· 奖项已被撤销（{label}），不得使用荣誉称号。")
    lines.append(f"{art.label}：“{art.text}”")
    return "\n".join(lines)


def reply_html(check: UsageCheck) -> str:
    """The reply as Telegram HTML, the quoted article in a block quote."""
    head, sep, quote = check.reply.rpartition("\n第")
    if not sep or check.ok:
        return html.escape(check.reply, quote=False)
    return (html.escape(head, quote=False) + "\n<blockquote>第"
            + html.escape(quote, quote=False) + "</blockquote>")
