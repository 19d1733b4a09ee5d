"""The catalog's documents (from ``document.*`` events) and the categories of each catalog API.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_documents",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("api_id", sa.String(length=64), nullable=False),
        sa.Column("tenant", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_documents")),
    )
    with op.batch_alter_table("catalog_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_documents_api_id"), ["api_id"], unique=False)
    with op.batch_alter_table("catalog_apis", schema=None) as batch_op:
        batch_op.add_column(sa.Column("categories", sa.JSON(), nullable=True))
    apis = sa.table("catalog_apis", sa.column("id", sa.String), sa.column("data", sa.JSON), sa.column("categories", sa.JSON))
    connection = op.get_bind()
    for ident, data in connection.execute(sa.select(apis.c.id, apis.c.data)).all():
        found = data.get("categories") if isinstance(data, dict) else None
        categories = [str(c) for c in found or []]
        connection.execute(apis.update().where(apis.c.id == ident).values(categories=categories))
    with op.batch_alter_table("catalog_apis", schema=None) as batch_op:
        batch_op.alter_column("categories", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("catalog_apis", schema=None) as batch_op:
        batch_op.drop_column("categories")
    with op.batch_alter_table("catalog_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_documents_api_id"))
    op.drop_table("catalog_documents")
