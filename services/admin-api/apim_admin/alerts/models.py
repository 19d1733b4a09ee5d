from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from apim_admin.common import TenantOwned, new_id
from apim_admin.models import Base


class AlertSubscription(TenantOwned, Base):
    __tablename__ = "alert_subscriptions"
    __table_args__ = (UniqueConstraint("tenant", "username"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(255))
    alerts: Mapped[list[str]] = mapped_column(JSON)
    emails: Mapped[list[str]] = mapped_column(JSON)


class BotDetectionSubscription(TenantOwned, Base):
    __tablename__ = "bot_detection_subscriptions"
    __table_args__ = (UniqueConstraint("tenant", "email"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(255))
