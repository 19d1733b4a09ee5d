"""Per tenant, the first minute not yet merged into hours and days.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rollup_progress",
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("merged_until", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", name=op.f("pk_rollup_progress")),
    )
    # Every tenant with rollups so far has them merged up to now.
    op.execute(
        "INSERT INTO rollup_progress (tenant, merged_until) "
        "SELECT tenant, max(bucket) + 60 FROM rollup_minute GROUP BY tenant"
    )


def downgrade() -> None:
    op.drop_table("rollup_progress")
