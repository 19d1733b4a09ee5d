"""Gateway environments, a local copy of admin-api's (plus the built-in ``Default``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from apim_publisher.base import Base

# Environments from the server's own configuration belong to every tenant.
ALL_TENANTS = ""


class Environment(Base):
    __tablename__ = "environments"
    __table_args__ = (UniqueConstraint("tenant", "name", name="uq_environments_tenant_name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    provider: Mapped[str] = mapped_column(String(50))
    vhosts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class PolicyImplementations(Base):
    """The policy implementations the gateways of one environment reported they have; the last
    report stands for the environment (its gateways run one image)."""

    __tablename__ = "environment_policy_implementations"

    environment: Mapped[str] = mapped_column(String(100), primary_key=True)
    implementations: Mapped[list[str]] = mapped_column(JSON)
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
