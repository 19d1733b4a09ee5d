"""Every lifecycle state change of an API, for its history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from apim_publisher.base import Base

_ID = BigInteger().with_variant(Integer(), "sqlite")


class LifecycleEvent(Base):
    __tablename__ = "lifecycle_history"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    api_id: Mapped[str] = mapped_column(String(36), ForeignKey("apis.id", ondelete="CASCADE"), index=True)
    tenant: Mapped[str] = mapped_column(String(100))
    previous_state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    post_state: Mapped[str] = mapped_column(String(20))
    username: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
