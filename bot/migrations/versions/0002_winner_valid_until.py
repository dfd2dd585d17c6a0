"""Store each winner's last valid day, so expiry and reminder queries use an index.

Planning the day's reminders and ``winners expiring`` ask "which awards end before X"; with
the date computed in Python from award_date that is a full scan of 100,000 rows. The column
is filled for existing rows from award_date (第四条: award date + 4 years - 1 day).

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from bot import configured
    from knowledge.pack import load_pack
    from knowledge.validity import AWARD_DAY_COUNTED, valid_until

    years = int(load_pack(configured.pack_id())
                .value("validity_years"))
    with op.batch_alter_table("winner") as batch:
        batch.add_column(sa.Column("valid_until", sa.Date(), nullable=True))
    conn = op.get_bind()
    winner = sa.table("winner", sa.column("id", sa.Integer()), sa.column("award_date", sa.Date()),
                      sa.column("valid_until", sa.Date()))
    rows = conn.execute(sa.select(winner.c.id, winner.c.award_date)).all()
    for row_id, award_date in rows:
        conn.execute(winner.update().where(winner.c.id == row_id)
                     .values(valid_until=valid_until(award_date, years, AWARD_DAY_COUNTED)))
    with op.batch_alter_table("winner") as batch:
        batch.alter_column("valid_until", existing_type=sa.Date(), nullable=False)
        batch.create_index("ix_winner_status_valid_until", ["status", "valid_until"])


def downgrade() -> None:
    with op.batch_alter_table("winner") as batch:
        batch.drop_index("ix_winner_status_valid_until")
        batch.drop_column("valid_until")
