"""Gateway (global) policy mappings and the gateway labels each one is deployed to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from apim_publisher.base import Base


class GatewayPolicyMapping(Base):
    __tablename__ = "gateway_policy_mappings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100), index=True)
    display_name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    # {request: [...], response: [...], fault: [...]} as attached, in order.
    policy_mapping: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GatewayPolicyDeployment(Base):
    __tablename__ = "gateway_policy_deployments"
    # A gateway label runs at most one mapping of a tenant at a time, as in WSO2.
    __table_args__ = (
        UniqueConstraint("tenant", "gateway_label", name="uq_gateway_policy_deployments_label"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    mapping_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("gateway_policy_mappings.id", ondelete="CASCADE"), index=True
    )
    tenant: Mapped[str] = mapped_column(String(100))
    gateway_label: Mapped[str] = mapped_column(String(100), index=True)
    deployed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
