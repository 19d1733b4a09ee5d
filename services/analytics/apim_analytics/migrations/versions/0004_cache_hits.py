"""Rollups count the requests a gateway answered from its response cache.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

GRANULARITIES = ("minute", "hour", "day")


def upgrade() -> None:
    for granularity in GRANULARITIES:
        op.add_column(
            f"rollup_{granularity}",
            sa.Column("cache_hit_count", sa.BigInteger(), nullable=False, server_default="0"),
        )


def downgrade() -> None:
    for granularity in GRANULARITIES:
        with op.batch_alter_table(f"rollup_{granularity}") as batch:
            batch.drop_column("cache_hit_count")
