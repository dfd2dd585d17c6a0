"""Honour-use check (第二十一条): is a piece of promotional text using the award correctly?

第二十一条: 获奖单位和个人在有效期内可在形象宣传中使用“市政府质量奖”荣誉称号，但需注明获奖
年份，并不得用于产品宣传。超过有效期后，不得继续沿用市政府质量奖荣誉。

Only mentions of *this* honour are judged: its full name and the short forms people write
(沧州市政府质量奖, 市政府质量奖, 沧州市质量奖…, from the pack's ``award_names``). Another
honour (河北省政府质量奖, 石家庄市政府质量奖, 中国质量奖) is left alone and noted as not covered.
Each mention must carry a year right before it (“2021年度沧州市政府质量奖”); that year must be
the award's 年度 when it is known; the award must still be valid and unrevoked; and the text
must not promote a product. The purpose is read from the words, with the lists of the pack's
``purpose.yaml``: a product, a brand, a model, a shop, a specification or a call to buy (出品, 本款,
XX牌, 生产的…荣获, 就选, 八折, 53度, 店铺…) make it product promotion; words that may or may
not be about a product (旗下, 销售, 来电, 上市…) make the reply say what to check, and never that
none was seen. Where nothing points to a product the reply still asks the user to confirm the
text is used for the winner's image: the words alone cannot show where it will be printed.

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
from knowledge.pack import Pack, PackError
from knowledge.validity import EXPIRED, REVOKED, assess_for

MISSING_YEAR = "missing_year"
WRONG_YEAR = "wrong_year"
PRODUCT_PROMOTION = "product_promotion"
EXPIRED_CODE = "expired"
REVOKED_CODE = "revoked"

PURPOSE_FILE = "purpose.yaml"  # the pack's words for the purpose of a text (第二十一条)

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


def _as_written(text: str) -> str:
    """NFKC only: the same length as ``_normalise(text)``, to quote a match as written (八折)."""
    return unicodedata.normalize("NFKC", text)


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


@dataclass(frozen=True)
class _Purpose:
    """The pack's purpose.yaml, compiled: what shows product promotion, what leaves it open."""

    product: tuple[str, ...]
    product_patterns: tuple[re.Pattern[str], ...]
    unclear: tuple[str, ...]
    unclear_patterns: tuple[re.Pattern[str], ...]
    not_product: re.Pattern[str] | None
    brand_mark: re.Pattern[str]
    not_brand: frozenset[str]
    brand_word: re.Pattern[str]


_PURPOSE: dict[tuple[str, str], _Purpose] = {}


def _purpose(pack: Pack) -> _Purpose:
    key = (pack.id, str(pack.path))
    if key not in _PURPOSE:
        _PURPOSE[key] = _read_purpose(pack)
    return _PURPOSE[key]


def _read_purpose(pack: Pack) -> _Purpose:
    data = pack.load_yaml(PURPOSE_FILE)
    if not isinstance(data, dict):
        raise PackError(f"知识包 {pack.id} 缺少 {PURPOSE_FILE}")

    def words(name: str) -> tuple[str, ...]:
        return tuple(_normalise(str(w)) for w in data.get(name) or ())

    def patterns(name: str) -> tuple[re.Pattern[str], ...]:
        out = []
        for label, rx in (data.get(name) or {}).items():
            try:
                out.append(re.compile(str(rx)))
            except re.error as e:
                raise PackError(f"{PURPOSE_FILE}: {name}.{label} 不是有效的正则表达式：{e}") from None
        return tuple(out)

    brand = data.get("brand") or {}
    not_product = words("not_product")
    after_mark = re.escape(str(brand.get("not_after_mark") or ""))
    after_word = "|".join(re.escape(str(w)) for w in brand.get("not_after_word") or ())
    return _Purpose(
        product=words("product"), product_patterns=patterns("product_patterns"),
        unclear=words("unclear"), unclear_patterns=patterns("unclear_patterns"),
        not_product=re.compile("|".join(map(re.escape, not_product))) if not_product else None,
        brand_mark=re.compile(r"([\u4e00-\u9fffA-Za-z0-9]{1,4})牌"
                              + (rf"(?![{after_mark}])" if after_mark else "")),
        not_brand=frozenset(str(brand.get("not_before_mark") or "")),
        brand_word=re.compile(r"(?<!一)系列|品牌" + (rf"(?!{after_word})" if after_word else "")))


def purpose_words(text: str, pack: Pack, shown: str | None = None) -> tuple[list[str], list[str]]:
    """(words that show product promotion, words that leave the purpose unclear), as found in
    ``text`` (already normalised), by the pack's purpose.yaml; a pattern's match is quoted from
    ``shown`` (the text as written, the same length) when given."""
    p = _purpose(pack)
    shown = shown if shown is not None and len(shown) == len(text) else text
    # what only looks like a product word is blanked out, keeping every position
    clean = (p.not_product.sub(lambda m: "，" * len(m.group(0)), text) if p.not_product
             else text)

    def found(rx: re.Pattern[str], into: list[str]) -> list[str]:
        return [shown[m.start():m.end()] for m in rx.finditer(clean)
                if shown[m.start():m.end()] not in into]

    strong = [w for w in p.product if w in clean]
    for rx in p.product_patterns:
        strong += found(rx, strong)
    for m in p.brand_mark.finditer(clean):
        name = "".join(c if c not in _BEFORE_BARE else "|" for c in m.group(1)).split("|")[-1]
        if name and name[-1] not in p.not_brand and name + "牌" not in strong:
            strong.append(name + "牌")
    strong += [w for w in dict.fromkeys(m.group(0) for m in p.brand_word.finditer(clean))
               if w not in strong]
    unclear = [w for w in p.unclear if w in clean]
    for rx in p.unclear_patterns:
        unclear += found(rx, unclear)
    unclear = [w for w in unclear if not any(w in s or s in w for s in strong)]
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
    strong, unclear = purpose_words(norm, pack, _as_written(text or ""))
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
        # words that leave the purpose open: the reply does not say none were seen
        is_open = bool(unclear and not strong)
        if wording_year is not None:
            head = claims.text("usage.ok_purpose_unclear" if is_open else "usage.ok",
                               wording=correct_wording(pack, wording_year))
        else:
            head = claims.text("usage.ok_year_unchecked_purpose_unclear" if is_open
                               else "usage.ok_year_unchecked",
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
