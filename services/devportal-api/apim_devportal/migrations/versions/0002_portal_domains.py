"""The portal's domains: catalog read model, tiers, key managers, tenants, applications,
subscriptions, key mappings, API keys, ratings, comments and workflow requests.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_categories',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('tenant', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_categories'))
    )
    op.create_table('applications',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant', sa.String(length=255), nullable=False),
    sa.Column('owner', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('throttling_policy', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('token_type', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('groups', sa.JSON(), nullable=False),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_applications')),
    sa.UniqueConstraint('tenant', 'owner', 'name', name=op.f('uq_applications_tenant'))
    )
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_applications_owner'), ['owner'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_tenant'), ['tenant'], unique=False)

    op.create_table('catalog_apis',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('tenant', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('version', sa.String(length=100), nullable=False),
    sa.Column('context', sa.String(length=500), nullable=False),
    sa.Column('provider', sa.String(length=255), nullable=False),
    sa.Column('lifecycle_status', sa.String(length=20), nullable=False),
    sa.Column('visibility', sa.String(length=20), nullable=False),
    sa.Column('visible_roles', sa.JSON(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('policies', sa.JSON(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('deployments', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_apis'))
    )
    with op.batch_alter_table('catalog_apis', schema=None) as batch_op:
        batch_op.create_index('ix_catalog_apis_tenant_status', ['tenant', 'lifecycle_status'], unique=False)

    op.create_table('comments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('api_id', sa.String(length=64), nullable=False),
    sa.Column('tenant', sa.String(length=255), nullable=False),
    sa.Column('parent_id', sa.String(length=36), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=50), nullable=False),
    sa.Column('entry_point', sa.String(length=20), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['comments.id'], name=op.f('fk_comments_parent_id_comments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comments'))
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comments_api_id'), ['api_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comments_parent_id'), ['parent_id'], unique=False)

    op.create_table('key_managers',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('tenant', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('is_global', sa.Boolean(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_managers')),
    sa.UniqueConstraint('tenant', 'name', name=op.f('uq_key_managers_tenant'))
    )
    op.create_table('ratings',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('api_id', sa.String(length=64), nullable=False),
    sa.Column('tenant', sa.String(length=255), nullable=False),
    sa.Column('rated_by', sa.String(length=255), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ratings')),
    sa.UniqueConstraint('api_id', 'tenant', 'rated_by', name=op.f('uq_ratings_api_id'))
    )
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ratings_api_id'), ['api_id'], unique=False)

    op.create_table('tenants',
    sa.Column('domain', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('domain', name=op.f('pk_tenants'))
    )
    op.create_table('tiers',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('tenant', sa.String(length=255), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('policy', sa.JSON(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tiers')),
    sa.UniqueConstraint('tenant', 'level', 'name', name=op.f('uq_tiers_tenant'))
    )
    op.create_table('workflow_requests',
    sa.Column('reference_id', sa.String(length=36), nullable=False),
    sa.Column('workflow_type', sa.String(length=50), nullable=False),
    sa.Column('tenant', sa.String(length=255), nullable=False),
    sa.Column('target_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('reference_id', name=op.f('pk_workflow_requests'))
    )
    with op.batch_alter_table('workflow_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workflow_requests_target_id'), ['target_id'], unique=False)

    op.create_table('api_keys',
    sa.Column('jti', sa.String(length=64), nullable=False),
    sa.Column('application_id', sa.String(length=36), nullable=False),
    sa.Column('key_type', sa.String(length=20), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_api_keys_application_id_applications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('jti', name=op.f('pk_api_keys'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_application_id'), ['application_id'], unique=False)

    op.create_table('key_mappings',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('application_id', sa.String(length=36), nullable=False),
    sa.Column('tenant', sa.String(length=255), nullable=False),
    sa.Column('key_type', sa.String(length=20), nullable=False),
    sa.Column('key_manager', sa.String(length=255), nullable=False),
    sa.Column('consumer_key', sa.String(length=255), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('key_state', sa.String(length=20), nullable=False),
    sa.Column('grant_types', sa.JSON(), nullable=False),
    sa.Column('callback_url', sa.String(length=2048), nullable=False),
    sa.Column('additional_properties', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_key_mappings_application_id_applications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_mappings')),
    sa.UniqueConstraint('application_id', 'key_type', 'key_manager', name=op.f('uq_key_mappings_application_id'))
    )
    with op.batch_alter_table('key_mappings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_key_mappings_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_key_mappings_consumer_key'), ['consumer_key'], unique=False)

    op.create_table('subscriptions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant', sa.String(length=255), nullable=False),
    sa.Column('application_id', sa.String(length=36), nullable=False),
    sa.Column('api_id', sa.String(length=64), nullable=False),
    sa.Column('throttling_policy', sa.String(length=255), nullable=False),
    sa.Column('requested_throttling_policy', sa.String(length=255), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_subscriptions_application_id_applications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions')),
    sa.UniqueConstraint('application_id', 'api_id', name=op.f('uq_subscriptions_application_id'))
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscriptions_api_id'), ['api_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscriptions_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscriptions_tenant'), ['tenant'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscriptions_tenant'))
        batch_op.drop_index(batch_op.f('ix_subscriptions_application_id'))
        batch_op.drop_index(batch_op.f('ix_subscriptions_api_id'))

    op.drop_table('subscriptions')
    with op.batch_alter_table('key_mappings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_key_mappings_consumer_key'))
        batch_op.drop_index(batch_op.f('ix_key_mappings_application_id'))

    op.drop_table('key_mappings')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_keys_application_id'))

    op.drop_table('api_keys')
    with op.batch_alter_table('workflow_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workflow_requests_target_id'))

    op.drop_table('workflow_requests')
    op.drop_table('tiers')
    op.drop_table('tenants')
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ratings_api_id'))

    op.drop_table('ratings')
    op.drop_table('key_managers')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comments_parent_id'))
        batch_op.drop_index(batch_op.f('ix_comments_api_id'))

    op.drop_table('comments')
    with op.batch_alter_table('catalog_apis', schema=None) as batch_op:
        batch_op.drop_index('ix_catalog_apis_tenant_status')

    op.drop_table('catalog_apis')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_applications_tenant'))
        batch_op.drop_index(batch_op.f('ix_applications_owner'))

    op.drop_table('applications')
    op.drop_table('api_categories')
