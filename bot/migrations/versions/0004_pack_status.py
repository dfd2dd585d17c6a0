"""Count validity as 《民法典》 does, and let staff record that the measures were revised.

``pack_status`` keeps, per knowledge pack, the revision staff recorded with ``qabot pack
supersede`` (in the database, so every running process sees it) and the counting rule the
stored expiry dates were computed with. Stored ``winner.valid_until`` dates are recomputed
with the pack's rule (《民法典》第二百零一条、第二百零二条 by default: an award of 2021-12-20 is
valid through 2025-12-20, no longer 2025-12-19); later changes of the rule are applied at
start-up (``bot.registry.sync_valid_until``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _recompute(years: int, counting: str) -> None:
    from knowledge.validity import valid_until

    conn = op.get_bind()
    winner = sa.table("winner", sa.column("id", sa.Integer()), sa.column("award_date", sa.Date()),
                      sa.column("valid_until", sa.Date()))
    for row_id, award_date in conn.execute(sa.select(winner.c.id, winner.c.award_date)).all():
        conn.execute(winner.update().where(winner.c.id == row_id)
                     .values(valid_until=valid_until(award_date, years, counting)))


def upgrade() -> None:
    from bot import configured
    from knowledge.pack import load_pack
    from knowledge.validity import period

    op.create_table(
        "pack_status",
        sa.Column("pack_id", sa.String(), primary_key=True),
        sa.Column("superseded_by", sa.String(), nullable=True),
        sa.Column("superseded_from", sa.Date(), nullable=True),
        sa.Column("counting", sa.String(), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    pack = load_pack(configured.pack_id())
    p = period(pack)
    _recompute(p.years, p.counting)
    status = sa.table("pack_status", sa.column("pack_id", sa.String()),
                      sa.column("counting", sa.String()), sa.column("updated_at", TS))
    op.get_bind().execute(status.insert().values(
        pack_id=pack.id, counting=f"{p.counting}:{p.years}",
        updated_at=dt.datetime.now(dt.UTC)))


def downgrade() -> None:
    from bot import configured
    from knowledge.pack import load_pack
    from knowledge.validity import AWARD_DAY_COUNTED

    years = int(load_pack(configured.pack_id())
                .value("validity_years"))
    _recompute(years, AWARD_DAY_COUNTED)  # what 0002 stored
    op.drop_table("pack_status")
