from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from apim_devportal.base import Base


class WorkflowRequest(Base):
    __tablename__ = "workflow_requests"

    reference_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    workflow_type: Mapped[str] = mapped_column(String(50))
    tenant: Mapped[str] = mapped_column(String(255))
    # The application or subscription waiting for the decision.
    target_id: Mapped[str] = mapped_column(String(36), index=True)
    # CREATED until decided, then APPROVED or REJECTED.
    status: Mapped[str] = mapped_column(String(20), default="CREATED")
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
