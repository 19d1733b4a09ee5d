"""What the Publisher's API list filters on, in columns of their own: description, tags,
categories and the roles an API is restricted to, copied from ``spec`` whenever it is written, so a
list of thousands of APIs is decided without reading any API's whole body.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = ("listed_description", "listed_tags", "listed_categories", "access_roles")


def _lines(values: object) -> str:
    return "\n".join(str(v) for v in values or ()) if isinstance(values, list) else ""


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("apis", sa.Column(name, sa.Text(), nullable=True))
    # Existing rows: the same copy the model makes on every write (apis/models.py).
    connection = op.get_bind()
    apis = sa.table(
        "apis",
        sa.column("id", sa.String),
        sa.column("spec", sa.JSON),
        *(sa.column(c, sa.Text) for c in COLUMNS),
    )
    for api_id, spec in connection.execute(sa.select(apis.c.id, apis.c.spec)).all():
        spec = json.loads(spec) if isinstance(spec, str) else (spec or {})
        restricted = str(spec.get("accessControl") or "NONE").upper() == "RESTRICTED"
        connection.execute(
            apis.update()
            .where(apis.c.id == api_id)
            .values(
                listed_description=str(spec.get("description") or ""),
                listed_tags=_lines(spec.get("tags")),
                listed_categories=_lines(spec.get("categories")),
                access_roles=_lines([str(r).strip().lower() for r in spec.get("accessControlRoles") or ()])
                if restricted
                else None,
            )
        )


def downgrade() -> None:
    for name in COLUMNS:
        op.drop_column("apis", name)
