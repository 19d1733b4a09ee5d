"""A service of the tenant's service catalog: a backend, where it answers and its definition."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from apim_publisher.base import Base


class CatalogService(Base):
    __tablename__ = "catalog_services"
    __table_args__ = (
        UniqueConstraint("tenant", "service_key", name="uq_catalog_services_tenant_key"),
        UniqueConstraint("tenant", "name", "version", name="uq_catalog_services_tenant_name_version"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100), index=True)
    service_key: Mapped[str] = mapped_column(String(512))
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(50))
    display_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    description: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    service_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    definition_type: Mapped[str] = mapped_column(String(20))
    security_type: Mapped[str] = mapped_column(String(20))
    mutual_ssl_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    definition: Mapped[bytes] = mapped_column(LargeBinary)
    # Of ``definition``: an API made from the service remembers it and is outdated once it differs.
    md5: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(200))
