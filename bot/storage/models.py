"""The tables, as sqlmodel models. They describe the schema at the head migration.

Chat ids are stored as text (``str(chat_id)``) so a terminal chat and a Telegram chat are the
same kind of key. Timestamps are timezone-aware UTC on both databases; calendar dates
(award, expiry) are plain dates.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Index, PrimaryKeyConstraint, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.storage.types import UTCDateTime

ORGANIZATION = "organization"  # 组织奖
INDIVIDUAL = "individual"  # 个人奖
ACTIVE = "active"
REVOKED = "revoked"  # 第二十四条


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Winner(SQLModel, table=True):
    """One award to one organisation or person (a repeat award is another row, 第十七条)."""

    __tablename__ = "winner"
    __table_args__ = (
        UniqueConstraint("name_key", "kind", "award_year", name="uq_winner_identity"),
        Index("ix_winner_status_valid_until", "status", "valid_until"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str
    name_key: str = Field(index=True)  # normalised name: NFKC, no spaces, casefolded
    kind: str  # ORGANIZATION | INDIVIDUAL
    award_year: int  # 年度
    award_date: dt.date  # the municipal government's decision
    valid_until: dt.date  # 第四条, counted by the pack's rule (stored for fast queries)
    doc_number: str | None = None
    notes: str | None = None
    repeat_award: bool = False  # 第十七条: no prize money, takes no quota
    status: str = ACTIVE
    revoked_on: dt.date | None = None
    revoked_reason: str | None = None
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Binding(SQLModel, table=True):
    """A chat that receives a winner's reminders; inactive once the user blocked the bot."""

    __tablename__ = "binding"
    __table_args__ = (UniqueConstraint("winner_id", "chat_id", name="uq_binding"),)

    id: int | None = Field(default=None, primary_key=True)
    winner_id: int = Field(foreign_key="winner.id", ondelete="CASCADE", index=True)
    chat_id: str = Field(index=True)
    active: bool = True
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deactivated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class BindCode(SQLModel, table=True):
    """A one-time code staff hand to a winner; only its sha256 is kept."""

    __tablename__ = "bind_code"

    id: int | None = Field(default=None, primary_key=True)
    winner_id: int = Field(foreign_key="winner.id", ondelete="CASCADE", index=True)
    code_hash: str = Field(unique=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class BindAttempt(SQLModel, table=True):
    """A wrong code sent from a chat; five within an hour lock binding for that chat."""

    __tablename__ = "bind_attempt"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: str = Field(index=True)
    attempted_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReminderSent(SQLModel, table=True):
    """A reminder claimed for a chat, then sent: at most one per (winner, chat, milestone).

    Written before sending (``holder``, ``claimed_until``, ``sent_at`` None): every other
    process skips it. ``sent_at`` is set once Telegram accepted the message; a claim past
    ``claimed_until`` without ``sent_at`` belonged to a process that died, and may be taken."""

    __tablename__ = "reminder_sent"
    __table_args__ = (PrimaryKeyConstraint("winner_id", "chat_id", "milestone"),)

    winner_id: int = Field(foreign_key="winner.id", ondelete="CASCADE")
    chat_id: str = Field(index=True)
    milestone: str
    sent_at: dt.datetime | None = Field(default_factory=utcnow, sa_type=UTCDateTime)
    holder: str | None = None
    claimed_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class PackStatus(SQLModel, table=True):
    """Per knowledge pack: a revision staff recorded (``qabot pack supersede``), seen by every
    process, and the counting rule the stored ``winner.valid_until`` dates were computed with."""

    __tablename__ = "pack_status"

    pack_id: str = Field(primary_key=True)
    superseded_by: str | None = None  # 文号 of the text that replaced or revised it
    superseded_from: dt.date | None = None
    counting: str | None = None  # e.g. "civil_code:4" (rule and years)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# -- tables for the Telegram application (issue 5) -------------------------------------------


class BotState(SQLModel, table=True):
    """JSON rows by (namespace, key): each conversation's dialogue state (namespace ``conv``,
    ``bot.state``), the web's signing secret."""

    __tablename__ = "bot_state"
    __table_args__ = (PrimaryKeyConstraint("namespace", "key"),)

    namespace: str
    key: str
    data: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Subscriber(SQLModel, table=True):
    __tablename__ = "subscriber"

    chat_id: str = Field(primary_key=True)
    active: bool = True
    subscribed_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Broadcast(SQLModel, table=True):
    __tablename__ = "broadcast"

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class BroadcastDelivery(SQLModel, table=True):
    """A notice claimed for a subscriber, then sent (claimed and recorded as ReminderSent)."""

    __tablename__ = "broadcast_delivery"
    __table_args__ = (PrimaryKeyConstraint("broadcast_id", "chat_id"),)

    broadcast_id: int = Field(foreign_key="broadcast.id", ondelete="CASCADE")
    chat_id: str
    sent_at: dt.datetime | None = Field(default_factory=utcnow, sa_type=UTCDateTime)
    holder: str | None = None
    claimed_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class TelegramUpdate(SQLModel, table=True):
    """An update one process took to handle: a second delivery of it is not answered again.
    Rows older than a few days are purged (Telegram keeps an update at most 24 hours)."""

    __tablename__ = "telegram_update"
    __table_args__ = (PrimaryKeyConstraint("bot_id", "update_id"),)

    bot_id: int = Field(sa_type=BigInteger)
    update_id: int = Field(sa_type=BigInteger)
    seen_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class QuestionLog(SQLModel, table=True):
    """A question asked, or a vote on an answer; no user identity. Purged after
    ``QUESTION_RETENTION_DAYS`` (bot/learning.py)."""

    __tablename__ = "question_log"

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    # 'answered' | 'best_guess' | 'declined' (a question and how the bot did), or a vote on an
    # answer: 'downvote' | 'upvote'
    kind: str
    articles: str = ""  # comma-separated article numbers the reply cited (or offered), best first
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    # staff triage of declined, best-guess and 👎 questions: 'open' | 'taught' | 'ignored'
    status: str = Field(default="open", sa_column_kwargs={"server_default": "open"})
    lesson_id: int | None = Field(default=None, foreign_key="lesson.id", ondelete="SET NULL",
                                  index=True)


# -- the learned layer and the office's numbers (issue 13) ------------------------------------


class Lesson(SQLModel, table=True):
    """One decision staff took on a question (or a group of near-duplicates).

    ``kind`` 'sample': ``questions`` become sample questions of ``article`` (its ``item`` or
    ``sentence``);
    'synonym': ``word`` stands for the measures' ``canonical`` (``questions`` holds the question it
    came from, ``article`` what that question got once taught); 'out_of_scope': ``questions``
    are declined with ``reason``. Undoing sets ``undone_at``; the row stays for the record.
    """

    __tablename__ = "lesson"

    id: int | None = Field(default=None, primary_key=True)
    pack_id: str = Field(index=True)
    kind: str
    questions: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON list
    article: int | None = None
    item: int | None = None
    sentence: int | None = None  # the article's sentence that answers (its index, from 0)
    word: str | None = None
    canonical: str | None = None
    reason: str | None = None
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    undone_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class LearnedGeneration(SQLModel, table=True):
    """One row, bumped in the same transaction as every change to the learned layer (and to the
    hot-question choices): each process compares it with the layer it holds, per question."""

    __tablename__ = "learned_generation"

    id: int = Field(default=1, primary_key=True)
    generation: int = 0
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class HotChoice(SQLModel, table=True):
    """Staff's choice on a hot question (by article): 'pin' it first, or 'hide' it."""

    __tablename__ = "hot_choice"

    article: int = Field(primary_key=True)
    action: str
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DailyCount(SQLModel, table=True):
    """How often something happened on a day (self-checks, reminders): numbers, no identity."""

    __tablename__ = "daily_count"
    __table_args__ = (PrimaryKeyConstraint("day", "event"),)

    day: dt.date
    event: str
    count: int = 0
