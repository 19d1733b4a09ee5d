"""Operation policies added by users, and gateway (global) policy mappings with their deployments.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "operation_policies",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("api_id", sa.String(36), nullable=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("version", sa.String(20), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("definitions", sa.JSON(), nullable=False),
        sa.Column("md5", sa.String(32), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operation_policies")),
        sa.ForeignKeyConstraint(
            ["api_id"], ["apis.id"], name="fk_operation_policies_api_id_apis", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_operation_policies_tenant", "operation_policies", ["tenant"])
    op.create_index("ix_operation_policies_api_id", "operation_policies", ["api_id"])
    op.create_table(
        "gateway_policy_mappings",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("display_name", sa.String(255), nullable=False),
        sa.Column("description", sa.String(1024), nullable=True),
        sa.Column("policy_mapping", sa.JSON(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_policy_mappings")),
    )
    op.create_index("ix_gateway_policy_mappings_tenant", "gateway_policy_mappings", ["tenant"])
    op.create_table(
        "gateway_policy_deployments",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("mapping_id", sa.String(36), nullable=False),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("gateway_label", sa.String(100), nullable=False),
        sa.Column("deployed_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_policy_deployments")),
        sa.ForeignKeyConstraint(
            ["mapping_id"],
            ["gateway_policy_mappings.id"],
            name="fk_gateway_policy_deployments_mapping_id",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("tenant", "gateway_label", name="uq_gateway_policy_deployments_label"),
    )
    op.create_index("ix_gateway_policy_deployments_mapping_id", "gateway_policy_deployments", ["mapping_id"])
    op.create_index(
        "ix_gateway_policy_deployments_gateway_label", "gateway_policy_deployments", ["gateway_label"]
    )


def downgrade() -> None:
    op.drop_table("gateway_policy_deployments")
    op.drop_table("gateway_policy_mappings")
    op.drop_table("operation_policies")
