"""Monetization: the subscriptions billed, the usage publish jobs, their usage records, and the
billing provider's customers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('monetization_billing_accounts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('application_id', sa.String(length=64), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('tenant', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monetization_billing_accounts')),
    sa.UniqueConstraint('provider', 'application_id', name=op.f('uq_monetization_billing_accounts_provider'))
    )
    op.create_index(op.f('ix_monetization_billing_accounts_tenant'), 'monetization_billing_accounts', ['tenant'], unique=False)
    op.create_table('monetization_publish_jobs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('running_tenant', sa.String(length=255), nullable=True),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('period_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('period_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monetization_publish_jobs')),
    sa.UniqueConstraint('running_tenant', name=op.f('uq_monetization_publish_jobs_running_tenant'))
    )
    op.create_index(op.f('ix_monetization_publish_jobs_tenant'), 'monetization_publish_jobs', ['tenant'], unique=False)
    op.create_table('monetization_subscriptions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('api_id', sa.String(length=64), nullable=False),
    sa.Column('api_name', sa.String(length=255), nullable=False),
    sa.Column('api_version', sa.String(length=64), nullable=False),
    sa.Column('application_id', sa.String(length=64), nullable=False),
    sa.Column('application_name', sa.String(length=255), nullable=False),
    sa.Column('subscriber', sa.String(length=255), nullable=False),
    sa.Column('tier', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('tenant', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monetization_subscriptions'))
    )
    op.create_index(op.f('ix_monetization_subscriptions_api_id'), 'monetization_subscriptions', ['api_id'], unique=False)
    op.create_index(op.f('ix_monetization_subscriptions_tenant'), 'monetization_subscriptions', ['tenant'], unique=False)
    op.create_table('monetization_usage_records',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('job_id', sa.String(length=36), nullable=False),
    sa.Column('subscription_id', sa.String(length=64), nullable=False),
    sa.Column('api_id', sa.String(length=64), nullable=False),
    sa.Column('api_name', sa.String(length=255), nullable=False),
    sa.Column('api_version', sa.String(length=64), nullable=False),
    sa.Column('application_id', sa.String(length=64), nullable=False),
    sa.Column('application_name', sa.String(length=255), nullable=False),
    sa.Column('subscriber', sa.String(length=255), nullable=False),
    sa.Column('tier', sa.String(length=255), nullable=False),
    sa.Column('plan', sa.String(length=20), nullable=False),
    sa.Column('request_count', sa.BigInteger(), nullable=False),
    sa.Column('unit_price', sa.String(length=32), nullable=False),
    sa.Column('amount', sa.String(length=32), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('period_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('period_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=False),
    sa.Column('tenant', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monetization_usage_records'))
    )
    op.create_index('ix_monetization_usage_records_api', 'monetization_usage_records', ['tenant', 'api_id'], unique=False)
    op.create_index(op.f('ix_monetization_usage_records_job_id'), 'monetization_usage_records', ['job_id'], unique=False)
    op.create_index(op.f('ix_monetization_usage_records_tenant'), 'monetization_usage_records', ['tenant'], unique=False)


def downgrade() -> None:
    for table in (
        "monetization_usage_records",
        "monetization_subscriptions",
        "monetization_publish_jobs",
        "monetization_billing_accounts",
    ):
        op.drop_table(table)
