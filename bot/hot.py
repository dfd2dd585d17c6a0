"""热点问题: what people asked most over the last days, by article, for /start and the web chat.

Counted from the logged answered questions (no identity). An article is shown only when it was
asked at least ``min_count`` times; its wording is a user's wording only when at least
``WORDING_MIN_COUNT`` people asked it that way, otherwise the pack's own sample question closest
to what was asked. So no single person's question is ever shown. Staff may pin an article (it
comes first, even when not asked much) or hide one (:func:`choose`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy import delete, select
from sqlmodel import Session

from bot.learning import ANSWERED, LearningError, articles_of, bump_generation, compact
from bot.storage.models import HotChoice, QuestionLog

WORDING_MIN_COUNT = 3  # a user's wording is shown only when this many asked it that way
MAX_ROWS = 50_000  # answered questions read for one count (the most recent)
MAX_WORDING_CHARS = 30
PIN, HIDE = "pin", "hide"


@dataclass(frozen=True)
class HotQuestion:
    article: int
    text: str  # what the button says and asks
    count: int  # questions on this article in the window (0 for a pin nobody asked)
    row_id: int = 0  # a logged question with this wording (0: a sample question)
    pinned: bool = False


def _wording(texts: list[tuple[int, str]], samples: Sequence[str]) -> tuple[str, int]:
    """The wording to show for one article's questions (newest first): (text, row id or 0)."""
    by_key: Counter[str] = Counter()
    first: dict[str, tuple[int, str]] = {}
    for row_id, text in texts:
        key = compact(text)
        if not key:
            continue
        by_key[key] += 1
        first.setdefault(key, (row_id, text.strip()))
    if by_key:
        key, n = by_key.most_common(1)[0]
        if n >= WORDING_MIN_COUNT and len(first[key][1]) <= MAX_WORDING_CHARS:
            row_id, text = first[key]
            return text, row_id
    if not samples:
        return "", 0
    votes: Counter[str] = Counter()
    for _, text in texts[:200]:
        key = compact(text)
        best = max(samples, key=lambda s: fuzz.ratio(key, compact(s)))
        votes[best] += 1
    return (votes.most_common(1)[0][0] if votes else samples[0]), 0


def hot_questions(session: Session, now: dt.datetime, *, days: int, min_count: int,
                  samples: Mapping[int, Sequence[str]], limit: int = 4) -> list[HotQuestion]:
    """The hot questions, pinned first, then the most asked; ``samples`` are the pack's sample
    questions by article (the wording when no user wording is common enough)."""
    since = now - dt.timedelta(days=days)
    rows = session.execute(
        select(QuestionLog.id, QuestionLog.text, QuestionLog.articles)
        .where(QuestionLog.kind == ANSWERED, QuestionLog.created_at >= since)
        .order_by(QuestionLog.id.desc()).limit(MAX_ROWS)).all()  # type: ignore[union-attr]
    by_article: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for row_id, text, arts in rows:
        numbers = articles_of(arts)
        if numbers:
            by_article[numbers[0]].append((row_id, text))
    choices = {c.article: c for c in session.execute(select(HotChoice)).scalars()}
    out: list[HotQuestion] = []
    for article, choice in sorted(choices.items()):
        if choice.action == PIN:
            texts = by_article.get(article, [])
            text = choice.text or _wording(texts, samples.get(article, ()))[0]
            if text:
                out.append(HotQuestion(article, text, len(texts), 0, pinned=True))
    ranked = sorted(by_article.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    for article, texts in ranked:
        if len(out) >= limit:
            break
        if len(texts) < min_count or article in choices:
            continue
        text, row_id = _wording(texts, samples.get(article, ()))
        if text:
            out.append(HotQuestion(article, text, len(texts), row_id))
    return out[:limit]


def hidden(session: Session) -> list[int]:
    return sorted(c.article for c in session.execute(select(HotChoice)).scalars()
                  if c.action == HIDE)


def choose(session: Session, article: int, action: str | None, now: dt.datetime,
           total_articles: int, text: str | None = None) -> None:
    """Pin or hide an article's hot question; ``action`` None puts it back to normal."""
    if not 1 <= article <= total_articles:
        raise LearningError(f"没有第{article}条（共{total_articles}条）。")
    if action not in (PIN, HIDE, None):
        raise LearningError("只能置顶（pin）、隐藏（hide）或恢复。")
    session.execute(delete(HotChoice).where(HotChoice.article == article))  # type: ignore[arg-type]
    if action is not None:
        session.add(HotChoice(article=article, action=action,
                              text=(text or "").strip()[:MAX_WORDING_CHARS * 2] or None,
                              created_at=now))
    bump_generation(session, now)  # every process drops its cached list
