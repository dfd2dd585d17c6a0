"""What a question asks for, and which sentences of a regulation can give it.

A question carries one or more intents (an amount of money, a count of something, a duration,
how often, a date, a person or body, a place, a permission or ban, a consequence, a list of conditions, a
reason, a procedure, the content of something). Each intent names the question words that
signal it and the sentence patterns that can answer it; both live in ``data/intents.yaml``
(general Chinese, not one regulation). The kinds of award a regulation has (组织奖/个人奖) and
the words for them come from the pack.

Also read here, from the same data: small talk (你好, 谢谢, 你是谁) and follow-up messages that
lean on the previous turn (还有呢, 之后呢, 那个人奖呢).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from knowledge.lexicon import normalize

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

INTENTS = ("amount", "count", "duration", "frequency", "when", "who", "where", "permission",
           "consequence", "conditions", "reason", "basis", "process", "content")
# 几年评一次 asks how often, not how long (a duration) nor how many (a count)
_NOT_WITH_FREQUENCY = frozenset({"duration", "count"})
_PUNCT = re.compile(r"[\s，。！？、,.!?~～…；;：:“”\"'（）()【】\[\]《》<>]+")


def _any_of(patterns: list[str] | None) -> re.Pattern[str]:
    """One regex matching any of the data's patterns (none: a regex that never matches)."""
    return re.compile("|".join(f"(?:{p})" for p in patterns or ["$^"]))


def _within(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    """The span lies inside one of the spans (几回 inside 一年评几回)."""
    return any(a <= span[0] and span[1] <= b for a, b in spans)


@dataclass(frozen=True)
class Intent:
    kinds: frozenset[str]  # what kind of answer is wanted (INTENTS)
    count_of: str | None = None  # 几个部门 -> 部门: what a count question counts
    entities: frozenset[str] = frozenset()  # kinds of award named: organization / individual

    def wants(self, kind: str) -> bool:
        return kind in self.kinds


@dataclass(frozen=True)
class Kind:
    """A kind of award the measures have (组织奖, 个人奖): how a question names it and how a
    sentence of the measures does."""

    id: str
    name: str
    ask_words: tuple[str, ...]
    text_words: tuple[str, ...]


class Language:
    """The question vocabulary of ``data/intents.yaml``, compiled once."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.ask: dict[str, re.Pattern[str]] = {}
        self.answer: dict[str, re.Pattern[str]] = {}
        for name in INTENTS:
            entry = (data.get("intents") or {}).get(name) or {}
            self.ask[name] = _any_of(entry.get("ask"))
            self.answer[name] = _any_of(entry.get("answer"))
        measures = "".join(data.get("count_measures") or [])
        self._count_of = re.compile(rf"(?:几|多少)[{measures}]([\u4e00-\u9fff]{{1,3}})")
        self.question_words = frozenset(str(w) for w in data.get("question_words") or ())
        self.negators = frozenset(str(w) for w in data.get("negators") or ())
        self._all_conditions = _any_of(data.get("all_conditions"))
        self.count_generic = frozenset(str(w) for w in data.get("count_generic") or ())
        self._per_period = _any_of(data.get("count_per_period"))
        self._kinds_of = _any_of(data.get("kinds_of"))
        self._besides = _any_of(data.get("besides"))
        self.dependent_openers = tuple(data.get("dependent_openers") or ())
        self.dependent_after_semicolon = tuple(data.get("dependent_after_semicolon") or ())
        self.smalltalk: dict[str, str] = {}
        for kind, phrases in (data.get("smalltalk") or {}).items():
            for p in phrases or []:
                self.smalltalk[_bare(str(p))] = str(kind)
        # 你好，我是报社记者: a greeting with who is writing, and nothing asked yet
        self._introduction = _any_of(data.get("introductions"))
        self._greetings = tuple(sorted((p for p, k in self.smalltalk.items() if k == "greeting"),
                                       key=len, reverse=True))
        fu = data.get("followups") or {}
        self.more = {_bare(str(p)) for p in fu.get("more") or []}
        self.next = {_bare(str(p)) for p in fu.get("next") or []}
        self.which = {_bare(str(p)) for p in fu.get("which") or []}
        self._first_step = _any_of(fu.get("first_step"))
        self._after_step = _any_of(fu.get("after_step"))
        self._last_step = _any_of(fu.get("last_step"))
        self._all_steps = _any_of(fu.get("all_steps"))
        self._more_pattern = _any_of(fu.get("more_patterns"))
        self.lead = tuple(sorted((str(p) for p in fu.get("lead") or []), key=len, reverse=True))

    def intent(self, text: str, kinds: tuple[Kind, ...] = ()) -> Intent:
        """The intents of a normalised question; ``kinds`` are the pack's kinds of award."""
        found = {name for name, rx in self.ask.items() if rx.search(text)}
        spans: list[tuple[int, int]] = []
        if "frequency" in found:
            # 一年评几回 asks how often, not a count or a duration; one asked outside it stays
            # (一年评几回，每回最多评多少家单位)
            spans = [m.span() for m in self.ask["frequency"].finditer(text)]
            found -= {name for name in _NOT_WITH_FREQUENCY & found
                      if all(_within(m.span(), spans) for m in self.ask[name].finditer(text))}
        if "count" in found and "frequency" not in found and self._per_period.search(text):
            # 一年评几个: how many each time, and how often there is a time (每年认定一次)
            found.add("frequency")
        count_of = None
        if "count" in found:
            count_of = next((m.group(1) for m in self._count_of.finditer(text)
                             if not _within(m.span(), spans)), None)
            if count_of in self.count_generic:
                count_of = None  # 几个名额: places in the award, whatever gives the number
        return Intent(frozenset(found), count_of, frozenset(named_kinds(text, kinds)))

    def asks_kinds_of(self, text: str) -> bool:
        """分几种, 有哪几类: what kinds there are, each with what it is."""
        return bool(self._kinds_of.search(text))

    def asks_besides(self, text: str) -> bool:
        """除了…还有啥: the rest of a list is asked for, not the item named."""
        return bool(self._besides.search(text))

    def asks_all_conditions(self, text: str) -> bool:
        """还要满足啥, 条件有哪些: every condition is asked for, not whether one is met."""
        return bool(self._all_conditions.search(text))

    def answers(self, sentence: str) -> frozenset[str]:
        """The intents a sentence of the measures can answer."""
        return frozenset(name for name, rx in self.answer.items() if rx.search(sentence))

    def smalltalk_kind(self, text: str) -> str | None:
        """greeting / thanks / identity / abilities / bye / ack when the whole message is that."""
        bare = _bare(text)
        if not bare:
            return None
        if bare in self.smalltalk:
            return self.smalltalk[bare]
        # 你好，请问… is a question with a greeting in front; only a greeting with filler is small talk
        for prefix in ("好的", "嗯", "哦", "那"):
            if bare.startswith(prefix) and bare[len(prefix):] in self.smalltalk:
                return self.smalltalk[bare[len(prefix):]]
        for greeting in self._greetings:
            if (bare.startswith(greeting) and len(bare) > len(greeting)
                    and self._introduction.fullmatch(bare[len(greeting):])):
                return "greeting"
        return self._smalltalk_run(bare)

    def _smalltalk_run(self, bare: str) -> str | None:
        """A message made only of small talk (好的谢谢辛苦了, 你好在吗): the kind of its first
        phrase that is more than an acknowledgement."""
        if len(bare) > 16:
            return None
        # best[i]: the kinds of a split of bare[:i] into small-talk phrases
        best: list[list[str] | None] = [[]] + [None] * len(bare)
        for i in range(len(bare)):
            if best[i] is None:
                continue
            for j in range(len(bare), i, -1):
                piece = bare[i:j].rstrip(_PARTICLES) or bare[i:j]
                # 你是谁啊能干啥: after the first phrase the 你 is understood
                kind = self.smalltalk.get(piece) or (self.smalltalk.get("你" + piece) if i else None)
                if kind is not None and best[j] is None:
                    best[j] = [*best[i], kind]
        kinds = best[len(bare)]
        if not kinds or len(kinds) < 2:
            return None
        # 你是谁啊，能干啥: what it can do says who it is too
        return "abilities" if "abilities" in kinds else next(
            (k for k in kinds if k != "ack"), kinds[0])

    def followup_kind(self, text: str) -> str | None:
        """more (还有呢) / next (之后呢) / which (这是哪一条) when the whole message is that."""
        bare = _bare(text)
        for lead in ("那么", "那", "好的", "嗯"):
            if bare.startswith(lead) and len(bare) > len(lead):
                bare = bare[len(lead):]
                break
        if bare in self.more:
            return "more"
        if bare in self.next:
            return "next"
        if bare in self.which:
            return "which"
        if self._more_pattern.fullmatch(bare):
            return "more"  # 还有啥情况, 其他情况呢
        return None

    def step_asked(self, text: str) -> str | None:
        """first / last / all / after: the question asks for the first or last step of a
        procedure, for all of them (申报流程是什么, 分几步), or for the one after a step it names
        (资格审查过了再往后呢)."""
        if m := self._after_step.search(text):
            return "after"  # 推荐上去以后下一步呢: the step after the one named
        if m := self._first_step.search(text):
            if re.search(r"(?:之后|以后|后|完了?|过了)[^，。？]{0,3}$", text[:m.start()]):
                return None  # 材料交上去之后第一步是啥: the step after one, not the first
            return "first"
        if self._last_step.search(text):
            return "last"
        if self._all_steps.search(text):
            return "all"
        return None

    def after_step_cue(self, text: str) -> int | None:
        """Where 以后下一步 (the ask for the step after) begins in the text, or None."""
        m = self._after_step.search(text)
        if m is None:
            return None
        cue = re.search(r"(?:以后|之后|完了?|过了|结束了?|通过了?|做完了?)", m.group(0))
        return m.start() + (cue.start() if cue else 0)

    def strip_lead(self, text: str) -> str:
        """The message without a leading 那/那么/要是 (那个人奖呢 -> 个人奖呢)."""
        t = text.strip()
        for lead in self.lead:
            if t.startswith(lead) and len(t) > len(lead):
                # 那个人奖: 那 + 个人奖, not 那个 + 人奖
                return t[len(lead):]
        return t

    def is_dependent(self, sentence: str, after_semicolon: bool) -> bool:
        """A sentence that takes its subject from the one before it."""
        if sentence.startswith(self.dependent_openers):
            return True
        return after_semicolon and sentence.startswith(self.dependent_after_semicolon)


def named_kinds(text: str, kinds: tuple[Kind, ...]) -> set[str]:
    """The kinds of award a question names; an award's own name beats looser words
    (老板申报个人奖，公司… names the individual prize), and a person beats the unit the
    person talks about (申报人系企业法定代表人的，对其所在企业… is about the individual prize):
    kinds are listed in the pack with the narrower one last."""
    explicit = {k.id for k in kinds if k.name in text}
    if explicit:
        return explicit
    loose = [k.id for k in kinds if any(w in text for w in k.ask_words)]
    if len(loose) > 1 and _both_asked(text, kinds):
        # 钱是给厂里还是给个人, 几家企业 个人又有几个: each kind is asked about
        return set(loose)
    return set(loose[-1:])


# between the words for two kinds: they are asked about side by side (还是, 和, 分别, 又, 也)
_BOTH = re.compile(r"还是|和|与|跟|或者?|以及|分别|各|又|也")


def _both_asked(text: str, kinds: tuple[Kind, ...]) -> bool:
    """The words naming two kinds of award stand as alternatives or side by side (厂里还是个人,
    单位和个人, 企业能报 个人也能报吗), not one inside the other's story (个人为所属单位负责人的)."""
    spans = []
    for k in kinds:
        at = [m.start() for w in k.ask_words for m in re.finditer(re.escape(w), text)]
        if not at:
            return False
        spans.append(min(at))
    lo, hi = min(spans), max(spans)
    return bool(_BOTH.search(text[lo:hi + 2]))


def sentence_kinds(text: str, kinds: tuple[Kind, ...]) -> set[str]:
    return {k.id for k in kinds if any(w in text for w in k.text_words)}


_PARTICLES = "啊呀吧哈呢嘛哦啦嘞咧哟喽呗"


def _bare(text: str) -> str:
    t = _PUNCT.sub("", normalize(text))
    return t.rstrip(_PARTICLES) or t


def _data_file() -> Path:
    return Path(str(resources.files("knowledge") / "data" / "intents.yaml"))


@cache
def language() -> Language:
    data = yaml.load(_data_file().read_text(encoding="utf-8"), Loader=_Loader) or {}
    return Language(data)


def load_kinds(scope: dict[str, Any]) -> tuple[Kind, ...]:
    out = []
    for kid, entry in ((scope.get("kinds") or {}).items()):
        entry = entry or {}
        out.append(Kind(str(kid), normalize(str(entry.get("name", kid))),
                        tuple(normalize(str(w)) for w in entry.get("ask") or ()),
                        tuple(normalize(str(w)) for w in entry.get("text") or ())))
    return tuple(out)
