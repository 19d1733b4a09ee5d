"""Shared scopes, certificates, and the copy of tiers, key managers, tenants and categories.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from apim_publisher.catalog.service import SEED

    op.create_table(
        "shared_scopes",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("display_name", sa.String(255), nullable=True),
        sa.Column("description", sa.String(1024), nullable=True),
        sa.Column("bindings", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_scopes")),
        sa.UniqueConstraint("tenant", "name", name="uq_shared_scopes_tenant_name"),
    )
    op.create_index("ix_shared_scopes_tenant", "shared_scopes", ["tenant"])
    op.create_table(
        "certificates",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("alias", sa.String(100), nullable=False),
        sa.Column("api_id", sa.String(36), nullable=True),
        sa.Column("endpoint", sa.String(1024), nullable=True),
        sa.Column("tier", sa.String(100), nullable=True),
        sa.Column("pem", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.ForeignKeyConstraint(["api_id"], ["apis.id"], name="fk_certificates_api_id_apis", ondelete="CASCADE"),
        sa.UniqueConstraint("tenant", "kind", "alias", name="uq_certificates_tenant_kind_alias"),
    )
    op.create_index("ix_certificates_tenant", "certificates", ["tenant"])
    op.create_index("ix_certificates_api_id", "certificates", ["api_id"])
    known = op.create_table(
        "known_resources",
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "tenant", "key", name=op.f("pk_known_resources")),
    )
    # WSO2's default tiers and the resident key manager, known before admin-api says anything.
    op.bulk_insert(known, [{"kind": kind, "tenant": "", "key": data["name"], "data": data} for kind, data in SEED])


def downgrade() -> None:
    op.drop_table("known_resources")
    op.drop_table("certificates")
    op.drop_table("shared_scopes")
