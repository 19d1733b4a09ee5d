"""Monetization tables: the subscriptions billed, the publish jobs, the usage records they made."""

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from apim_admin.common import TenantOwned, new_id
from apim_admin.models import Base

RUNNING = "RUNNING"
COMPLETED = "COMPLETED"
FAILED = "FAILED"


class BilledSubscription(TenantOwned, Base):
    """A subscription as the Developer Portal announced it: who calls which API under which tier."""

    __tablename__ = "monetization_subscriptions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    api_id: Mapped[str] = mapped_column(String(64), index=True)
    api_name: Mapped[str] = mapped_column(String(255), default="")
    api_version: Mapped[str] = mapped_column(String(64), default="")
    application_id: Mapped[str] = mapped_column(String(64))
    application_name: Mapped[str] = mapped_column(String(255), default="")
    subscriber: Mapped[str] = mapped_column(String(255), default="")
    tier: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32))


class PublishJob(TenantOwned, Base):
    """One run of the usage publisher over one billing period of one tenant.

    ``running_tenant`` is the tenant while the job runs and NULL after: the unique constraint lets
    only one job of a tenant run at a time, whichever replica took the request.
    """

    __tablename__ = "monetization_publish_jobs"
    __table_args__ = (UniqueConstraint("running_tenant"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    running_tenant: Mapped[str | None] = mapped_column(String(255), nullable=True)
    provider: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default=RUNNING)
    message: Mapped[str] = mapped_column(Text, default="")
    period_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    period_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class UsageRecord(TenantOwned, Base):
    """A subscription's calls in one billing period, priced by its tier (amount as a decimal string)."""

    __tablename__ = "monetization_usage_records"
    __table_args__ = (Index("ix_monetization_usage_records_api", "tenant", "api_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    job_id: Mapped[str] = mapped_column(String(36), index=True)
    subscription_id: Mapped[str] = mapped_column(String(64))
    api_id: Mapped[str] = mapped_column(String(64))
    api_name: Mapped[str] = mapped_column(String(255))
    api_version: Mapped[str] = mapped_column(String(64))
    application_id: Mapped[str] = mapped_column(String(64))
    application_name: Mapped[str] = mapped_column(String(255))
    subscriber: Mapped[str] = mapped_column(String(255))
    tier: Mapped[str] = mapped_column(String(255))
    plan: Mapped[str] = mapped_column(String(20))
    request_count: Mapped[int] = mapped_column(BigInteger)
    unit_price: Mapped[str] = mapped_column(String(32))
    amount: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    period_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    period_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # What the provider calls it (a Stripe meter event's identifier); empty for the report.
    reference: Mapped[str] = mapped_column(String(255), default="")


class BillingAccount(TenantOwned, Base):
    """The provider's customer for an application (a Stripe customer id), made once."""

    __tablename__ = "monetization_billing_accounts"
    __table_args__ = (UniqueConstraint("provider", "application_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    provider: Mapped[str] = mapped_column(String(20))
    application_id: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(255))
