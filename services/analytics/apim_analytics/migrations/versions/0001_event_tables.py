"""Outbox and processed-event tables.

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

from apim_common.migrations import create_event_tables, drop_event_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_event_tables()


def downgrade() -> None:
    drop_event_tables()
