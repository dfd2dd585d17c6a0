"""Several processes on one database: claimed deliveries, seen updates, per-chat state.

- ``reminder_sent`` and ``broadcast_delivery`` become claims as well as records: a process
  writes the row (``holder``, ``claimed_until``, ``sent_at`` NULL) *before* it sends, so two
  processes never send the same message; ``sent_at`` is set once Telegram accepted it. A claim
  whose holder died expires at ``claimed_until`` and may be taken again (at most one repeat
  per crash, never a loss). Existing rows are sent messages.
- ``telegram_update``: each update is claimed once by the process that handles it, so an
  update Telegram delivers twice (a retried webhook, a restarted poller) is answered once.
- Conversation state moves from PTB's per-user ``user_data`` rows to one row per user *and
  chat* (namespace ``conv``, key ``<chat>:<user>``); a private chat's state keeps its key.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    for table in ("reminder_sent", "broadcast_delivery"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("holder", sa.String(), nullable=True))
            batch.add_column(sa.Column("claimed_until", TS, nullable=True))
            batch.alter_column("sent_at", existing_type=TS, nullable=True)
    op.create_table(
        "telegram_update",
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=False),
        sa.Column("seen_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("bot_id", "update_id"),
    )
    op.create_index("ix_telegram_update_seen_at", "telegram_update", ["seen_at"])
    state = sa.table("bot_state", sa.column("namespace", sa.String()),
                     sa.column("key", sa.String()), sa.column("data", sa.Text()),
                     sa.column("updated_at", TS))
    conn = op.get_bind()
    rows = conn.execute(sa.select(state.c.key, state.c.data, state.c.updated_at)
                        .where(state.c.namespace == "user_data")).all()
    for key, data, updated_at in rows:
        conn.execute(state.insert().values(namespace="conv", key=f"{key}:{key}", data=data,
                                           updated_at=updated_at))
    web = conn.execute(sa.select(state.c.key, state.c.data, state.c.updated_at)
                       .where(state.c.namespace == "web")).all()
    for key, data, updated_at in web:  # a web session is its own chat and user
        conn.execute(state.insert().values(namespace="conv", key=f"web:{key}:web:{key}",
                                           data=data, updated_at=updated_at))
    conn.execute(state.delete().where(state.c.namespace.in_(["user_data", "chat_data", "web"])))


def downgrade() -> None:
    state = sa.table("bot_state", sa.column("namespace", sa.String()),
                     sa.column("key", sa.String()), sa.column("data", sa.Text()),
                     sa.column("updated_at", TS))
    conn = op.get_bind()
    rows = conn.execute(sa.select(state.c.key, state.c.data, state.c.updated_at)
                        .where(state.c.namespace == "conv")).all()
    for key, data, updated_at in rows:
        chat, _, user = key.partition(":")
        if chat == user and re.fullmatch(r"-?[0-9]+", chat):
            conn.execute(state.insert().values(namespace="user_data", key=user, data=data,
                                               updated_at=updated_at))
        elif key.startswith("web:") and key.count(":") == 3:
            conn.execute(state.insert().values(namespace="web", key=key.split(":")[1],
                                               data=data, updated_at=updated_at))
    conn.execute(state.delete().where(state.c.namespace == "conv"))
    op.drop_index("ix_telegram_update_seen_at", table_name="telegram_update")
    op.drop_table("telegram_update")
    for table in ("reminder_sent", "broadcast_delivery"):
        conn.execute(sa.text(f"DELETE FROM {table} WHERE sent_at IS NULL"))
        with op.batch_alter_table(table) as batch:
            batch.alter_column("sent_at", existing_type=TS, nullable=False)
            batch.drop_column("claimed_until")
            batch.drop_column("holder")
