"""Honour-use check (第二十一条): is a piece of promotional text using the award correctly?

第二十一条: 获奖单位和个人在有效期内可在形象宣传中使用“市政府质量奖”荣誉称号，但需注明获奖
年份，并不得用于产品宣传。超过有效期后，不得继续沿用市政府质量奖荣誉。

Only mentions of *this* honour are judged: its full name and the short forms people write
(沧州市政府质量奖, 市政府质量奖, 沧州市质量奖…, from the pack's ``award_names``). Another
honour (河北省政府质量奖, 石家庄市政府质量奖, 中国质量奖) is left alone and noted as not covered.
Each mention must carry a year right before it (“2021年度沧州市政府质量奖”); that year must be
the award's 年度 when it is known; the award must still be valid and unrevoked; and the text
must not promote a product. The purpose is read from the words: a product, a brand, a model or
selling words (出品, 本款, XX牌, 订购, 价格…) make it product promotion; words that may or may
not be about a product (旗下, 销售…) make the reply say what to check. Where nothing points to a
product the reply still asks the user to confirm the text is used for the winner's image: the
words alone cannot show where the text will be printed.

With several awards (a chat bound to more than one), the year written in the text picks the
award it is judged against. Every sentence of the reply comes from the pack's claims.yaml.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from knowledge.claims import load_claims
from knowledge.pack import Pack
from knowledge.validity import EXPIRED, REVOKED, assess_for

MISSING_YEAR = "missing_year"
WRONG_YEAR = "wrong_year"
PRODUCT_PROMOTION = "product_promotion"
EXPIRED_CODE = "expired"
REVOKED_CODE = "revoked"

# Words that show the text sells or presents goods: product nouns and pointers (本款, 出品),
# models and brands, selling words. Matched on the normalised text.
PRODUCT_WORDS = ("产品", "商品", "货品", "包装", "本款", "此款", "该款", "新款", "爆款", "本品",
                 "该品", "出品", "型号", "规格", "订购", "订货", "选购", "购买", "抢购", "下单",
                 "促销", "热销", "畅销", "专卖", "旗舰店", "优惠", "特价", "折扣", "包邮", "价格",
                 "售价", "报价", "零售", "批发", "经销", "招商", "品质保证", "厂家直销", "直销",
                 "质优价廉", "物美价廉", "商标", "®", "™")
# Words that may be about a product or about the organisation: the reply says what to check.
UNCLEAR_WORDS = ("旗下", "销售", "首选", "值得信赖", "放心")
# A brand (XX牌, 品牌, 系列): 奖牌, 金牌, 路牌… and the measures' own 品牌建设 are not brands.
_BRAND_MARK = re.compile(r"([\u4e00-\u9fffA-Za-z0-9]{1,4})牌(?![照匾坊楼子])")
_NOT_BRAND = set("奖金银铜铭招门挂品路车标")
_BRAND_WORD = re.compile(r"(?<!一)系列|品牌(?!建设|影响力|引领|战略|培育|价值|创建|意识|形象)")
_NOT_PRODUCT = re.compile(r"质量保证体系|产品质量法|产品质量监督")  # law and system names

_CN_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_YEAR_BEFORE = re.compile(r"(\d{4})\s*年度?[^。！？；，,、\n奖]{0,12}$")
_YEAR_AFTER = re.compile(r"^[（(]\s*(\d{4})\s*年?度?\s*[)）]")
_WINDOW = 24
_HONOUR = re.compile(r"质量奖(?!励|金)")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# A character before a bare 市 that is not part of a place name: 荣获市政府质量奖, 本市…
_BEFORE_BARE = set("获得的为是度年项和及与本我该此届次评选授予颁被入荣首曾连并或再、，,。:：“\"'（(《 ")
_OTHER_ISSUER = re.compile(r"(?:省|自治区|县|区|旗|国家|全国|中国|亚洲|世界|市长|省长|县长|区长)"
                           r"(?:人民)?(?:政府)?$")


@dataclass(frozen=True)
class Award:
    """What the check knows of one award: its 年度 (the registry's), date and state."""

    year: int | None = None
    award_date: dt.date | None = None
    revoked: bool = False


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    name: str  # as written: 沧州市政府质量奖, 河北省政府质量奖, 质量奖
    ours: bool | None  # True: this honour; False: another; None: no issuer written
    year: int | None = None


@dataclass(frozen=True)
class UsageCheck:
    ok: bool
    problems: list[str] = field(default_factory=list)
    reply: str = ""  # plain text, Chinese
    award_year: int | None = None  # the award the text was judged against, when known

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "problems": self.problems, "reply": self.reply}


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_CN_DIGITS)


def honours(text: str, pack: Pack) -> list[Mention]:
    """Every honour named in ``text`` (already normalised), with whether it is this one."""
    place = str(pack.meta.get("place") or "")
    ours_full = re.compile(rf"{re.escape(place)}市?(?:人民)?(?:政府)?$") if place else None
    out: list[Mention] = []
    for m in _HONOUR.finditer(text):
        p, end = m.start(), m.end()
        pre = text[max(0, p - 16):p]
        base = p - len(pre)
        if ours_full and (full := ours_full.search(pre)):
            start, ours = base + full.start(), True
        elif bare := re.search(r"市(?:人民)?(?:政府)?$", pre):
            before = pre[bare.start() - 1] if bare.start() > 0 else ""
            if before and _CJK.match(before) and before not in _BEFORE_BARE:
                start, ours = base + _place_start(pre, bare.start()), False  # 石家庄市…
            else:
                start, ours = base + bare.start(), True  # 市政府质量奖, 市质量奖
        elif other := _OTHER_ISSUER.search(pre):
            start, ours = base + _place_start(pre, other.start()), False
        elif pre.endswith("政府"):
            start, ours = p - 2, True  # 政府质量奖: the loose form of this honour's name
        else:
            start, ours = p, None  # 质量奖 alone: whose, is not written
        out.append(Mention(start, end, text[start:end], ours, _year(text, start, end)))
    return out


def _place_start(pre: str, i: int) -> int:
    """Where the place name ending at ``pre[i]`` begins (at most 6 characters back)."""
    j = i
    while j > 0 and i - j < 6 and _CJK.match(pre[j - 1]) and pre[j - 1] not in _BEFORE_BARE:
        j -= 1
    return j


def _year(text: str, start: int, end: int) -> int | None:
    before = _YEAR_BEFORE.search(text[max(0, start - _WINDOW):start])
    after = _YEAR_AFTER.match(text[end:end + 12])
    found = before or after
    return int(found[1]) if found else None


def mentions(text: str, pack: Pack) -> list[tuple[int, int]]:
    """Where this award is named in ``text`` (already normalised)."""
    return [(m.start, m.end) for m in honours(text, pack) if m.ours]


def purpose_words(text: str) -> tuple[list[str], list[str]]:
    """(words that show product promotion, words that leave the purpose unclear)."""
    clean = _NOT_PRODUCT.sub("", text)
    strong = [w for w in PRODUCT_WORDS if w in clean]
    for m in _BRAND_MARK.finditer(clean):
        name = "".join(c if c not in _BEFORE_BARE else "|" for c in m.group(1)).split("|")[-1]
        if name and name[-1] not in _NOT_BRAND and name + "牌" not in strong:
            strong.append(name + "牌")
    strong += [w for w in dict.fromkeys(m.group(0) for m in _BRAND_WORD.finditer(clean))
               if w not in strong]
    unclear = [w for w in UNCLEAR_WORDS if w in clean and not any(w in s for s in strong)]
    return strong, unclear


def check_usage(text: str, pack: Pack, *, award_year: int | None = None,
                award_date: dt.date | None = None, today: dt.date | None = None,
                revoked: bool = False) -> UsageCheck:
    """Problems with how ``text`` uses the honour; ``award_year`` defaults to the award date's."""
    if award_year is None and award_date is not None:
        award_year = award_date.year
    awards = ([Award(award_year, award_date, revoked)]
              if award_year is not None or award_date is not None or revoked else [])
    return check_usage_awards(text, pack, awards, today)


def check_usage_awards(text: str, pack: Pack, awards: Sequence[Award],
                       today: dt.date | None) -> UsageCheck:
    """Check ``text`` against the awards of one winner (a chat may be bound to several): the
    year written in the text picks the award; with no year, a valid one is preferred."""
    claims = load_claims(pack)
    norm = _normalise(text or "")
    found = honours(norm, pack)
    ours = [m for m in found if m.ours]
    others = sorted({m.name for m in found if m.ours is False})
    unnamed = [m for m in found if m.ours is None]
    notes: list[str] = []
    if others:
        notes.append(claims.text("usage.other_honour", names="”“".join(others)))
    known = [a for a in awards if a.year is not None]
    best = _best(awards, pack, today)
    if not ours:
        if unnamed:
            notes.append(claims.text("usage.unspecified", name=unnamed[0].name,
                                     wording=correct_wording(pack, best.year if best else None)))
        return UsageCheck(True, [], "\n".join([claims.text("usage.not_mentioned"), *notes]))
    problems: list[str] = []
    lines: list[str] = []
    years = [m.year for m in ours if m.year is not None]
    judged: list[Award] = []
    if any(m.year is None for m in ours):
        problems.append(MISSING_YEAR)
    if known:
        by_year = {a.year: a for a in known}
        wrong = sorted({y for y in years if y not in by_year})
        judged = [by_year[y] for y in dict.fromkeys(years) if y in by_year]
        if wrong:
            problems.append(WRONG_YEAR)
            if len(known) == 1:
                lines.append(claims.text("usage.wrong_year", wrong="、".join(map(str, wrong)),
                                         year=known[0].year,
                                         wording=correct_wording(pack, known[0].year)))
            else:
                bound = "、".join(str(y) for y in sorted(by_year))
                lines.append(claims.text("usage.no_award", years="、".join(map(str, wrong)),
                                         bound=bound))
    if not judged and best is not None:
        judged = [best]
    wording_year = judged[0].year if judged else None
    if MISSING_YEAR in problems:
        lines.insert(0, claims.text("usage.missing_year",
                                    wording=correct_wording(pack, wording_year)))
    strong, unclear = purpose_words(norm)
    if strong:
        problems.append(PRODUCT_PROMOTION)
        lines.append(claims.text("usage.product", words="”“".join(strong[:4])))
    states = [_state(a, pack, today) for a in judged]
    if REVOKED in states:
        problems.append(REVOKED_CODE)
        lines.append(claims.text("usage.revoked"))
    elif EXPIRED in states:
        problems.append(EXPIRED_CODE)
        a = judged[states.index(EXPIRED)]
        v = assess_for(pack, a.award_date, today)  # type: ignore[arg-type]
        lines.append(claims.text("usage.expired", until=v.valid_until.isoformat()))
    if unclear and not strong:
        notes.append(claims.text("usage.purpose_unclear", words="”“".join(unclear[:3])))
    art = pack.regulation.article(21)
    quote = f"{art.label}：“{art.text}”"
    if not problems:
        if wording_year is not None:
            head = claims.text("usage.ok", wording=correct_wording(pack, wording_year))
        else:
            head = claims.text("usage.ok_year_unchecked",
                               years="、".join(f"{y}年度" for y in dict.fromkeys(years)))
        return UsageCheck(True, [], "\n".join([head, *notes]), wording_year)
    body = ["发现以下问题：", *(f"· {line}" for line in lines), *notes, quote]
    return UsageCheck(False, problems, "\n".join(body), wording_year)


def _state(award: Award, pack: Pack, today: dt.date | None) -> str | None:
    if award.revoked:
        return REVOKED
    if award.award_date is not None and today is not None:
        return assess_for(pack, award.award_date, today).state
    return None


def _best(awards: Sequence[Award], pack: Pack, today: dt.date | None) -> Award | None:
    """The award a text without a year is judged against: a valid one, the latest first."""
    if not awards:
        return None
    ranked = sorted(awards, key=lambda a: (
        _state(a, pack, today) not in (REVOKED, EXPIRED), a.year or 0), reverse=True)
    return ranked[0]


def correct_wording(pack: Pack, award_year: int | None) -> str:
    year = f"{award_year}" if award_year else "XXXX"
    return f"{year}年度{pack.award_name}"


def reply_html(check: UsageCheck) -> str:
    """The reply as Telegram HTML, the quoted article in a block quote."""
    head, sep, quote = check.reply.rpartition("\n第")
    if not sep or check.ok:
        return html.escape(check.reply, quote=False)
    return (html.escape(head, quote=False) + "\n<blockquote>第"
            + html.escape(quote, quote=False) + "</blockquote>")
