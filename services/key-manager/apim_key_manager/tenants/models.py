"""Tenants known to the key manager; carbon.super always exists and is not stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from apim_key_manager.base import Base

ACTIVE = "ACTIVE"
# Its users get no tokens and its tokens are refused everywhere (apim_common.revocations).
INACTIVE = "INACTIVE"


class Tenant(Base):
    __tablename__ = "tenants"

    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default=ACTIVE)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
