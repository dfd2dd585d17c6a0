"""Parse a Chinese regulation in 章/条/项 form into chapters, articles, items and sentences.

Works on the repaired text of any knowledge pack: one paragraph a line, chapters as
``第一章 总则``, articles as ``第一条 …``, items as ``（一）…``. Nothing here is specific to
the Cangzhou measures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.errors import QabotError
from knowledge.numerals import NUMERAL_CLASS, to_chinese, to_int

_CHAPTER = re.compile(rf"^第({NUMERAL_CLASS})章\s*(.+)$")
_ARTICLE = re.compile(rf"^第({NUMERAL_CLASS})条\s*(.*)$")
_ITEM = re.compile(rf"^（({NUMERAL_CLASS})）\s*(.*)$")
# A sentence ends at 。！？ or, inside an item list, at ；. Quotes closing a sentence stay with it.
_SENTENCE_END = re.compile(r"(?:(?<=[。！？；])(?![”’」』）])|(?<=[。！？；][”’」』]))")


class RegulationError(QabotError):
    """The text does not have the 章/条 structure expected."""


@dataclass(frozen=True)
class Item:
    number: int
    text: str  # without the （一） mark

    @property
    def label(self) -> str:
        return f"（{to_chinese(self.number)}）"


@dataclass(frozen=True)
class Sentence:
    article: int
    index: int
    text: str
    item: int | None = None  # the item the sentence belongs to, if any


@dataclass
class Article:
    number: int
    chapter: int
    paragraphs: list[str] = field(default_factory=list)  # article text without 第N条, items apart
    items: list[Item] = field(default_factory=list)
    heading: str = ""  # a leading title sentence such as 认定通知 (第十条) when the article has one

    @property
    def label(self) -> str:
        return f"第{to_chinese(self.number)}条"

    @property
    def text(self) -> str:
        lines = list(self.paragraphs[:1])
        lines += [f"{it.label}{it.text}" for it in self.items]
        lines += self.paragraphs[1:]
        return "\n".join(lines)

    @property
    def sentences(self) -> list[Sentence]:
        out: list[Sentence] = []
        for para in self.paragraphs[:1]:
            out += [Sentence(self.number, 0, s) for s in split_sentences(para)]
        for it in self.items:
            out += [Sentence(self.number, 0, s, it.number) for s in split_sentences(it.text)]
        for para in self.paragraphs[1:]:
            out += [Sentence(self.number, 0, s) for s in split_sentences(para)]
        return [Sentence(s.article, i, s.text, s.item) for i, s in enumerate(out)]

    def item(self, number: int) -> Item:
        for it in self.items:
            if it.number == number:
                return it
        raise KeyError(f"{self.label}没有第{to_chinese(number)}项")


@dataclass(frozen=True)
class Chapter:
    number: int
    title: str

    @property
    def label(self) -> str:
        return f"第{to_chinese(self.number)}章 {self.title}"


@dataclass
class Regulation:
    title: str
    preamble: list[str]
    chapters: list[Chapter]
    articles: list[Article]
    closing: list[str]

    def article(self, number: int) -> Article:
        if 1 <= number <= len(self.articles) and self.articles[number - 1].number == number:
            return self.articles[number - 1]
        for a in self.articles:
            if a.number == number:
                return a
        raise KeyError(number)

    def chapter_of(self, article: int) -> Chapter:
        n = self.article(article).chapter
        return next(c for c in self.chapters if c.number == n)


def split_sentences(paragraph: str) -> list[str]:
    return [s for s in (p.strip() for p in _SENTENCE_END.split(paragraph)) if s]


def _heading(first_paragraph: str) -> str:
    # 第十条 认定通知。由…: a short title sentence of at most 6 characters.
    m = re.match(r"^([\u4e00-\u9fff]{2,6})。", first_paragraph)
    return m.group(1) if m else ""


def parse(text: str, title: str) -> Regulation:
    """Parse the repaired text; the line equal to ``title`` opens the regulation body."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    try:
        start = lines.index(title)
    except ValueError as e:
        raise RegulationError(f"找不到标题行：{title}") from e
    preamble = lines[:start]
    chapters: list[Chapter] = []
    articles: list[Article] = []
    closing: list[str] = []
    for line in lines[start + 1:]:
        if m := _CHAPTER.match(line):
            chapters.append(Chapter(to_int(m.group(1)) or 0, m.group(2).replace(" ", "")))
            continue
        if m := _ARTICLE.match(line):
            if not chapters:
                raise RegulationError(f"条文出现在第一章之前：{line[:20]}")
            art = Article(to_int(m.group(1)) or 0, chapters[-1].number, [m.group(2)])
            art.heading = _heading(m.group(2))
            articles.append(art)
            continue
        if closing or not articles:
            closing.append(line)
            continue
        if m := _ITEM.match(line):
            articles[-1].items.append(Item(to_int(m.group(1)) or 0, m.group(2)))
        elif _is_closing(line):
            closing.append(line)
        else:
            articles[-1].paragraphs.append(line)
    _check(chapters, articles)
    return Regulation(title, preamble, chapters, articles, closing)


def _is_closing(line: str) -> bool:
    # 抄报/抄送 and the printing office line follow the last article.
    return line.startswith(("抄报", "抄送", "（共印")) or line.endswith("印")


def _check(chapters: list[Chapter], articles: list[Article]) -> None:
    for seq, name in (([c.number for c in chapters], "章"), ([a.number for a in articles], "条")):
        if seq != list(range(1, len(seq) + 1)):
            raise RegulationError(f"{name}的编号不连续：{seq}")
    for a in articles:
        if [i.number for i in a.items] != list(range(1, len(a.items) + 1)):
            raise RegulationError(f"{a.label}的项编号不连续")
