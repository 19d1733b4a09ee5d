from datetime import datetime

from sqlalchemy import JSON, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from apim_admin.common import now
from apim_admin.models import Base


class ScopeMapping(Base):
    """A tenant's scope -> roles mapping and role aliases, once it departs from the defaults."""

    __tablename__ = "scope_mappings"

    tenant: Mapped[str] = mapped_column(String(255), primary_key=True)
    scopes: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    role_aliases: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, onupdate=now)
