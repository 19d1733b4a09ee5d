"""The tiers a tenant's admin defined, as the throttle-policy events told them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from apim_devportal.base import Base


class TierView(Base):
    __tablename__ = "tiers"
    __table_args__ = (UniqueConstraint("tenant", "level", "name"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(255))
    # "application" or "subscription".
    level: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(255))
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    # A deleted default tier is remembered so that the built-in one does not come back.
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
