"""Each service owns an alembic environment and version table; schemas come from migrations.

A service's ``migrations/env.py`` is two lines::

    from apim_common.migrations import run_env
    from apim_x.models import metadata
    run_env(metadata)

``upgrade(engine, ...)`` runs them on an async engine from inside a running event loop
(the standalone runner and tests); ``python -m apim_common.migrations PACKAGE URL`` runs them
from a shell (the distributed runner and the Helm migration job).
"""

from __future__ import annotations

import asyncio
import sys
from importlib.resources import files

import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from apim_common.db import create_engine


def create_event_tables() -> None:
    """Every service's first migration: the outbox and processed-event tables of apim_common.events."""
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "outbox",
        sa.Column("id", big_id, primary_key=True, autoincrement=True),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
    )
    op.create_index("ix_outbox_unpublished", "outbox", ["published_at", "id"])
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(100), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_processed_events")),
    )


def drop_event_tables() -> None:
    op.drop_table("processed_events")
    op.drop_index("ix_outbox_unpublished", table_name="outbox")
    op.drop_table("outbox")


def version_table_for(package: str) -> str:
    return f"alembic_version_{package.removeprefix('apim_')}"


def alembic_config(package: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files(package) / "migrations"))
    config.attributes["version_table"] = version_table_for(package)
    return config


def run_env(target_metadata: MetaData) -> None:
    """Body of every service's ``env.py``: migrate the connection handed over by ``upgrade``."""
    config = context.config
    connection: Connection | None = config.attributes.get("connection")
    version_table = config.attributes.get("version_table", "alembic_version")
    if connection is None:  # pragma: no cover - only when someone runs the alembic CLI directly
        raise RuntimeError(
            "run migrations with apim_common.migrations.upgrade or python -m apim_common.migrations"
        )
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=version_table,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _upgrade_sync(connection: Connection, package: str, revision: str) -> None:
    config = alembic_config(package)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(engine: AsyncEngine, package: str, revision: str = "head") -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade_sync, package, revision)


async def _upgrade_url(package: str, url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine, package)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m apim_common.migrations PACKAGE DATABASE_URL", file=sys.stderr)
        return 2
    asyncio.run(_upgrade_url(args[0], args[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
