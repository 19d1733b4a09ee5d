"""Shared scopes: defined once per tenant, used by any number of APIs."""

from __future__ import annotations

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from apim_publisher.base import Base


class SharedScope(Base):
    __tablename__ = "shared_scopes"
    __table_args__ = (UniqueConstraint("tenant", "name", name="uq_shared_scopes_tenant_name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    description: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    bindings: Mapped[list[str]] = mapped_column(JSON)
