from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from apim_devportal.base import Base


class WebhookSubscription(Base):
    """A WebSub subscriber of an application, as the gateway's hub reports it."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(255))
    api_id: Mapped[str] = mapped_column(String(64), index=True)
    application_id: Mapped[str] = mapped_column(String(64), index=True)
    topic: Mapped[str] = mapped_column(String(512))
    callback_url: Mapped[str] = mapped_column(String(2048))
    subscribed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lease_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # WSO2's deliveryStatus: 0 nothing delivered yet, 1 the last delivery succeeded, 2 it failed.
    delivery_status: Mapped[int] = mapped_column(Integer, default=0)
    # The subscriber's hub.secret as the gateways sealed it: kept for their snapshot, never shown.
    secret: Mapped[str | None] = mapped_column(Text, nullable=True)
