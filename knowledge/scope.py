"""What the measures govern, and the precise reason a question falls outside them.

The pack's ``scope.yaml`` declares the place and the award the measures are about, the other
levels and schemes people confuse with it, and the topics the measures do not address (tax,
loans, contacts, the dates of one year's round, the names of winners…). A question about
another place's award, another level's award or another scheme, or on such a topic, is declined
with the reason and, where the measures say something useful nearby, that article named.
Nothing here is specific to one regulation: another pack brings its own ``scope.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from knowledge.lexicon import normalize
from knowledge.pack import Pack

OTHER_PLACE, OTHER_LEVEL, OTHER_PROGRAMME, TOPIC = "other_place", "other_level", "other_programme", "topic"
# inside an award's name after a place: not 获/得/拿/过 (在石家庄也获过奖 is not 石家庄's award)
_NAME_CHAR = r"(?:(?![获得拿过也还都在和与及])[\u4e00-\u9fff])"


@dataclass(frozen=True)
class Decline:
    """Why a question is outside the measures."""

    kind: str  # other_place | other_level | other_programme | topic
    reason: str  # the sentence shown to the user
    other: str = ""  # the other award, place or scheme named
    topic: str = ""  # the topic id, for a topic the measures do not address
    nearby: tuple[int, ...] = ()  # articles that say something useful nearby
    quote: bool = False  # quote the nearby article's sentence (else name it)
    command: str = ""  # a command that helps instead (verify)


@dataclass(frozen=True)
class _Topic:
    id: str
    patterns: re.Pattern[str]
    unless: re.Pattern[str] | None
    reason: str
    nearby: tuple[int, ...]
    quote: bool
    command: str


def alternation(words: list[str]) -> str:
    """One regex alternative per word, escaped, longest first (a phrase before its parts)."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True) if w)


@cache
def _places() -> tuple[str, ...]:
    path = Path(str(resources.files("knowledge") / "data" / "lexicon" / "places.txt"))
    return tuple(ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()
                 if ln.strip() and not ln.startswith("#"))


# a place in pinyin initials, then 市 or 省 (sjz市, hb省)
_LATIN_PLACE = re.compile(r"(?<![a-z0-9])([a-z]{2,5})(?:市|省)")


class Scope:
    """The pack's declared scope, compiled once."""

    def __init__(self, pack: Pack) -> None:
        data: dict[str, Any] = pack.load_yaml("scope.yaml") or {}
        self.data = data
        place = data.get("place") or {}
        self.place = str(place.get("name", ""))
        self.place_words = [normalize(str(w)) for w in place.get("words") or []]
        self.inside = [normalize(str(w)) for w in place.get("inside") or []]
        self.latin_own = {normalize(str(w)) for w in place.get("latin") or []}
        award = data.get("award") or {}
        self.award = str(award.get("name", pack.award_name))
        self.award_words = [normalize(str(w)) for w in award.get("words") or []]
        owner = str(data.get("award_owner") or "")
        noun = str(data.get("award_noun") or r"(?:奖)").replace(r"[\u4e00-\u9fff]", _NAME_CHAR)
        ours = set(self.place_words) | set(self.inside) | {normalize(self.place)}
        others = [p for p in _places() if not any(p in o or o in p for o in ours)]
        self.other_places = others
        self._other_place = re.compile(
            f"(?P<place>{alternation(others)})(?:(?:也|还|都|自己)?有(?:个|一个|自己的)?)?"
            f"(?P<award>{owner}{noun})")
        # a county of the place with an award of its own (任丘市自己有没有市长质量奖, 黄骅市长质量奖,
        # 献县质量奖): not this one, though the county is inside the place
        inside = alternation(self.inside)
        self._inside_award = re.compile(
            f"(?P<place>{inside})(?:市|县|区)?(?:(?:自己|也|还|单独|另外)[^，。？！]{{0,6}}?"
            f"(?P<own>(?:市长|县长|区长|政府)?质量[奖将])|(?P<head>(?:市长|县长|区长|政府)?质量[奖将]))"
        ) if inside else None
        # the same said of "our county" without its name (我们县自己也设了个县政府质量奖, 县里自己的
        # 质量奖): the county's own award is named by 县/区 words, never by the city's (市政府)
        local = [normalize(str(w)) for w in place.get("local") or []]
        self._local_award = re.compile(
            f"(?P<place>{alternation(local)})(?:(?:自己|也|还|单独|另外)[^，。？！]{{0,6}}?"
            f"(?P<own>(?:县长|区长|县政府|区政府|县级|区级|县里的?|区里的?|县|区)?质量[奖将])"
            f"|(?P<head>(?:长|政府|级|里的|自己的)质量[奖将]))"
        ) if local else None
        self._levels: list[tuple[re.Pattern[str], str]] = []
        for lv in data.get("levels") or []:
            words = [normalize(str(w)) for w in lv.get("words") or []]
            self._levels.append((re.compile(f"(?:{alternation(words)}){owner}{noun}"),
                                 str(lv.get("name", ""))))
        prog = data.get("programmes") or {}
        names = [normalize(str(w)) for w in prog.get("names") or []]
        self._programme = re.compile(alternation(names)) if names else None
        # 市长质量奖和市政府质量奖一样吗: the scheme is asked about beside this award, no fact
        self._compared = re.compile("|".join(f"(?:{p})" for p in prog.get("compared") or ["$^"]))
        bg = str(prog.get("background") or "$^")
        self._background = re.compile(f"(?:{bg})[^，。？！,?!]{{0,4}}$")
        # after the scheme: this award named (首席质量官申请个人奖) or the scheme weighed against
        # its conditions (有ISO认证就行吗): a fact about the applicant, not the subject
        after = [str(p) for p in prog.get("background_after") or []]
        after += [re.escape(normalize(str((e or {}).get("name", k))))
                  for k, e in (data.get("kinds") or {}).items()]
        self._background_after = re.compile("|".join(f"(?:{p})" for p in after) or "$^")
        self._topics: list[_Topic] = []
        for t in data.get("topics") or []:
            pats = [str(p) for p in t.get("patterns") or []]
            unless = [str(p) for p in t.get("unless") or []]
            self._topics.append(_Topic(
                str(t["id"]), re.compile("|".join(f"(?:{p})" for p in pats)),
                re.compile("|".join(f"(?:{p})" for p in unless)) if unless else None,
                str(t.get("reason", "")), tuple(int(n) for n in t.get("nearby") or ()),
                bool(t.get("quote", False)), str(t.get("command", ""))))
        self.messages = {str(k): str(v) for k, v in (data.get("messages") or {}).items()}
        anchors = [normalize(str(w)) for w in data.get("anchors") or []]
        aids = pack.load_yaml("questions.yaml") or {}
        for entry in (aids.get("articles") or {}).values():
            anchors += [normalize(str(t)) for t in (entry or {}).get("terms") or []
                        if len(str(t)) >= 3]
        patterns = [alternation(anchors)] if anchors else []
        # 往市里报, 不想报: applying said with the bare verb (not 年报, 报销, 报纸)
        patterns += [str(p) for p in data.get("anchor_patterns") or []]
        self._anchor = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None
        # the anchors a synonym or a typo's repair may reach (说了算 -> 认定): the award's own
        # steps, not words any service has (到期 -> 有效期 in 驾照到期怎么换)
        by_synonym = [normalize(str(w)) for w in data.get("synonym_anchors") or []]
        self._synonym_anchor = re.compile(alternation(by_synonym)) if by_synonym else None

    def check(self, text: str) -> Decline | None:
        """The reason a normalised question is outside the measures, or None."""
        if m := self._other_place.search(text):
            other = m.group("place") + m.group("award")  # 天津也有政府质量奖: 天津政府质量奖
            return Decline(OTHER_PLACE, self._message("other_place", other), other)
        if (m := _LATIN_PLACE.search(text)) and m.group(1) not in self.latin_own:
            # sjz市的质量奖: a place written in pinyin initials that is not this one (cz市)
            other = m.group(0)
            return Decline(OTHER_PLACE, self._message("other_place", other), other)
        if self._inside_award is not None and (m := self._inside_award.search(text)):
            other = m.group("place") + (m.group("own") or m.group("head"))
            return Decline(OTHER_LEVEL, self._message("other_level", other), other)
        if self._local_award is not None and (m := self._local_award.search(text)):
            own = m.group("own") or m.group("head")
            other = own if own[0] in "县区" else m.group("place") + own  # 县政府质量奖, 县里质量奖
            return Decline(OTHER_LEVEL, self._message("other_level", other), other)
        for rx, _name in self._levels:
            for m in rx.finditer(text):
                if self._background.search(text[:m.start()]) and self._ours_after(text[m.end():]):
                    continue  # 拿过省里的荣誉，报市政府质量奖…: the applicant's record
                other = m.group(0)
                return Decline(OTHER_LEVEL, self._message("other_level", other), other)
        if self._programme is not None:
            facts_end = None  # the end of the last scheme read as a fact about the applicant
            for m in self._programme.finditer(text):
                after = text[m.end():]
                if (self._background.search(text[:m.start()])
                        or (self._background_after.search(after)
                            and not self._compared.search(after))
                        or (facts_end is not None and m.start() - facts_end <= 4)):
                    facts_end = m.end()
                    continue  # 没有通过ISO9001认证能报吗: a fact about the applicant
                other = m.group(0)
                return Decline(OTHER_PROGRAMME, self._message("other_programme", other), other)
        for t in self._topics:
            if t.patterns.search(text) and not (t.unless and t.unless.search(text)):
                return Decline(TOPIC, t.reason, topic=t.id, nearby=t.nearby, quote=t.quote,
                               command=t.command)
        return None

    def _ours_after(self, rest: str) -> bool:
        """Something of this award follows (报市政府质量奖…): what came before was background;
        without it (沧州有多少家企业获得过省政府质量奖) the other award is what is asked about."""
        return any(w in rest for w in self.award_words) or self.anchored(rest)

    def _message(self, key: str, other: str) -> str:
        template = self.messages.get(key) or "本办法只规定{award}。"
        return template.format(award=self.award, place=self.place, other=other.upper())

    def anchored(self, text: str) -> bool:
        """The question names the award, one of its steps or one of the measures' terms."""
        return bool(self._anchor and self._anchor.search(text))

    def anchored_by(self, words: str) -> bool:
        """Words reached through synonyms name one of the award's own steps."""
        return bool(self._synonym_anchor and self._synonym_anchor.search(words))

    def names_this_award(self, text: str) -> bool:
        return any(w in text for w in self.award_words)


def other_places(scope: Scope) -> list[str]:
    """Every place of the gazetteer that is not the measures' own."""
    return list(scope.other_places)


_SCOPES: dict[str, Scope] = {}


def scope_for(pack: Pack) -> Scope:
    key = str(pack.path)
    if key not in _SCOPES:
        _SCOPES[key] = Scope(pack)
    return _SCOPES[key]
