"""Bot-detection data: the calls to the gateways' bot traps, per tenant.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bot_detection_data',
    sa.Column('message_id', sa.String(length=64), nullable=False),
    sa.Column('tenant', sa.String(length=255), nullable=False),
    sa.Column('recorded_time', sa.BigInteger(), nullable=False),
    sa.Column('api_method', sa.String(length=16), nullable=False),
    sa.Column('header_set', sa.Text(), nullable=False),
    sa.Column('message_body', sa.Text(), nullable=False),
    sa.Column('client_ip', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('message_id', name=op.f('pk_bot_detection_data'))
    )
    with op.batch_alter_table('bot_detection_data', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bot_detection_data_recorded_time'), ['recorded_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_bot_detection_data_tenant'), ['tenant'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('bot_detection_data', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bot_detection_data_tenant'))
        batch_op.drop_index(batch_op.f('ix_bot_detection_data_recorded_time'))

    op.drop_table('bot_detection_data')
