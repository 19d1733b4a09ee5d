"""The service catalog: a tenant's backend services and their definitions.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_services",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("service_key", sa.String(512), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("version", sa.String(50), nullable=False),
        sa.Column("display_name", sa.String(255), nullable=True),
        sa.Column("description", sa.String(1024), nullable=True),
        sa.Column("service_url", sa.String(2048), nullable=True),
        sa.Column("definition_type", sa.String(20), nullable=False),
        sa.Column("security_type", sa.String(20), nullable=False),
        sa.Column("mutual_ssl_enabled", sa.Boolean(), nullable=False),
        sa.Column("definition", sa.LargeBinary(), nullable=False),
        sa.Column("md5", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_services")),
        sa.UniqueConstraint("tenant", "service_key", name="uq_catalog_services_tenant_key"),
        sa.UniqueConstraint("tenant", "name", "version", name="uq_catalog_services_tenant_name_version"),
    )
    op.create_index(op.f("ix_catalog_services_tenant"), "catalog_services", ["tenant"])


def downgrade() -> None:
    op.drop_index(op.f("ix_catalog_services_tenant"), table_name="catalog_services")
    op.drop_table("catalog_services")
