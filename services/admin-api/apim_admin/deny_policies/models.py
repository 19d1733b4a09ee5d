from typing import Any

from sqlalchemy import JSON, Boolean, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from apim_admin.common import TenantOwned, new_id
from apim_admin.models import Base


class DenyPolicy(TenantOwned, Base):
    __tablename__ = "deny_policies"
    __table_args__ = (UniqueConstraint("tenant", "condition_type", "value_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    condition_type: Mapped[str] = mapped_column(String(20))
    condition_value: Mapped[Any] = mapped_column(JSON)
    # The value in one canonical string, so the same condition cannot be added twice.
    value_key: Mapped[str] = mapped_column(String(512))
    status: Mapped[bool] = mapped_column(Boolean, default=True)
