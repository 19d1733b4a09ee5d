"""Rollups per minute, hour and day; the API and application dimensions; event ids by age.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# As apim_analytics.rollups.histogram.BOUNDS_MS when this revision was written.
HISTOGRAM_BUCKETS = 20
MEASURES = ["request_count", "error_count", "request_bytes", "response_bytes"] + [
    f"{name}_{index}" for name in ("total", "backend", "gateway") for index in range(HISTOGRAM_BUCKETS)
]
GRANULARITIES = ("minute", "hour", "day")


def upgrade() -> None:
    for granularity in GRANULARITIES:
        table = f"rollup_{granularity}"
        op.create_table(
            table,
            sa.Column("tenant", sa.String(100), nullable=False),
            sa.Column("bucket", sa.BigInteger(), nullable=False),
            sa.Column("api_id", sa.String(64), nullable=False),
            sa.Column("application_id", sa.String(64), nullable=False),
            sa.Column("resource", sa.String(300), nullable=False),
            sa.Column("status_code", sa.SmallInteger(), nullable=False),
            sa.Column("error_type", sa.String(64), nullable=False),
            *(sa.Column(name, sa.BigInteger(), nullable=False, server_default="0") for name in MEASURES),
            sa.PrimaryKeyConstraint(
                "tenant", "bucket", "api_id", "application_id", "resource", "status_code", "error_type",
                name=op.f(f"pk_{table}"),
            ),
        )
    op.create_table(
        "analytics_apis",
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("api_id", sa.String(64), nullable=False),
        sa.Column("api_name", sa.String(200), nullable=True),
        sa.Column("api_version", sa.String(200), nullable=True),
        sa.Column("api_context", sa.String(300), nullable=True),
        sa.Column("api_creator", sa.String(200), nullable=True),
        sa.Column("last_seen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "api_id", name=op.f("pk_analytics_apis")),
    )
    op.create_table(
        "analytics_applications",
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("application_id", sa.String(64), nullable=False),
        sa.Column("application_name", sa.String(200), nullable=True),
        sa.Column("application_owner", sa.String(200), nullable=True),
        sa.Column("last_seen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "application_id", name=op.f("pk_analytics_applications")),
    )
    op.create_index(
        "ix_analytics_applications_owner", "analytics_applications", ["tenant", "application_owner"]
    )
    op.create_index("ix_processed_events_processed_at", "processed_events", ["processed_at"])


def downgrade() -> None:
    op.drop_index("ix_processed_events_processed_at", table_name="processed_events")
    op.drop_index("ix_analytics_applications_owner", table_name="analytics_applications")
    op.drop_table("analytics_applications")
    op.drop_table("analytics_apis")
    for granularity in reversed(GRANULARITIES):
        op.drop_table(f"rollup_{granularity}")
