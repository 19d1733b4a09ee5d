from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select, update

from apim_admin.monetization.models import (
    COMPLETED,
    FAILED,
    RUNNING,
    BilledSubscription,
    BillingAccount,
    PublishJob,
    UsageRecord,
)
from apim_common.repository import Repository


class BilledSubscriptionRepository(Repository[BilledSubscription]):
    model = BilledSubscription

    async def of_tenant(self, tenant: str) -> Sequence[BilledSubscription]:
        return await self.all(
            select(BilledSubscription)
            .where(BilledSubscription.tenant == tenant)
            .order_by(BilledSubscription.id)
        )


class PublishJobRepository(Repository[PublishJob]):
    model = PublishJob

    async def latest(self, tenant: str) -> PublishJob | None:
        return await self.one_or_none(
            select(PublishJob)
            .where(PublishJob.tenant == tenant)
            .order_by(PublishJob.started_at.desc(), PublishJob.id)
            .limit(1)
        )

    async def running(self, tenant: str) -> PublishJob | None:
        return await self.one_or_none(select(PublishJob).where(PublishJob.running_tenant == tenant))

    async def last_completed(self, tenant: str) -> PublishJob | None:
        return await self.one_or_none(
            select(PublishJob)
            .where(PublishJob.tenant == tenant, PublishJob.state == COMPLETED)
            .order_by(PublishJob.period_end.desc())
            .limit(1)
        )

    async def of_tenant(self, tenant: str) -> Sequence[PublishJob]:
        return await self.all(
            select(PublishJob).where(PublishJob.tenant == tenant).order_by(PublishJob.started_at.desc())
        )

    async def fail_running(self, message: str, at: datetime, *, started_before: datetime) -> int:
        """End the jobs still marked running that started before ``started_before`` (left by a
        process that stopped mid-way); how many."""
        result = await self.session.execute(
            update(PublishJob)
            .where(PublishJob.state == RUNNING, PublishJob.started_at < started_before)
            .values(state=FAILED, message=message, finished_at=at, running_tenant=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)


class UsageRecordRepository(Repository[UsageRecord]):
    model = UsageRecord

    async def add_all(self, rows: Iterable[UsageRecord]) -> None:
        self.session.add_all(list(rows))
        await self.session.flush()

    async def of_job(self, tenant: str, job_id: str) -> Sequence[UsageRecord]:
        return await self.all(
            select(UsageRecord)
            .where(UsageRecord.tenant == tenant, UsageRecord.job_id == job_id)
            .order_by(UsageRecord.api_name, UsageRecord.application_name, UsageRecord.subscription_id)
        )

    async def latest_of_subscription(
        self, tenant: str, subscription_id: str, completed_jobs: Sequence[str]
    ) -> UsageRecord | None:
        return await self.one_or_none(
            select(UsageRecord)
            .where(
                UsageRecord.tenant == tenant,
                UsageRecord.subscription_id == subscription_id,
                UsageRecord.job_id.in_(list(completed_jobs)),
            )
            .order_by(UsageRecord.period_end.desc(), UsageRecord.created_at.desc())
            .limit(1)
        )

    async def of_api(self, tenant: str, api_id: str, completed_jobs: Sequence[str]) -> Sequence[UsageRecord]:
        return await self.all(
            select(UsageRecord).where(
                UsageRecord.tenant == tenant,
                UsageRecord.api_id == api_id,
                UsageRecord.job_id.in_(list(completed_jobs)),
            )
        )


class BillingAccountRepository(Repository[BillingAccount]):
    model = BillingAccount

    async def of_application(self, provider: str, application_id: str) -> BillingAccount | None:
        return await self.one_or_none(
            select(BillingAccount).where(
                BillingAccount.provider == provider, BillingAccount.application_id == application_id
            )
        )
