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
from knowledge.numerals import parse_int

if TYPE_CHECKING:
    from bot.dialogue import Dialogue

logger = logging.getLogger(__name__)

DOWNVOTE, UPVOTE = "downvote", "upvote"
MAX_VOTES_KEPT = 50  # answers a conversation remembers having voted on

TEXTS = {
    "up": "谢谢您的反馈！",
    "down": "抱歉没有帮上忙。问题已匿名记录，办公室会据此改进回答。"
            "您也可以换个说法再问，或发送 /toc 查看目录。",
    "again": "已收到您对这个回答的反馈，谢谢。",
    "stale_button": "这个评价按钮已失效，请对新的回答评价。",
    "gone": "这个回答的记录已超过保存期限，评价未记录。谢谢您！",
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


def log_question(turn: Turn, text: str, kind: str, articles: list[int],
                 lesson: int | None = None) -> int | None:
    """Record a question or a vote (no user identity) when the dialogue has storage: the row id.
    ``lesson``: the lesson of staff's that decided the answer (the row is not open for triage)."""
    factory = sessions_of(turn.dialogue.services)
    if factory is None:
        return None
    from bot.learning import log_question as store

    return store(factory, text, kind, articles, lesson=lesson)


def _store_vote(turn: Turn, answer_id: int, kind: str) -> bool:
    """Log a vote on the logged answer ``answer_id`` (its question and articles); False when
    that row is gone (purged after the retention period)."""
    factory = sessions_of(turn.dialogue.services)
    if factory is None:
        return True  # nothing is stored without a database; the thanks still holds
    from bot.learning import articles_of
    from bot.learning import log_question as store
    from bot.storage.models import QuestionLog

    with factory() as session:
        row = session.get(QuestionLog, answer_id)
        if row is None or row.kind in (UPVOTE, DOWNVOTE):
            return False
        text, articles = row.text, row.articles
    store(factory, text, kind, articles_of(articles))
    return True


def register(d: Dialogue) -> None:
    @d.button("fb")
    def vote(turn: Turn, rest: str) -> list[Reply]:
        """``fb:<answer id>:up|down``: the vote lands on the answer the buttons were under."""
        answer, _, way = rest.partition(":")
        answer_id = parse_int(answer, hi=2**62)
        if way not in {"up", "down"} or answer_id is None:
            return [Reply(TEXTS["stale_button"], popup=True)]
        voted = turn.state.get("voted")
        voted = [v for v in voted if isinstance(v, int)] if isinstance(voted, list) else []
        if answer_id and answer_id in voted:
            turn.pressed = "drop:fb"
            return [Reply(TEXTS["again"], popup=True)]
        turn.pressed = "drop:fb"  # one vote per answer: the buttons go once used
        if answer_id:
            turn.state["voted"] = [*voted, answer_id][-MAX_VOTES_KEPT:]
            try:
                stored = _store_vote(turn, answer_id, UPVOTE if way == "up" else DOWNVOTE)
            except Exception:  # a vote that cannot be stored must not cost the user a reply
                logger.warning("could not store a vote", exc_info=True)
            else:
                if not stored:
                    return [Reply(TEXTS["gone"], popup=True)]
        return [Reply(TEXTS[way])]

    @d.command("feedback", "处理未答出、没把握和被点 👎 的问题，教会机器人（工作人员）", staff=True)
    def feedback(turn: Turn, arg: str) -> list[Reply]:
        factory = sessions_of(turn.dialogue.services)
        if factory is None:
            return [Reply(TEXTS["no_db"])]
        from bot.features.teach import triage_replies

        return triage_replies(turn, arg)
