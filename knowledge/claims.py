"""The register of legal claims: every sentence template that states law, with its article.

A verdict, a reminder, a /status line, a usage verdict, a staff confirmation: whatever the bot
says about what the measures allow, require or forbid is a template in the pack's
``claims.yaml``, tied to the article (and item) it rests on and to the words of that article it
repeats (``keywords``). Code renders a claim by its id and never writes such a sentence itself;
tests check each claim against its article and render every template in every state of an
award to prove a ban (第二十四条) never comes with a date, a next step or a priority.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from knowledge.pack import Pack, PackError, Ref

CLAIMS_FILE = "claims.yaml"

BAN = "ban"  # forbids for good: 今后不得申报
KINDS = ("ban", "prohibition", "permission", "duty", "date", "state", "procedure", "notice")


@dataclass(frozen=True)
class Claim:
    id: str
    refs: tuple[Ref, ...]
    keywords: tuple[str, ...]
    kind: str
    text: str  # the template

    @property
    def label(self) -> str:
        """The articles it rests on, as the measures name them: 第四条、第十七条."""
        return "、".join(r.label for r in self.refs)

    @property
    def placeholders(self) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(self.text) if name}


class Claims:
    """The pack's claims, rendered by id with the pack's values filled in."""

    def __init__(self, pack: Pack, claims: dict[str, Claim]) -> None:
        self.pack = pack
        self.claims = claims
        self._common = common_values(pack)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.claims.values())

    def __contains__(self, claim_id: str) -> bool:
        return claim_id in self.claims

    def get(self, claim_id: str) -> Claim:
        try:
            return self.claims[claim_id]
        except KeyError:
            raise PackError(f"{CLAIMS_FILE}: 没有声明 {claim_id}") from None

    def states_ban(self, text: str) -> bool:
        """Whether ``text`` states 第二十四条's ban: holds the words every ban claim holds
        (今后不得申报). Nothing with a date or a next step may stand beside it."""
        bans = [set(c.keywords) for c in self.claims.values() if c.kind == BAN]
        common = set.intersection(*bans) if bans else set()
        return any(k in text for k in common)

    def text(self, claim_id: str, **values: Any) -> str:
        """The claim's sentence with ``values`` (and the pack's own values) filled in."""
        claim = self.get(claim_id)
        try:
            return claim.text.format_map({**self._common, "ref": claim.label, **values})
        except KeyError as e:
            raise PackError(f"{CLAIMS_FILE}: 声明 {claim_id} 缺少取值 {e}") from None

    def sentence(self, claim_id: str) -> str:
        """The sentences of the first article the claim rests on that hold its keywords: the
        words of the measures to quote beside the claim."""
        claim = self.get(claim_id)
        ref = claim.refs[0]
        art = self.pack.regulation.article(ref.article)
        found = [s.text for s in art.sentences if (ref.item is None or s.item == ref.item)
                 and any(k in s.text for k in claim.keywords)]
        return "".join(found) or art.text


def common_values(pack: Pack) -> dict[str, Any]:
    """What every claim may use: the award's names, the counting basis and the pack's facts."""
    from knowledge.validity import period

    values: dict[str, Any] = {k: f.value for k, f in pack.facts.items()}
    values.update(award=pack.award_name,
                  award_short=str(pack.meta.get("award_short_name") or pack.award_name),
                  doc_number=pack.doc_number, title=pack.title,
                  basis=period(pack).basis)
    return values


_CACHE: dict[tuple[str, str], Claims] = {}


def load_claims(pack: Pack) -> Claims:
    """The pack's register (read once per pack); a malformed entry is a PackError."""
    key = (pack.id, str(pack.path))
    if key not in _CACHE:
        _CACHE[key] = Claims(pack, _read(pack))
    return _CACHE[key]


def _read(pack: Pack) -> dict[str, Claim]:
    data = pack.load_yaml(CLAIMS_FILE)
    if not isinstance(data, dict) or not isinstance(data.get("claims"), dict):
        raise PackError(f"知识包 {pack.id} 缺少 {CLAIMS_FILE}")
    out: dict[str, Claim] = {}
    for claim_id, c in data["claims"].items():
        refs = tuple(_ref(r, claim_id) for r in _as_list(c.get("rests_on")))
        keywords = tuple(str(k) for k in _as_list(c.get("keywords")))
        kind = str(c.get("kind", ""))
        if not refs or not keywords or kind not in KINDS or not c.get("text"):
            raise PackError(f"{CLAIMS_FILE}: 声明 {claim_id} 需要 rests_on、keywords、"
                            f"kind（{'/'.join(KINDS)}）和 text")
        out[str(claim_id)] = Claim(str(claim_id), refs, keywords, kind, str(c["text"]))
    return out


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _ref(value: Any, claim_id: str) -> Ref:
    """``24`` is 第二十四条; ``"7.5"`` is 第七条第（五）项."""
    text = str(value)
    article, _, item = text.partition(".")
    if not article.isascii() or not article.isdecimal() or (item and not item.isdecimal()):
        raise PackError(f"{CLAIMS_FILE}: 声明 {claim_id} 的 rests_on 无效：{text}")
    return Ref(int(article), int(item) if item else None)
