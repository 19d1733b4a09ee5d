"""Operation policies added by users: common ones (``api_id`` unset) and API-specific ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from apim_publisher.base import Base


class StoredPolicy(Base):
    __tablename__ = "operation_policies"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100), index=True)
    api_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("apis.id", ondelete="CASCADE"), nullable=True, index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(20))
    # The spec in WSO2's format (apim_common.policy_specs.PolicySpec).
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The gateway definition files as uploaded: {file name: text}.
    definitions: Mapped[dict[str, str]] = mapped_column(JSON)
    md5: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
