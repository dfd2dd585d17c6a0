"""👍 / 👎 on answers, and staff's ``/feedback`` (the triage of ``bot.features.teach``).

Nothing here stores who asked: a question log row is the question's text, its kind
(``answered``, ``best_guess``, ``declined``, ``downvote``, ``upvote``) and the articles the answer
cited.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import sessionmaker

from bot.turn import Reply, Turn

if TYPE_CHECKING:
    from bot.dialogue import Dialogue

logger = logging.getLogger(__name__)

DOWNVOTE, UPVOTE = "downvote", "upvote"

TEXTS = {
    "up": "谢谢您的反馈！",
    "down": "抱歉没有帮上忙。问题已匿名记录，办公室会据此改进回答。"
            "您也可以换个说法再问，或发送 /toc 查看目录。",
    "again": "已收到您对这个回答的反馈，谢谢。",
    "stale": "请先提一个问题，再评价回答。",
    "no_db": "反馈记录暂不可用（未连接数据库）。",
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


def log_question(turn: Turn, text: str, kind: str, articles: list[int]) -> int | None:
    """Record a question or a vote (no user identity) when the dialogue has storage: the row id."""
    factory = sessions_of(turn.dialogue.services)
    if factory is None:
        return None
    from bot.learning import log_question as store

    return store(factory, text, kind, articles)


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

    @d.command("feedback", "处理未答出、没把握和被点 👎 的问题，教会机器人（工作人员）", staff=True)
    def feedback(turn: Turn, arg: str) -> list[Reply]:
        factory = sessions_of(turn.dialogue.services)
        if factory is None:
            return [Reply(TEXTS["no_db"])]
        from bot.features.teach import triage_replies

        return triage_replies(turn, arg)
