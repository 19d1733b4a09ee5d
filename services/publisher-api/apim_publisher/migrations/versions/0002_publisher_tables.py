"""APIs, revisions, deployments, lifecycle history, documents, environments and workflows.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "apis",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("version", sa.String(50), nullable=False),
        sa.Column("context", sa.String(200), nullable=False),
        sa.Column("provider", sa.String(200), nullable=False),
        sa.Column("lifecycle_status", sa.String(20), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("is_default_version", sa.Boolean(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=True),
        sa.Column("thumbnail", sa.LargeBinary(), nullable=True),
        sa.Column("thumbnail_media_type", sa.String(100), nullable=True),
        sa.Column("workflow_status", sa.String(20), nullable=True),
        sa.Column("revision_counter", sa.Integer(), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apis")),
        sa.UniqueConstraint("tenant", "context", "version", name="uq_apis_tenant_context_version"),
        sa.UniqueConstraint("tenant", "name", "version", name="uq_apis_tenant_name_version"),
    )
    op.create_index("ix_apis_tenant", "apis", ["tenant"])
    op.create_table(
        "revisions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("api_id", sa.String(36), nullable=False),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(255), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revisions")),
        sa.ForeignKeyConstraint(
            ["api_id"], ["apis.id"], name="fk_revisions_api_id_apis", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("api_id", "number", name="uq_revisions_api_id_number"),
    )
    op.create_index("ix_revisions_api_id", "revisions", ["api_id"])
    op.create_table(
        "deployments",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("api_id", sa.String(36), nullable=False),
        sa.Column("revision_id", sa.String(36), nullable=False),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("environment", sa.String(100), nullable=False),
        sa.Column("vhost", sa.String(255), nullable=False),
        sa.Column("display_on_devportal", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("workflow_reference", sa.String(36), nullable=True),
        sa.Column("deployed_at", _TS, nullable=False),
        sa.Column("success_deployed_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployments")),
        sa.ForeignKeyConstraint(
            ["api_id"], ["apis.id"], name="fk_deployments_api_id_apis", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"], ["revisions.id"], name="fk_deployments_revision_id_revisions", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_deployments_api_id", "deployments", ["api_id"])
    op.create_index("ix_deployments_revision_id", "deployments", ["revision_id"])
    op.create_index("ix_deployments_environment", "deployments", ["environment"])
    op.create_table(
        "lifecycle_history",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("api_id", sa.String(36), nullable=False),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("previous_state", sa.String(20), nullable=True),
        sa.Column("post_state", sa.String(20), nullable=False),
        sa.Column("username", sa.String(200), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_history")),
        sa.ForeignKeyConstraint(
            ["api_id"], ["apis.id"], name="fk_lifecycle_history_api_id_apis", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_lifecycle_history_api_id", "lifecycle_history", ["api_id"])
    op.create_table(
        "documents",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("api_id", sa.String(36), nullable=False),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(30), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("source_type", sa.String(20), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("other_type_name", sa.String(200), nullable=True),
        sa.Column("visibility", sa.String(20), nullable=False),
        sa.Column("inline_content", sa.Text(), nullable=True),
        sa.Column("file_name", sa.String(255), nullable=True),
        sa.Column("file_content", sa.LargeBinary(), nullable=True),
        sa.Column("file_media_type", sa.String(100), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.ForeignKeyConstraint(
            ["api_id"], ["apis.id"], name="fk_documents_api_id_apis", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("api_id", "name", name="uq_documents_api_id_name"),
    )
    op.create_index("ix_documents_api_id", "documents", ["api_id"])
    environments = op.create_table(
        "environments",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("display_name", sa.String(255), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("description", sa.String(1024), nullable=True),
        sa.Column("provider", sa.String(50), nullable=False),
        sa.Column("vhosts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_environments")),
        sa.UniqueConstraint("tenant", "name", name="uq_environments_tenant_name"),
    )
    # WSO2's built-in gateway environment, known before admin-api says anything.
    op.bulk_insert(
        environments,
        [
            {
                "id": "00000000-0000-0000-0000-000000000001",
                "tenant": "",
                "name": "Default",
                "display_name": "Default",
                "type": "hybrid",
                "description": "The built-in gateway environment",
                "provider": "wso2",
                "vhosts": [
                    {
                        "host": "localhost",
                        "httpContext": "",
                        "httpPort": 8280,
                        "httpsPort": 8243,
                        "wsPort": 9099,
                        "wssPort": 8099,
                    }
                ],
            }
        ],
    )
    op.create_table(
        "tenant_workflows",
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("enabled", sa.JSON(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("tenant", name=op.f("pk_tenant_workflows")),
    )
    op.create_table(
        "workflow_requests",
        sa.Column("reference", sa.String(36), nullable=False),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("workflow_type", sa.String(50), nullable=False),
        sa.Column("api_id", sa.String(36), nullable=False),
        sa.Column("deployment_id", sa.String(36), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("reference", name=op.f("pk_workflow_requests")),
        sa.ForeignKeyConstraint(
            ["api_id"], ["apis.id"], name="fk_workflow_requests_api_id_apis", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_workflow_requests_api_id", "workflow_requests", ["api_id"])


def downgrade() -> None:
    op.drop_table("workflow_requests")
    op.drop_table("tenant_workflows")
    op.drop_table("environments")
    op.drop_table("documents")
    op.drop_table("lifecycle_history")
    op.drop_table("deployments")
    op.drop_table("revisions")
    op.drop_table("apis")
