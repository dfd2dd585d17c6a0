"""How the bot is doing, for the office: numbers only, never who.

Questions and votes are counted from the question log (so they reach back at most
``QUESTION_RETENTION_DAYS``); self-checks and reminders from ``daily_count``, a table of
(day, event, count) rows written when they happen (:func:`count_event`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session

from bot.learning import ANSWERED, BEST_GUESS, DECLINED, DOWNVOTE, UPVOTE, articles_of
from bot.storage.models import DailyCount, QuestionLog

if TYPE_CHECKING:
    from sqlalchemy.orm import sessionmaker

logger = logging.getLogger(__name__)

SELFCHECK_STARTED = "selfcheck_started"
SELFCHECK_VERDICT = "selfcheck_"  # + eligible | ineligible | uncertain
REMINDER_SENT, REMINDER_FAILED = "reminder_sent", "reminder_failed"
VERDICTS = {"eligible": "符合", "ineligible": "不符合", "uncertain": "待确认"}
TOPIC_MIN = 2  # a topic word is listed only when this many declined questions use it
TOPICS = 8


def count_event(session: Session, day: dt.date, event: str, n: int = 1) -> None:
    """Add ``n`` to today's count of ``event`` (one upsert; safe from several processes)."""
    if n <= 0:
        return
    table = DailyCount.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(day=day, event=event, count=n)
    session.execute(stmt.on_conflict_do_update(index_elements=["day", "event"],
                                               set_={"count": table.c.count + n}))


def record(factory: sessionmaker[Session] | None, day: dt.date, event: str, n: int = 1) -> None:
    """:func:`count_event` in its own transaction; a failure is logged, never raised (a count
    must not cost anyone a reply or a reminder)."""
    if factory is None or n <= 0:
        return
    try:
        with factory() as session:
            count_event(session, day, event, n)
            session.commit()
    except Exception:  # noqa: BLE001
        logger.warning("could not count %s", event, exc_info=True)


@dataclass
class Day:
    day: dt.date
    answered: int = 0
    best_guess: int = 0
    declined: int = 0

    @property
    def total(self) -> int:
        return self.answered + self.best_guess + self.declined


@dataclass
class Stats:
    days: int
    first: dt.date
    last: dt.date
    per_day: list[Day]
    votes: dict[int, tuple[int, int]]  # article -> (👍, 👎)
    selfcheck_started: int
    verdicts: dict[str, int]
    reminders_sent: int
    reminders_failed: int
    declined_topics: list[tuple[str, int]] = field(default_factory=list)

    @property
    def questions(self) -> int:
        return sum(d.total for d in self.per_day)

    def total(self, kind: str) -> int:
        return sum(getattr(d, kind) for d in self.per_day)

    @property
    def selfcheck_finished(self) -> int:
        return sum(self.verdicts.values())

    def to_json(self) -> dict[str, Any]:
        n = self.questions
        return {
            "days": self.days, "from": self.first.isoformat(), "to": self.last.isoformat(),
            "questions": n,
            "answered": self.total(ANSWERED), "best_guess": self.total(BEST_GUESS),
            "declined": self.total(DECLINED),
            "rates": {k: round(self.total(k) / n, 4) if n else 0.0
                      for k in (ANSWERED, BEST_GUESS, DECLINED)},
            "per_day": [{**asdict(d), "day": d.day.isoformat()} for d in self.per_day],
            "votes": {str(a): {"up": u, "down": v} for a, (u, v) in sorted(self.votes.items())},
            "selfcheck": {"started": self.selfcheck_started,
                          "finished": self.selfcheck_finished, "verdicts": self.verdicts},
            "reminders": {"sent": self.reminders_sent, "failed": self.reminders_failed},
            "declined_topics": [{"word": w, "questions": c} for w, c in self.declined_topics],
        }


def compute(session: Session, today: dt.date, days: int, tz: ZoneInfo, *,
            topic_words: Callable[[str], list[str]] | None = None) -> Stats:
    """The numbers for the ``days`` days ending ``today`` (in the office's time zone)."""
    first = today - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first, dt.time(), tz).astimezone(dt.UTC)
    until = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tz).astimezone(dt.UTC)
    per_day = {first + dt.timedelta(days=i): Day(first + dt.timedelta(days=i))
               for i in range(days)}
    votes: dict[int, list[int]] = {}
    topics: Counter[str] = Counter()
    rows = session.execute(
        select(QuestionLog.kind, QuestionLog.created_at, QuestionLog.articles, QuestionLog.text)
        .where(QuestionLog.created_at >= since, QuestionLog.created_at < until)).all()
    for kind, created_at, arts, text in rows:
        day = per_day.get(created_at.astimezone(tz).date())
        if kind in (ANSWERED, BEST_GUESS, DECLINED) and day is not None:
            setattr(day, kind, getattr(day, kind) + 1)
        if kind in (UPVOTE, DOWNVOTE) and (numbers := articles_of(arts)):
            v = votes.setdefault(numbers[0], [0, 0])
            v[kind == DOWNVOTE] += 1
        if kind == DECLINED and topic_words is not None:
            topics.update(set(topic_words(text)))
    counts: Counter[str] = Counter()
    for event, n in session.execute(
            select(DailyCount.event, DailyCount.count)
            .where(DailyCount.day >= first, DailyCount.day <= today)).all():  # type: ignore[operator]
        counts[event] += n
    return Stats(
        days=days, first=first, last=today, per_day=list(per_day.values()),
        votes={a: (u, d) for a, (u, d) in votes.items()},
        selfcheck_started=counts[SELFCHECK_STARTED],
        verdicts={v: counts[SELFCHECK_VERDICT + v] for v in VERDICTS},
        reminders_sent=counts[REMINDER_SENT], reminders_failed=counts[REMINDER_FAILED],
        declined_topics=sorted(((w, c) for w, c in topics.items() if c >= TOPIC_MIN),
                               key=lambda wc: (-wc[1], wc[0]))[:TOPICS],
    )


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def render(s: Stats, article_label: Callable[[int], str], *, daily_rows: int = 14) -> list[str]:
    """The numbers as lines of plain text (the caller escapes them for HTML)."""
    n = s.questions
    a, g, d = s.total(ANSWERED), s.total(BEST_GUESS), s.total(DECLINED)
    lines = [f"最近 {s.days} 天（{s.first} 至 {s.last}）",
             f"问题：共 {n} 个，平均每天 {n / s.days:.1f} 个",
             f"  作答 {a}（{_pct(a, n)}） · 没把握 {g}（{_pct(g, n)}） · 未答出 {d}（{_pct(d, n)}）"]
    busy = [day for day in s.per_day if day.total]
    if busy:
        lines.append("每天（作答 / 没把握 / 未答出）：")
        shown = busy[-daily_rows:]
        if len(busy) > len(shown):
            lines.append(f"  …更早的 {len(busy) - len(shown)} 天从略")
        lines += [f"  {day.day:%m-%d}  {day.total:>4} 个：{day.answered} / {day.best_guess} / "
                  f"{day.declined}" for day in shown]
    if s.votes:
        lines.append("评价（按回答引用的条款）：")
        for art, (up, down) in sorted(s.votes.items(), key=lambda kv: (-sum(kv[1]), kv[0])):
            lines.append(f"  {article_label(art)}  👍 {up}  👎 {down}")
    else:
        lines.append("评价：没有 👍/👎")
    verdicts = " · ".join(f"{VERDICTS[v]} {c}" for v, c in s.verdicts.items())
    lines.append(f"资格自查：开始 {s.selfcheck_started} 次，完成 {s.selfcheck_finished} 次"
                 f"（{verdicts}）")
    lines.append(f"有效期提醒：发送 {s.reminders_sent} 条，失败 {s.reminders_failed} 次")
    if s.declined_topics:
        lines.append("未答出的问题里常见的词（办法中没有的）：" + "、".join(
            f"{w} ×{c}" for w, c in s.declined_topics))
    return lines
