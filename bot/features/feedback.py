"""👍 / 👎 on answers, and the questions the bot could not answer, for the office to review.

Nothing here stores who asked: a question log row is the question's text, its kind
(``unanswered``, ``downvote``, ``upvote``) and the articles the answer cited. Staff read the
unanswered and 👎 questions with ``/feedback`` to improve the knowledge base.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.turn import Reply, Turn, esc

if TYPE_CHECKING:
    from bot.dialogue import Dialogue

logger = logging.getLogger(__name__)

UNANSWERED, DOWNVOTE, UPVOTE = "unanswered", "downvote", "upvote"
REVIEW_DAYS = 30
REVIEW_LINES = 20

TEXTS = {
    "up": "谢谢您的反馈！",
    "down": "抱歉没有帮上忙。问题已匿名记录，办公室会据此改进回答。"
            "您也可以换个说法再问，或发送 /toc 查看目录。",
    "again": "已收到您对这个回答的反馈，谢谢。",
    "stale": "请先提一个问题，再评价回答。",
    "no_db": "反馈记录暂不可用（未连接数据库）。",
    "none": "最近 {days} 天没有未答出或被点 👎 的问题。",
}


def sessions_of(services: Any) -> sessionmaker | None:
    """A session factory from the dialogue's services, whatever they expose."""
    if services is None:
        return None
    factory = getattr(services, "sessions", None) or getattr(services, "session_factory", None)
    if isinstance(factory, sessionmaker):
        return factory
    engine = getattr(services, "engine", None)
    if engine is not None:
        from bot.storage import session_factory

        return session_factory(engine)
    return None


def log_question(turn: Turn, text: str, kind: str, articles: list[int]) -> None:
    """Record a question (no user identity) when the dialogue has storage; else do nothing."""
    factory = sessions_of(turn.dialogue.services)
    if factory is None:
        return
    from bot.storage import session_scope
    from bot.storage.models import QuestionLog

    with session_scope(factory) as session:
        session.add(QuestionLog(text=text[:500], kind=kind,
                                articles=",".join(str(a) for a in articles)))


def review(factory: sessionmaker, today: dt.date, days: int = REVIEW_DAYS) -> str:
    """The unanswered and 👎 questions of the last ``days`` days, most frequent first."""
    from bot.storage.models import QuestionLog

    since = dt.datetime.combine(today - dt.timedelta(days=days), dt.time(), dt.UTC)
    with factory() as session:
        rows = session.execute(
            select(QuestionLog.text, QuestionLog.kind, QuestionLog.articles)
            .where(QuestionLog.kind.in_([UNANSWERED, DOWNVOTE]),  # type: ignore[attr-defined]
                   QuestionLog.created_at >= since)).all()
    if not rows:
        return TEXTS["none"].format(days=days)
    counts = Counter((text, kind) for text, kind, _ in rows)
    cited = {(text, kind): arts for text, kind, arts in rows}
    lines = [f"<b>最近 {days} 天需要改进的问题</b>（共 {len(rows)} 条，匿名）"]
    for (text, kind), n in counts.most_common(REVIEW_LINES):
        mark = "❓未答出" if kind == UNANSWERED else "👎"
        arts = cited[(text, kind)]
        where = f"（答复引用第{arts.replace(',', '、')}条）" if arts else ""
        lines.append(f"{mark} ×{n}　{esc(text[:80])}{where}")
    if len(counts) > REVIEW_LINES:
        lines.append(f"…另有 {len(counts) - REVIEW_LINES} 个问题未列出。")
    return "\n".join(lines)


def register(d: Dialogue) -> None:
    @d.button("fb")
    def vote(turn: Turn, rest: str) -> list[Reply]:
        last = turn.state.get("last_question")
        if rest not in {"up", "down"}:
            return [Reply("这个按钮已失效，请重新发送问题。")]
        if not isinstance(last, dict) or not last.get("text"):
            return [Reply(TEXTS["stale"])]
        if turn.state.get("voted") == last["text"]:
            return [Reply(TEXTS["again"])]
        turn.state["voted"] = last["text"]
        try:
            log_question(turn, str(last["text"]), UPVOTE if rest == "up" else DOWNVOTE,
                         [int(a) for a in last.get("articles") or []])
        except Exception:  # a vote that cannot be stored must not cost the user a reply
            logger.warning("could not store a vote", exc_info=True)
        return [Reply(TEXTS[rest])]

    @d.command("feedback", "查看未答出和被点 👎 的问题（工作人员）", staff=True)
    def feedback(turn: Turn, arg: str) -> list[Reply]:
        factory = sessions_of(turn.dialogue.services)
        if factory is None:
            return [Reply(TEXTS["no_db"])]
        days = int(arg) if arg.isascii() and arg.isdigit() and len(arg) <= 3 else REVIEW_DAYS
        days = days if 0 < days <= 365 else REVIEW_DAYS
        return [Reply(review(factory, turn.today, days))]
