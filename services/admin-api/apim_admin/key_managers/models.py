from typing import Any

from sqlalchemy import JSON, Boolean, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from apim_admin.common import TenantOwned, new_id
from apim_admin.models import Base


class KeyManager(TenantOwned, Base):
    """A global key manager belongs to the super tenant and is seen by every tenant."""

    __tablename__ = "key_managers"
    __table_args__ = (UniqueConstraint("tenant", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    is_global: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
