"""OAuth clients: DCR clients, devportal applications' keys and the internal services client."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from apim_key_manager.base import Base


class OAuthClient(Base):
    __tablename__ = "oauth_clients"
    __table_args__ = (UniqueConstraint("tenant", "owner", "client_name"),)

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(255))
    # The owning user, without the tenant domain.
    owner: Mapped[str] = mapped_column(String(255))
    client_name: Mapped[str] = mapped_column(String(255))
    # HMAC-SHA256 of the secret under a key from APIM_SECRET_KEY: checked on every token request.
    secret_hash: Mapped[str] = mapped_column(String(64))
    # The secret itself, encrypted: WSO2 shows it again (repeated DCR, devportal key listing).
    secret_encrypted: Mapped[str] = mapped_column(Text)
    grant_types: Mapped[list[str]] = mapped_column(JSON)
    callback_url: Mapped[str] = mapped_column(String(2048), default="")
    saas: Mapped[bool] = mapped_column(Boolean, default=False)
    token_type: Mapped[str] = mapped_column(String(20), default="JWT")
    application_uuid: Mapped[str] = mapped_column(String(36))
    # "dcr", "application" (devportal keys) or "internal" (service-to-service).
    kind: Mapped[str] = mapped_column(String(20), default="dcr")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
