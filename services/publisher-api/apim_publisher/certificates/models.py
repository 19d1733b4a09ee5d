"""Certificates: clients' (mutual TLS to an API) and backends' (TLS from the gateway to an endpoint)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from apim_publisher.base import Base


class Certificate(Base):
    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("tenant", "kind", "alias", name="uq_certificates_tenant_kind_alias"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # client or endpoint
    alias: Mapped[str] = mapped_column(String(100))
    api_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("apis.id", ondelete="CASCADE"), nullable=True, index=True
    )
    endpoint: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    tier: Mapped[str | None] = mapped_column(String(100), nullable=True)
    pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
