from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from apim_devportal.base import Base


class TenantView(Base):
    __tablename__ = "tenants"

    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="ACTIVE")
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
