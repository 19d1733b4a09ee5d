from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from apim_devportal.base import Base


class CatalogApi(Base):
    """One API or API product as the publisher last announced it."""

    __tablename__ = "catalog_apis"
    __table_args__ = (Index("ix_catalog_apis_tenant_status", "tenant", "lifecycle_status"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(255))
    # "API" or "APIProduct".
    kind: Mapped[str] = mapped_column(String(20), default="API")
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(100))
    context: Mapped[str] = mapped_column(String(500))
    provider: Mapped[str] = mapped_column(String(255), default="")
    lifecycle_status: Mapped[str] = mapped_column(String(20))
    visibility: Mapped[str] = mapped_column(String(20), default="PUBLIC")
    visible_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The API's categories, beside ``data`` so the catalog list needs no ``data`` to show them.
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    policies: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The API as the publisher shows it (WSO2 field names).
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Environments it is deployed to: [{environment, vhost, revisionId}].
    deployments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CatalogVersion(Base):
    """A tenant's catalog version, raised in the transaction of every change to its APIs' rows.

    A replica keeps the tenant's listed rows and search index in memory under it, and checks it
    with one small read per request: a counter every writer raises under the row's lock, where
    a stamp of update times would depend on the replicas' clocks."""

    __tablename__ = "catalog_versions"

    tenant: Mapped[str] = mapped_column(String(255), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class ApiCategory(Base):
    __tablename__ = "api_categories"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")


class CatalogDocument(Base):
    """One document of an API as the publisher last announced it (``document.*`` events)."""

    __tablename__ = "catalog_documents"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    api_id: Mapped[str] = mapped_column(String(64), index=True)
    tenant: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    # The Document as the publisher shows it, with ``inlineContent`` for INLINE and MARKDOWN ones.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
