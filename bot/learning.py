"""Staff teach the bot: triage of what it could not answer, and the learned layer every process
sees without a restart.

The loop:

1. ``bot.features.qa`` logs every question, without who asked: ``answered``, ``best_guess``
   or ``declined``; a 👎 adds a ``downvote`` row. A question a lesson answered or declined is
   logged as handled by it, not open. Rows are purged after ``QUESTION_RETENTION_DAYS``
   (:func:`purge`).
2. Declined, best-guess and 👎 rows are *open*. :func:`triage` groups near-duplicates (one
   decision handles a group) and ranks the bot's candidate articles for each.
3. A decision — :func:`assign` (sample question of an article or item), :func:`add_synonym`,
   :func:`mark_out_of_scope` (with a reason from ``knowledge.learned.REASONS``) or
   :func:`ignore` — writes a :class:`~bot.storage.models.Lesson`, marks the group and bumps the
   one-row ``learned_generation`` counter, all in one transaction. :func:`undo` reverses one.
4. Each process holds a :class:`LiveLayer`: before every question it reads the counter (one
   primary-key lookup) and, when it moved, loads the lessons and swaps them into the retriever
   (``Retriever.with_learned``, milliseconds). So the next question anywhere gets the answer.

Nothing here knows about Telegram; the dialogue, the CLI and the benchmark share it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz
from sqlalchemy import Connection, delete, event, insert, select, text, update
from sqlmodel import Session

from bot.state import turn_transaction
from bot.storage import write_lock
from bot.storage.models import LearnedGeneration, Lesson, QuestionLog, utcnow
from knowledge.errors import QabotError
from knowledge.learned import REASONS, Learned, OutOfScope, Sample, Synonym
from knowledge.lexicon import chunks, normalize
from knowledge.pack import Ref

if TYPE_CHECKING:
    from sqlalchemy.orm import sessionmaker

    from knowledge.pack import Pack
    from knowledge.retrieval import Answer, Retriever

logger = logging.getLogger(__name__)

ANSWERED, BEST_GUESS, DECLINED = "answered", "best_guess", "declined"
UPVOTE, DOWNVOTE = "upvote", "downvote"
QUESTION_KINDS = (ANSWERED, BEST_GUESS, DECLINED)
TRIAGE_KINDS = (DECLINED, BEST_GUESS, DOWNVOTE)
OPEN, TAUGHT, IGNORED = "open", "taught", "ignored"
SAMPLE, SYNONYM, OUT_OF_SCOPE = "sample", "synonym", "out_of_scope"

DEFAULT_RETENTION_DAYS = 90
# Two questions are near-duplicates when their compact forms (no punctuation or spaces, simplified
# characters) are this similar (rapidfuzz ratio, 0-100): 公示期几天 / 公示期是几天, but not
# 奖金能不能拿去还银行贷款 / 获奖证书能不能拿去银行申请贷款 (81) or 石家庄市政府质量奖奖金给多少 /
# 市政府质量奖奖金给多少 (88).
DUPLICATE_RATIO = 90
MAX_TRIAGE_ROWS = 2000  # open rows read for one listing (most recent first)
MAX_WORDINGS = 5  # distinct wordings of a group taught as sample questions
MAX_QUESTION_CHARS = 200
RETRY_AFTER_FAILURE = 5.0  # seconds without freshness checks after the database failed one

KIND_LABEL = {DECLINED: "❓未答出", BEST_GUESS: "🤔没把握", DOWNVOTE: "👎"}


class LearningError(QabotError):
    """A triage action that cannot be done; the message says why, in Chinese."""


# -- logging questions ---------------------------------------------------------------------------


def outcome_of(ans: Answer) -> str | None:
    """How the bot did on a question, for the log: None for input that is not a question
    (empty, or an article number that does not exist)."""
    if ans.kind in {"empty", "no_such_article", "smalltalk"}:
        return None
    if ans.kind == "out_of_scope":
        return DECLINED
    if ans.kind in {"suggest", "best"}:  # a best answer shown as such: staff may teach it
        return BEST_GUESS
    return ANSWERED


def log_question(factory: sessionmaker[Session], text: str, kind: str, articles: Sequence[int],
                 now: dt.datetime | None = None, lesson: int | None = None) -> int:
    """Store a question or a vote (no user identity); its row id. ``lesson``: the lesson that
    decided the answer (``Answer.lesson``): the question was handled by staff already, so it is
    stored as taught by that lesson, not open for triage (undoing the lesson reopens it).

    Inside a turn held on PostgreSQL the row is written in the turn's own transaction (under a
    savepoint, so a failed log never costs the answer) and commits with the conversation's
    state: no second connection and commit per question. Elsewhere it is one short
    transaction of its own, on PostgreSQL without waiting for the disk (a crash may lose the
    last few rows, never corrupt anything)."""
    values: dict[str, object] = {
        "text": text[:500], "kind": kind, "articles": ",".join(str(a) for a in articles),
        "created_at": now or utcnow()}
    engine = factory.kw["bind"]

    def write(conn: Any) -> int:
        if lesson is not None and kind in QUESTION_KINDS and conn.execute(
                select(Lesson.id).where(Lesson.id == lesson,
                                        Lesson.undone_at.is_(None))).first():  # type: ignore[union-attr]
            row = {**values, "status": TAUGHT, "lesson_id": lesson}
        else:
            row = values
        return int(conn.execute(_LOG_INSERT, row).inserted_primary_key[0])

    conn = turn_transaction(engine)
    if conn is not None:
        with conn.begin_nested():
            return write(conn)
    with write_lock(engine), engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(_ASYNC_COMMIT)
        return write(conn)


_LOG_INSERT = insert(QuestionLog.__table__)  # type: ignore[arg-type]


def articles_of(row_articles: str) -> list[int]:
    return [int(a) for a in row_articles.split(",") if re.fullmatch(r"\s*[0-9]{1,6}\s*", a)]


def purge(session: Session, now: dt.datetime, days: int) -> int:
    """Delete logged questions and votes older than ``days``; how many went."""
    cutoff = now - dt.timedelta(days=days)
    result = session.execute(delete(QuestionLog).where(QuestionLog.created_at < cutoff))  # type: ignore[arg-type]
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# -- triage ---------------------------------------------------------------------------------------


def compact(text: str) -> str:
    """A question reduced for near-duplicate matching."""
    return "".join(chunks(normalize(text)))


def similar(a: str, b: str) -> bool:
    return bool(a) and bool(b) and (a == b or fuzz.ratio(a, b) >= DUPLICATE_RATIO)


@dataclass
class Group:
    """Open questions that one decision handles: the representative row and its near-duplicates."""

    id: int  # the representative row: button data and the CLI name it
    text: str
    kinds: Counter[str] = field(default_factory=Counter)
    members: list[int] = field(default_factory=list)
    wordings: list[str] = field(default_factory=list)  # distinct wordings, representative first
    last_at: dt.datetime | None = None
    candidates: list[int] = field(default_factory=list)  # the bot's articles, best first
    cited: list[int] = field(default_factory=list)  # the article each reply quoted first

    @property
    def count(self) -> int:
        return len(self.members)

    @property
    def kind(self) -> str:
        return self.kinds.most_common(1)[0][0] if self.kinds else DECLINED


def _open_rows(session: Session, since: dt.datetime) -> list[Any]:
    return list(session.execute(
        select(QuestionLog.id, QuestionLog.text, QuestionLog.kind, QuestionLog.created_at,
               QuestionLog.articles)
        .where(QuestionLog.kind.in_(TRIAGE_KINDS),  # type: ignore[attr-defined]
               QuestionLog.status == OPEN, QuestionLog.created_at >= since)
        .order_by(QuestionLog.id.desc())  # type: ignore[union-attr]
        .limit(MAX_TRIAGE_ROWS)).all())


def _add(group: Group, row: Any) -> None:
    group.members.append(row.id)
    group.kinds[row.kind] += 1
    text = row.text.strip()[:MAX_QUESTION_CHARS]
    if text and all(compact(text) != compact(w) for w in group.wordings):
        group.wordings.append(text)
    if group.last_at is None or row.created_at > group.last_at:
        group.last_at = row.created_at
    first = articles_of(row.articles)[:1]
    if first and first[0] not in group.cited:
        group.cited += first


def triage(session: Session, now: dt.datetime, days: int, *, retriever: Retriever | None = None,
           limit: int | None = None) -> list[Group]:
    """Open questions of the last ``days`` days in groups of near-duplicates, the largest first
    (then the most recent); with a retriever, each group's candidate articles."""
    rows = _open_rows(session, now - dt.timedelta(days=days))
    groups: list[Group] = []
    keys: list[str] = []
    by_key: dict[str, Group] = {}
    for row in rows:  # newest first: a group is named by its newest question
        key = compact(row.text)
        g = by_key.get(key)
        if g is None:
            g = next((grp for k, grp in zip(keys, groups, strict=True) if similar(key, k)), None)
        if g is None:
            g = Group(row.id, row.text.strip()[:MAX_QUESTION_CHARS] or row.text)
            groups.append(g)
            keys.append(key)
        by_key[key] = g
        _add(g, row)
    groups.sort(key=lambda g: (-g.count, -(g.last_at.timestamp() if g.last_at else 0)))
    if limit is not None:
        groups = groups[:limit]
    if retriever is not None:
        for g in groups:
            g.candidates = candidates(retriever, g.text, g.cited)
    return groups


def candidates(retriever: Retriever, text: str, cited: Sequence[int] = (),
               n: int = 3) -> list[int]:
    """The articles the bot would consider for a question, best first: the one its reply
    quoted (a declined 报名截止是哪天 quotes 第十条, which ranking alone leaves out), then the
    ranked ones."""
    total = len(retriever.reg.articles)
    found = [a for a in cited[:1] if 1 <= a <= total]
    for h in retriever.rank(normalize(text[:MAX_QUESTION_CHARS])):
        if h.article not in found:
            found.append(h.article)
    return found[:n]


def group_of(session: Session, qid: int, now: dt.datetime, days: int) -> Group:
    """The open group a row names, as of now: the row and every open near-duplicate."""
    row = session.get(QuestionLog, qid)
    if row is None:
        raise LearningError(f"第{qid}号问题不存在（可能已超过保存期限被删除）。")
    if row.kind not in TRIAGE_KINDS:
        raise LearningError(f"第{qid}号不是待处理的问题。")
    if row.status != OPEN:
        how = "已忽略" if row.status == IGNORED else f"已处理（第{row.lesson_id}号教学）"
        raise LearningError(f"第{qid}号问题{how}。")
    group = Group(row.id, row.text.strip()[:MAX_QUESTION_CHARS] or row.text)
    _add(group, row)
    key = compact(row.text)
    for other in _open_rows(session, now - dt.timedelta(days=days)):
        if other.id != row.id and similar(key, compact(other.text)):
            _add(group, other)
    return group


# -- decisions ------------------------------------------------------------------------------------


def bump_generation(session: Session, now: dt.datetime) -> int:
    """Tell every process the learned layer changed (same transaction as the change)."""
    result = session.execute(update(LearnedGeneration).where(LearnedGeneration.id == 1)
                             .values(generation=LearnedGeneration.generation + 1, updated_at=now))
    if not result.rowcount:  # type: ignore[attr-defined]
        session.add(LearnedGeneration(id=1, generation=1, updated_at=now))
    session.flush()
    return current_generation(session)


def current_generation(session: Session) -> int:
    return int(session.execute(select(LearnedGeneration.generation)
                               .where(LearnedGeneration.id == 1)).scalar() or 0)


def _claim(session: Session, group: Group, status: str, lesson_id: int | None) -> None:
    """Mark the group handled; the representative first, so two staff pressing at once (in two
    processes) cannot both handle it: the second finds it no longer open."""
    won = session.execute(update(QuestionLog)
                          .where(QuestionLog.id == group.id, QuestionLog.status == OPEN)
                          .values(status=status, lesson_id=lesson_id))
    if not won.rowcount:  # type: ignore[attr-defined]
        raise LearningError(f"第{group.id}号问题刚刚已被处理。")
    others = [m for m in group.members if m != group.id]
    if others:
        session.execute(update(QuestionLog)
                        .where(QuestionLog.id.in_(others), QuestionLog.status == OPEN)  # type: ignore[union-attr]
                        .values(status=status, lesson_id=lesson_id))


def _lesson(session: Session, now: dt.datetime, **values: Any) -> Lesson:
    lesson = Lesson(created_at=now, **values)
    session.add(lesson)
    session.flush()
    return lesson


def check_article(pack: Pack, article: int, item: int | None,
                  sentence: int | None = None) -> None:
    total = len(pack.regulation.articles)
    if not 1 <= article <= total:
        raise LearningError(f"《{pack.title}》共{total}条，没有第{article}条。")
    art = pack.regulation.article(article)
    if item:
        if not any(it.number == item for it in art.items):
            n = len(art.items)
            raise LearningError(f"{art.label}没有第{item}项" + (f"（共{n}项）。" if n else "（不分项）。"))
    if sentence is not None and not 0 <= sentence < len(art.sentences):
        raise LearningError(f"{art.label}没有第{sentence + 1}句（共{len(art.sentences)}句）。")


def sentence_with(pack: Pack, article: int, phrase: str) -> int:
    """The index of the one sentence of an article that contains ``phrase``."""
    check_article(pack, article, None)
    art = pack.regulation.article(article)
    key = normalize(phrase).strip()
    found = [s.index for s in art.sentences if key and key in normalize(s.text)]
    if len(found) != 1:
        how = "没有" if not found else f"有{len(found)}句"
        raise LearningError(f"{art.label}中{how}含“{phrase[:20]}”的句子，请写出那一句中独有的几个字。")
    return found[0]


def assign(session: Session, qid: int, article: int, item: int | None, pack: Pack,
           now: dt.datetime, days: int = DEFAULT_RETENTION_DAYS,
           sentence: int | None = None) -> Lesson:
    """归到第N条（第X项）: the group's wordings become sample questions of that article, pointing
    at one item or one sentence when staff chose it (the quote the next user gets)."""
    check_article(pack, article, item, sentence)
    group = group_of(session, qid, now, days)
    lesson = _lesson(session, now, pack_id=pack.id, kind=SAMPLE, article=article,
                     item=item or None, sentence=sentence,
                     questions=json.dumps(group.wordings[:MAX_WORDINGS], ensure_ascii=False))
    _claim(session, group, TAUGHT, lesson.id)
    bump_generation(session, now)
    return lesson


def mark_out_of_scope(session: Session, qid: int, reason: str, pack: Pack, now: dt.datetime,
                      days: int = DEFAULT_RETENTION_DAYS) -> Lesson:
    """不在办法范围内: the group's wordings become out-of-scope examples with ``reason``."""
    if reason not in REASONS:
        raise LearningError(f"未知的原因“{reason[:20]}”。可选：" + "、".join(
            f"{code}（{r.label}）" for code, r in REASONS.items()))
    group = group_of(session, qid, now, days)
    lesson = _lesson(session, now, pack_id=pack.id, kind=OUT_OF_SCOPE, reason=reason,
                     questions=json.dumps(group.wordings[:MAX_WORDINGS], ensure_ascii=False))
    _claim(session, group, TAUGHT, lesson.id)
    bump_generation(session, now)
    return lesson


def ignore(session: Session, qid: int, now: dt.datetime,
           days: int = DEFAULT_RETENTION_DAYS) -> int:
    """忽略: the group leaves the list; nothing is taught. How many questions it held."""
    group = group_of(session, qid, now, days)
    _claim(session, group, IGNORED, None)
    return group.count


def measures_use(pack: Pack, word: str) -> bool:
    return normalize(word) in normalize(pack.text)


def add_synonym(session: Session, word: str, canonical: str, pack: Pack, retriever: Retriever,
                now: dt.datetime, qid: int | None = None,
                days: int = DEFAULT_RETENTION_DAYS) -> Lesson:
    """同义词: ``word`` (what people say) stands for ``canonical`` (a word of the measures)."""
    word, canonical = normalize(word).strip(), normalize(canonical).strip()
    if not 2 <= len(word) <= 12 or not chunks(word) or "".join(chunks(word)) != word:
        raise LearningError("用户的说法应为 2 到 12 个字的词语（不含标点和空格）。")
    if not canonical or len(canonical) > 20:
        raise LearningError("请写出办法中的词语。")
    if not measures_use(pack, canonical):
        raise LearningError(f"办法中没有“{canonical}”这个说法，请写办法原文中的词语。")
    if measures_use(pack, word):
        raise LearningError(f"“{word}”办法中本来就有，不需要设为同义词。")
    if word == canonical or canonical in retriever.synonyms.get(word, []):
        raise LearningError(f"“{word}”已经是“{canonical}”的同义词。")
    group = group_of(session, qid, now, days) if qid is not None else None
    lesson = _lesson(session, now, pack_id=pack.id, kind=SYNONYM, word=word, canonical=canonical,
                     questions=json.dumps(group.wordings[:1] if group else [],
                                          ensure_ascii=False))
    if group is not None:
        _claim(session, group, TAUGHT, lesson.id)
    bump_generation(session, now)
    return lesson


def accept(session: Session, lesson_id: int, article: int) -> None:
    """Record the article a synonym's question got when it was taught (its regression case)."""
    lesson = session.get(Lesson, lesson_id)
    if lesson is not None and lesson.kind == SYNONYM:
        lesson.article = article


def undo(session: Session, lesson_id: int, now: dt.datetime) -> Lesson:
    """Take a lesson back: the bot forgets it, and its questions are open again."""
    lesson = session.get(Lesson, lesson_id)
    if lesson is None:
        raise LearningError(f"没有第{lesson_id}号教学记录。")
    if lesson.undone_at is not None:
        raise LearningError(f"第{lesson_id}号教学已于 {lesson.undone_at:%Y-%m-%d} 撤销。")
    lesson.undone_at = now
    session.execute(update(QuestionLog).where(QuestionLog.lesson_id == lesson_id)
                    .values(status=OPEN, lesson_id=None))
    bump_generation(session, now)
    return lesson


def lessons(session: Session, pack_id: str, *, include_undone: bool = False) -> list[Lesson]:
    q = select(Lesson).where(Lesson.pack_id == pack_id).order_by(Lesson.id)  # type: ignore[arg-type]
    if not include_undone:
        q = q.where(Lesson.undone_at.is_(None))  # type: ignore[union-attr]
    return list(session.execute(q).scalars())


def questions_of(lesson: Lesson) -> list[str]:
    try:
        data = json.loads(lesson.questions or "[]")
    except json.JSONDecodeError:
        return []
    return [str(q) for q in data] if isinstance(data, list) else []


def describe(lesson: Lesson, pack: Pack) -> str:
    """One line for staff: what the lesson teaches."""
    qs = questions_of(lesson)
    first = f"“{qs[0]}”" + (f"等{len(qs)}种说法" if len(qs) > 1 else "") if qs else ""
    if lesson.kind == SAMPLE and lesson.article:
        where = f"第{lesson.sentence + 1}句" if lesson.sentence is not None else ""
        return f"{first} → {Ref(lesson.article, lesson.item).label}{where}"
    if lesson.kind == SYNONYM:
        return f"“{lesson.word}” = 办法中的“{lesson.canonical}”" + (f"（来自{first}）" if first else "")
    reason = REASONS.get(lesson.reason or "")
    return f"{first} → 不在办法范围内（{reason.label if reason else lesson.reason}）"


# -- the layer ------------------------------------------------------------------------------------


def to_layer(rows: Sequence[Lesson], generation: int = 0) -> Learned:
    samples: list[Sample] = []
    synonyms: list[Synonym] = []
    oos: list[OutOfScope] = []
    for lesson in rows:
        if lesson.kind == SAMPLE and lesson.article:
            samples += [Sample(lesson.article, q, lesson.item, lesson.id, lesson.sentence)
                        for q in questions_of(lesson)]
        elif lesson.kind == SYNONYM and lesson.word and lesson.canonical:
            source = questions_of(lesson)[:1]
            synonyms.append(Synonym(lesson.word, lesson.canonical, lesson.id,
                                    source[0] if source else None, lesson.article))
        elif lesson.kind == OUT_OF_SCOPE and lesson.reason in REASONS:
            oos += [OutOfScope(q, lesson.reason, lesson.id)  # type: ignore[arg-type]
                    for q in questions_of(lesson)]
    return Learned(tuple(samples), tuple(synonyms), tuple(oos), generation)


def load_layer(session: Session, pack_id: str) -> Learned:
    """The active lessons for a pack, with the generation they belong to."""
    generation = current_generation(session)  # first: a change in between only reloads again
    return to_layer(lessons(session, pack_id), generation)


def import_layer(session: Session, layer: Learned, pack: Pack, now: dt.datetime) -> int:
    """Add a reviewed layer (``learned.yaml``) as lessons; entries already active are skipped."""
    known = {(lesson.kind, lesson.article, lesson.item, lesson.sentence, lesson.word,
              lesson.canonical, lesson.reason, q)
             for lesson in lessons(session, pack.id) for q in questions_of(lesson) or [""]}
    added = 0
    for s in layer.samples:
        check_article(pack, s.article, s.item, s.sentence)
        if (SAMPLE, s.article, s.item, s.sentence, None, None, None, s.question) not in known:
            _lesson(session, now, pack_id=pack.id, kind=SAMPLE, article=s.article, item=s.item,
                    sentence=s.sentence, questions=json.dumps([s.question], ensure_ascii=False))
            added += 1
    known_words = {(lesson.word, lesson.canonical) for lesson in lessons(session, pack.id)
                   if lesson.kind == SYNONYM}
    for y in layer.synonyms:
        if (y.word, y.canonical) not in known_words:
            _lesson(session, now, pack_id=pack.id, kind=SYNONYM, word=y.word,
                    canonical=y.canonical, article=y.article,
                    questions=json.dumps([y.question] if y.question else [],
                                         ensure_ascii=False))
            added += 1
    for o in layer.out_of_scope:
        if o.reason not in REASONS:
            raise LearningError(f"未知的原因“{o.reason[:20]}”。")
        if (OUT_OF_SCOPE, None, None, None, None, None, o.reason, o.question) not in known:
            _lesson(session, now, pack_id=pack.id, kind=OUT_OF_SCOPE, reason=o.reason,
                    questions=json.dumps([o.question], ensure_ascii=False))
            added += 1
    if added:
        bump_generation(session, now)
    return added


class LiveLayer:
    """Keeps a process's retriever in step with the learned layer in the database.

    :meth:`current` costs one primary-key read of ``learned_generation`` per call, on a
    connection of its own in autocommit mode (no pool checkout, no pre-ping, no transaction
    left open); only when the number moved are the lessons loaded and swapped in. When the
    database fails, the retriever in hand keeps answering and checks pause for a few seconds.
    """

    def __init__(self, sessions: sessionmaker[Session], pack_id: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.sessions = sessions
        self.pack_id = pack_id
        self.clock = clock
        self._paused_until = 0.0
        self._conn: Connection | None = None
        self._lock = threading.Lock()  # a connection serves one thread at a time
        self.reloads = 0

    def generation(self) -> int:
        with self._lock:
            try:
                if self._conn is None:
                    engine = self.sessions.kw["bind"]
                    if not event.contains(engine, "engine_disposed", self._on_dispose):
                        event.listen(engine, "engine_disposed", self._on_dispose)
                    self._conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                return int(self._conn.execute(_GENERATION).scalar() or 0)
            except Exception:
                self.close_connection()
                raise

    def _on_dispose(self, engine: Any) -> None:  # Services.close(): do not outlive the pool
        with self._lock:
            self.close_connection()

    def close_connection(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - it is broken already
                logger.debug("closing a broken connection", exc_info=True)

    def current(self, retriever: Retriever) -> Retriever:
        """``retriever`` itself when its layer is the database's, else one with the new layer."""
        if self.clock() < self._paused_until:
            return retriever
        try:
            generation = self.generation()
            if generation == retriever.learned.generation:
                return retriever
            with self.sessions() as session:
                layer = load_layer(session, self.pack_id)
        except Exception:  # noqa: BLE001 - answering must not depend on the database
            logger.warning("learned layer not checked; answering with the one in hand",
                           exc_info=True)
            self._paused_until = self.clock() + RETRY_AFTER_FAILURE
            return retriever
        self.reloads += 1
        logger.info("learned layer %s -> %s (%d lessons)", retriever.learned.generation,
                    layer.generation, len(layer))
        return retriever.with_learned(layer)


_GENERATION = text("SELECT generation FROM learned_generation WHERE id = 1")
_ASYNC_COMMIT = text("SET LOCAL synchronous_commit TO OFF")
