"""A version per tenant's API list, raised in the transaction of every write that changes what
``GET /apis`` shows: the key of each replica's in-memory copy of the tenant's listed rows.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_list_versions",
        sa.Column("tenant", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", name=op.f("pk_api_list_versions")),
    )


def downgrade() -> None:
    op.drop_table("api_list_versions")
