"""Initial schema: the winner registry, bindings, reminders, and the Telegram app's tables.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "winner",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("award_year", sa.Integer(), nullable=False),
        sa.Column("award_date", sa.Date(), nullable=False),
        sa.Column("doc_number", sa.String(), nullable=True),
        sa.Column("notes", sa.String(), nullable=True),
        sa.Column("repeat_award", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("status", sa.String(), nullable=False, server_default="active"),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("revoked_reason", sa.String(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("name_key", "kind", "award_year", name="uq_winner_identity"),
    )
    op.create_index("ix_winner_name_key", "winner", ["name_key"])
    op.create_table(
        "binding",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("winner_id", sa.Integer(), sa.ForeignKey("winner.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("chat_id", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("deactivated_at", TS, nullable=True),
        sa.UniqueConstraint("winner_id", "chat_id", name="uq_binding"),
    )
    op.create_index("ix_binding_winner_id", "binding", ["winner_id"])
    op.create_index("ix_binding_chat_id", "binding", ["chat_id"])
    op.create_table(
        "bind_code",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("winner_id", sa.Integer(), sa.ForeignKey("winner.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("code_hash", sa.String(), nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS, nullable=True),
    )
    op.create_index("ix_bind_code_winner_id", "bind_code", ["winner_id"])
    op.create_table(
        "bind_attempt",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("chat_id", sa.String(), nullable=False),
        sa.Column("attempted_at", TS, nullable=False),
    )
    op.create_index("ix_bind_attempt_chat_id", "bind_attempt", ["chat_id"])
    op.create_table(
        "reminder_sent",
        sa.Column("winner_id", sa.Integer(), sa.ForeignKey("winner.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("chat_id", sa.String(), nullable=False),
        sa.Column("milestone", sa.String(), nullable=False),
        sa.Column("sent_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("winner_id", "chat_id", "milestone"),
    )
    op.create_index("ix_reminder_sent_chat_id", "reminder_sent", ["chat_id"])

    # The Telegram application's tables (issue 5).
    op.create_table(
        "bot_state",
        sa.Column("namespace", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("namespace", "key"),
    )
    op.create_table(
        "subscriber",
        sa.Column("chat_id", sa.String(), primary_key=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("subscribed_at", TS, nullable=False),
    )
    op.create_table(
        "broadcast",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
    )
    op.create_table(
        "broadcast_delivery",
        sa.Column("broadcast_id", sa.Integer(),
                  sa.ForeignKey("broadcast.id", ondelete="CASCADE"), nullable=False),
        sa.Column("chat_id", sa.String(), nullable=False),
        sa.Column("sent_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("broadcast_id", "chat_id"),
    )
    op.create_table(
        "question_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("articles", sa.String(), nullable=False, server_default=""),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_question_log_created_at", "question_log", ["created_at"])


def downgrade() -> None:
    for table in ("question_log", "broadcast_delivery", "broadcast", "subscriber", "bot_state",
                  "reminder_sent", "bind_attempt", "bind_code", "binding", "winner"):
        op.drop_table(table)
