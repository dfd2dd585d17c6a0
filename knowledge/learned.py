"""What staff taught the bot, as data: a layer over a knowledge pack.

Three kinds of lesson, each from a question the bot could not answer (or answered badly):

- a **sample question** of an article (or one of its items): the question and its close
  paraphrases get that article, quoted at that item;
- a **synonym**: a word people say (开张) stands for a word the measures use (经营);
- an **out-of-scope example** with a reason from a short list: the question and its close
  paraphrases are declined with that reason.

The layer lives in the database while staff teach (``bot/learning.py``) and is exported as
``learned.yaml`` beside the pack for review (``qabot pack export-learned``); the tests ask every
question in that file and check it still gets the answer staff chose (:func:`check`). The
retriever takes the layer through one door: ``Retriever.with_learned(layer)``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from knowledge.errors import QabotError

if TYPE_CHECKING:
    from knowledge.pack import Pack
    from knowledge.retrieval import Retriever

LEARNED_FILE = "learned.yaml"


class LearnedError(QabotError):
    """A learned layer file is malformed."""


@dataclass(frozen=True)
class Reason:
    """Why a question is outside the measures, and what the bot says about it."""

    code: str
    label: str  # on the staff's button
    reply: str  # to the user; {title} and {award} are the pack's
    article: int | None = None  # an article worth pointing to (quoted, not paraphrased)


# The short list staff choose from. Each reply says only what the measures do not cover; where
# an article is named it is quoted from the pack, never paraphrased.
REASONS: dict[str, Reason] = {r.code: r for r in [
    Reason("other_award", "其他奖项或其他地区",
           "这个问题问的是其他奖项或其他地区的评选。《{title}》只适用于{award}，不能据此回答。"),
    Reason("other_policy", "税收、补贴等其他政策",
           "税收、补贴、贷款等问题不在《{title}》的范围内，请咨询相关主管部门。"),
    Reason("notice", "当年的日期、表格、名单、联系方式",
           "具体日期、表格从哪里取得、获奖名单、联系方式等，《{title}》没有规定，"
           "以当年发布的申报通知、公告为准。", article=10),
    Reason("legal", "复议、诉讼等程序",
           "行政复议、诉讼等程序不在《{title}》的范围内，请咨询有关部门或法律专业人士。"),
    Reason("unrelated", "与质量奖无关",
           "这个问题与{award}无关，我只能回答《{title}》中的问题。"),
]}


@dataclass(frozen=True)
class Sample:
    article: int
    question: str
    item: int | None = None
    lesson: int | None = None  # the database row it came from, for review and undo
    sentence: int | None = None  # the sentence of the article that answers (Sentence.index)


@dataclass(frozen=True)
class Synonym:
    word: str  # what people say
    canonical: str  # the measures' word
    lesson: int | None = None
    question: str | None = None  # the question it was taught from, and the article that
    article: int | None = None  # question got when staff accepted it (a regression case)


@dataclass(frozen=True)
class OutOfScope:
    question: str
    reason: str  # a key of REASONS
    lesson: int | None = None


@dataclass(frozen=True)
class Learned:
    """A learned layer; ``generation`` tells one version from the next."""

    samples: tuple[Sample, ...] = ()
    synonyms: tuple[Synonym, ...] = ()
    out_of_scope: tuple[OutOfScope, ...] = ()
    generation: int = 0

    def __bool__(self) -> bool:
        return bool(self.samples or self.synonyms or self.out_of_scope)

    def __len__(self) -> int:
        return len(self.samples) + len(self.synonyms) + len(self.out_of_scope)

    # -- YAML ---------------------------------------------------------------------------
    def to_data(self) -> dict[str, Any]:
        def clean(d: dict[str, Any]) -> dict[str, Any]:
            return {k: v for k, v in d.items() if v is not None}

        return {
            "samples": [clean({"q": s.question, "article": s.article, "item": s.item,
                               "sentence": s.sentence, "lesson": s.lesson})
                        for s in self.samples],
            "synonyms": [clean({"word": s.word, "canonical": s.canonical, "q": s.question,
                                "article": s.article, "lesson": s.lesson})
                         for s in self.synonyms],
            "out_of_scope": [clean({"q": o.question, "reason": o.reason, "lesson": o.lesson})
                             for o in self.out_of_scope],
        }

    @classmethod
    def from_data(cls, data: Any, source: str = LEARNED_FILE) -> Learned:
        """Read the layer written by :meth:`to_data`; a bad entry names itself."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise LearnedError(f"{source}：应为映射（samples / synonyms / out_of_scope）")
        try:
            samples = tuple(Sample(int(e["article"]), str(e["q"]), _opt_int(e.get("item")),
                                   e.get("lesson"), _opt_int(e.get("sentence")))
                            for e in data.get("samples") or [])
            synonyms = tuple(Synonym(str(e["word"]), str(e["canonical"]), e.get("lesson"),
                                     e.get("q"), _opt_int(e.get("article")))
                             for e in data.get("synonyms") or [])
            oos = tuple(OutOfScope(str(e["q"]), str(e["reason"]), e.get("lesson"))
                        for e in data.get("out_of_scope") or [])
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise LearnedError(f"{source}：条目不完整或格式不对（{e}）") from None
        bad = [o.reason for o in oos if o.reason not in REASONS]
        if bad:
            raise LearnedError(f"{source}：未知的原因 {bad[0]}（可选：{'、'.join(REASONS)}）")
        return cls(samples, synonyms, oos)


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def dump_yaml(layer: Learned, pack: Pack, when: dt.datetime) -> str:
    header = (f"# 工作人员教给机器人的内容（{pack.id}），由 qabot pack export-learned 于 "
              f"{when:%Y-%m-%d %H:%M} UTC 导出。\n"
              "# What award-office staff taught the bot through /feedback or `qabot feedback`,\n"
              "# for review in version control. tests/test_learned.py asks every question below\n"
              "# and checks it still gets the answer staff chose.\n")
    body = yaml.safe_dump(layer.to_data(), allow_unicode=True, sort_keys=False,
                          default_flow_style=None, width=200)
    return header + body


def load_learned_file(path: Path) -> Learned:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Learned()
    except yaml.YAMLError as e:
        raise LearnedError(f"{path.name} 不是有效的 YAML：{e}") from None
    return Learned.from_data(data, path.name)


def load_learned(pack: Pack) -> Learned:
    """The reviewed layer exported beside the pack (empty when there is none)."""
    return load_learned_file(pack.path / LEARNED_FILE)


# -- regression: every taught question keeps the answer staff chose ---------------------------


@dataclass
class Failure:
    question: str
    expected: str
    got: str


@dataclass
class CheckReport:
    checked: int = 0
    failures: list[Failure] = field(default_factory=list)


def expected_of(lesson: Sample | OutOfScope | Synonym) -> str:
    if isinstance(lesson, Synonym):
        return f"第{lesson.article}条（同义词“{lesson.word}”）"
    if isinstance(lesson, OutOfScope):
        return f"不在办法范围内（{REASONS[lesson.reason].label}）"
    return f"第{lesson.article}条" + (f"第{lesson.item}项" if lesson.item else "") + (
        f"第{lesson.sentence + 1}句" if lesson.sentence is not None else "")


def outcome(retriever: Retriever, lesson: Sample | OutOfScope | Synonym,
            today: dt.date | None = None) -> str | None:
    """None when the retriever gives the answer staff chose for the lesson's question, else
    what it gives instead. ``today``: ask as the chat does (a question stating facts may get
    the rules' verdict)."""
    if isinstance(lesson, Synonym):
        ans = retriever.ask(lesson.question or "", today=today)
        if not ans.abstained and ans.articles[:1] == [lesson.article]:
            return None
        return f"第{ans.articles[0]}条" if ans.articles and not ans.abstained else ans.kind
    ans = retriever.ask(lesson.question, today=today)
    if isinstance(lesson, OutOfScope):
        if ans.kind == "out_of_scope":
            return None
        return f"{ans.kind} 第{ans.articles[0]}条" if ans.articles else ans.kind
    if ans.abstained or not ans.articles:
        return f"{ans.kind}（未作答）"
    if ans.articles[0] != lesson.article:
        return f"第{ans.articles[0]}条"
    if ans.band != "confident":  # 没有找到直接回答这个问题的规定…: not the answer staff chose
        return f"第{ans.articles[0]}条，但只作为最相关的规定（没把握）"
    if lesson.item and not ans.whole_article and not any(
            s.article == lesson.article and s.item == lesson.item for s in ans.quotes):
        items = sorted({s.item for s in ans.quotes if s.item})
        return f"第{lesson.article}条，引用的项是 {items or '无'}"
    if lesson.sentence is not None and not ans.whole_article and not any(
            s.article == lesson.article and s.index == lesson.sentence for s in ans.quotes):
        found = [s.index + 1 for s in ans.quotes if s.article == lesson.article]
        return f"第{lesson.article}条，引用的是第{found or '?'}句"
    return None


def check(retriever: Retriever, layer: Learned, today: dt.date | None = None) -> CheckReport:
    """Ask every taught question of ``layer`` (the retriever must carry it), on ``today`` as
    the chat would."""
    report = CheckReport()
    synonyms = [s for s in layer.synonyms if s.question and s.article]
    for lesson in (*layer.samples, *layer.out_of_scope, *synonyms):
        report.checked += 1
        got = outcome(retriever, lesson, today)
        if got is not None:
            report.failures.append(Failure(lesson.question or "", expected_of(lesson), got))
    return report
