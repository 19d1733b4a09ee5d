"""What other services announce and the Publisher lists: throttling tiers, key managers, tenants,
API categories and tenant configuration, each kept as the announcing service sent it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from apim_publisher.base import Base

# Rows every tenant sees (WSO2's default tiers and the resident key manager).
ALL_TENANTS = ""


class KnownResource(Base):
    __tablename__ = "known_resources"

    # tier:subscription, tier:api, key-manager, tenant, api-category, tenant-config
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
