"""The policy implementations each gateway environment reported it has.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "environment_policy_implementations",
        sa.Column("environment", sa.String(100), nullable=False),
        sa.Column("implementations", sa.JSON(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("environment", name=op.f("pk_environment_policy_implementations")),
    )


def downgrade() -> None:
    op.drop_table("environment_policy_implementations")
