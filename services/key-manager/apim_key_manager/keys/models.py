"""Signing keys: generated once, kept encrypted, published while tokens they signed may live."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from apim_key_manager.base import Base


class SigningKey(Base):
    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    # "access" signs access tokens; "api-key" signs API keys.
    purpose: Mapped[str] = mapped_column(String(20), index=True)
    algorithm: Mapped[str] = mapped_column(String(10))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    # PKCS#8 PEM, encrypted with a key derived from APIM_SECRET_KEY.
    private_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Set when a newer key took over; the key stays in the JWKS until publish_until (epoch seconds).
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    publish_until: Mapped[int | None] = mapped_column(BigInteger, default=None)


class TenantSigningAlgorithm(Base):
    """The algorithm of a tenant's access tokens, as its resident key manager in admin-api says;
    a tenant without a row gets RS256."""

    __tablename__ = "tenant_signing_algorithms"

    tenant: Mapped[str] = mapped_column(String(255), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(10))
