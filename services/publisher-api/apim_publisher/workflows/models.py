"""Which approvals each tenant requires, and the approval requests still waiting for a decision."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from apim_publisher.base import Base


class TenantWorkflows(Base):
    __tablename__ = "tenant_workflows"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    # workflow type (AM_API_STATE, AM_REVISION_DEPLOYMENT, ...) -> approval required
    enabled: Mapped[dict[str, bool]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WorkflowRequest(Base):
    __tablename__ = "workflow_requests"

    reference: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100))
    workflow_type: Mapped[str] = mapped_column(String(50))
    api_id: Mapped[str] = mapped_column(String(36), ForeignKey("apis.id", ondelete="CASCADE"), index=True)
    # The deployment awaiting approval (AM_REVISION_DEPLOYMENT), if any.
    deployment_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    properties: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
