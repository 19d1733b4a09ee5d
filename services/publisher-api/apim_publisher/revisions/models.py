"""Revisions (immutable snapshots of an API) and their deployments to gateway environments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from apim_publisher.base import Base


class Revision(Base):
    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("api_id", "number", name="uq_revisions_api_id_number"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    api_id: Mapped[str] = mapped_column(String(36), ForeignKey("apis.id", ondelete="CASCADE"), index=True)
    tenant: Mapped[str] = mapped_column(String(100))
    number: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # {"api": API DTO, "definition": OpenAPI document} as they were when the revision was made.
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Deployment(Base):
    __tablename__ = "deployments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    api_id: Mapped[str] = mapped_column(String(36), ForeignKey("apis.id", ondelete="CASCADE"), index=True)
    revision_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("revisions.id", ondelete="CASCADE"), index=True
    )
    tenant: Mapped[str] = mapped_column(String(100))
    environment: Mapped[str] = mapped_column(String(100), index=True)
    vhost: Mapped[str] = mapped_column(String(255))
    display_on_devportal: Mapped[bool] = mapped_column(Boolean, default=True)
    # CREATED (awaiting approval), APPROVED (in force on the gateways) or REJECTED.
    status: Mapped[str] = mapped_column(String(20))
    workflow_reference: Mapped[str | None] = mapped_column(String(36), nullable=True)
    deployed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    success_deployed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
