from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from apim_admin.common import TenantOwned, new_id
from apim_admin.models import Base


class ThrottlePolicy(TenantOwned, Base):
    """One policy; ``body`` is the policy as the REST API shows it."""

    __tablename__ = "throttle_policies"
    __table_args__ = (UniqueConstraint("tenant", "policy_type", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    policy_type: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(255))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
