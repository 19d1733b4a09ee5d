from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from apim_devportal.base import Base


class KeyMapping(Base):
    """An OAuth client of the key manager that holds one application's keys of one key type."""

    __tablename__ = "key_mappings"
    __table_args__ = (UniqueConstraint("application_id", "key_type", "key_manager"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    tenant: Mapped[str] = mapped_column(String(255))
    key_type: Mapped[str] = mapped_column(String(20))
    key_manager: Mapped[str] = mapped_column(String(255))
    consumer_key: Mapped[str] = mapped_column(String(255), index=True)
    # CREATED (generated here) or MAPPED (an existing client brought in).
    mode: Mapped[str] = mapped_column(String(10), default="CREATED")
    key_state: Mapped[str] = mapped_column(String(20), default="COMPLETED")
    grant_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    callback_url: Mapped[str] = mapped_column(String(2048), default="")
    additional_properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiKeyRecord(Base):
    """An issued API key (a signed JWT): its id, so that it can be revoked before it expires."""

    __tablename__ = "api_keys"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    application_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    key_type: Mapped[str] = mapped_column(String(20))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
