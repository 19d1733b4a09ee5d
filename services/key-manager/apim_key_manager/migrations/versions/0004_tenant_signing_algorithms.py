"""The algorithm of each tenant's access tokens (RS256 or ES256), from its resident key manager.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 02:00:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tenant_signing_algorithms',
    sa.Column('tenant', sa.String(length=255), nullable=False),
    sa.Column('algorithm', sa.String(length=10), nullable=False),
    sa.PrimaryKeyConstraint('tenant', name=op.f('pk_tenant_signing_algorithms'))
    )


def downgrade() -> None:
    op.drop_table('tenant_signing_algorithms')
