"""Staff teach the bot: lessons, the generation row every process checks, hot-question choices,
daily counts; question_log gets a triage status and the lesson that handled it.

Every question is logged from now on (answered, best_guess or declined); the old 'unanswered'
rows become 'declined', since the bot declined them.

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "lesson",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pack_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("questions", sa.Text(), nullable=False, server_default="[]"),
        sa.Column("article", sa.Integer(), nullable=True),
        sa.Column("item", sa.Integer(), nullable=True),
        sa.Column("sentence", sa.Integer(), nullable=True),
        sa.Column("word", sa.String(), nullable=True),
        sa.Column("canonical", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("undone_at", TS, nullable=True),
    )
    op.create_index("ix_lesson_pack_id", "lesson", ["pack_id"])
    op.create_table(
        "learned_generation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("generation", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("updated_at", TS, nullable=False),
    )
    gen = sa.table("learned_generation", sa.column("id", sa.Integer()),
                   sa.column("generation", sa.Integer()), sa.column("updated_at", TS))
    op.execute(gen.insert().values(id=1, generation=0, updated_at=sa.func.current_timestamp()))
    op.create_table(
        "hot_choice",
        sa.Column("article", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "daily_count",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("event", sa.String(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("day", "event"),
    )
    with op.batch_alter_table("question_log") as batch:
        batch.add_column(sa.Column("status", sa.String(), nullable=False,
                                   server_default="open"))
        batch.add_column(sa.Column("lesson_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_question_log_lesson_id", "lesson", ["lesson_id"], ["id"],
                                 ondelete="SET NULL")
        batch.create_index("ix_question_log_lesson_id", ["lesson_id"])
    log = sa.table("question_log", sa.column("kind", sa.String()))
    op.execute(log.update().where(log.c.kind == "unanswered").values(kind="declined"))


def downgrade() -> None:
    log = sa.table("question_log", sa.column("kind", sa.String()))
    op.execute(log.update().where(log.c.kind.in_(["declined", "best_guess"]))
               .values(kind="unanswered"))
    op.execute(log.delete().where(log.c.kind == "answered"))
    with op.batch_alter_table("question_log") as batch:
        batch.drop_index("ix_question_log_lesson_id")
        batch.drop_constraint("fk_question_log_lesson_id", type_="foreignkey")
        batch.drop_column("lesson_id")
        batch.drop_column("status")
    for table in ("daily_count", "hot_choice", "learned_generation", "lesson"):
        op.drop_table(table)
