"""Monetization: the subscriptions billed (from the Developer Portal's events), a publish job per
tenant and billing period, the usage lines it prices, and the report and revenue read from them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from apim_admin.monetization.models import COMPLETED, FAILED, BilledSubscription, PublishJob, UsageRecord
from apim_admin.monetization.pricing import amount, tier_price
from apim_admin.monetization.providers import BillingPeriod, UsageLine
from apim_admin.monetization.repository import (
    BilledSubscriptionRepository,
    PublishJobRepository,
    UsageRecordRepository,
)
from apim_admin.throttling.repository import ThrottlePolicyRepository
from apim_common.errors import BadRequest, Conflict, NotFound
from apim_common.events.envelope import CloudEvent

# Subscriptions that are not (or no longer) allowed to call: a fixed price is not charged for them.
NOT_ACTIVE = frozenset({"DELETED", "REJECTED", "ON_HOLD", "BLOCKED"})
# The longest period one job publishes: the analytics service keeps hourly rollups 400 days.
MAX_PERIOD = timedelta(days=400)
ALREADY_RUNNING = "A usage publish job of this tenant is already running"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


async def apply_event(session: AsyncSession, event: CloudEvent) -> None:
    """A ``subscription.*`` event: keep who calls which API under which tier."""
    if not event.type.startswith("subscription."):
        return
    data = event.data
    sub_id = _text(data.get("subscriptionId") or event.subject)
    subscriptions = BilledSubscriptionRepository(session)
    known = await subscriptions.get(sub_id)
    if known is None:
        if event.type == "subscription.deleted":
            return
        known = BilledSubscription(id=sub_id, tenant=event.tenant)
        session.add(known)
    if event.type == "subscription.deleted":
        known.status = "DELETED"
        await session.flush()
        return
    api = data.get("apiInfo") or {}
    app = data.get("applicationInfo") or {}
    known.api_id = _text(data.get("apiId"))
    known.api_name = _text(api.get("name"))
    known.api_version = _text(api.get("version"))
    known.application_id = _text(data.get("applicationId"))
    known.application_name = _text(app.get("name"))
    known.subscriber = _text(app.get("owner") or app.get("subscriber"))
    known.tier = _text(data.get("throttlingPolicy"))
    known.status = _text(data.get("status") or "UNBLOCKED")
    await session.flush()


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def billing_period(
    session: AsyncSession, tenant: str, start: datetime | None, end: datetime | None, now: datetime
) -> BillingPeriod:
    """The period asked for; by default from where the last completed publish ended (else the
    start of this month, UTC) until now."""
    end = _utc(end) if end is not None else now
    if start is None:
        last = await PublishJobRepository(session).last_completed(tenant)
        start = _utc(last.period_end) if last is not None else datetime(now.year, now.month, 1, tzinfo=UTC)
    start = _utc(start)
    if start >= end:
        raise BadRequest(
            "from must be before to (the billing period is [from, to))", message="Invalid period"
        )
    if end > now:
        raise BadRequest("to may not be in the future: usage is published once it happened")
    if end - start > MAX_PERIOD:
        raise BadRequest(
            f"a billing period spans at most {MAX_PERIOD.days} days (the analytics service's hourly rollups)",
            message="Invalid period",
        )
    return BillingPeriod(start=start, end=end)


async def claim(
    session: AsyncSession, tenant: str, provider: str, period: BillingPeriod, now: datetime
) -> PublishJob:
    """A new running job of ``tenant``; 409 while another one runs."""
    jobs = PublishJobRepository(session)
    if await jobs.running(tenant) is not None:
        raise Conflict(ALREADY_RUNNING, message="Usage publish job already running")
    job = PublishJob(
        tenant=tenant,
        running_tenant=tenant,
        provider=provider,
        period_start=period.start,
        period_end=period.end,
        started_at=now,
    )
    try:
        async with session.begin_nested():
            await jobs.add(job)
    except IntegrityError as exc:  # another replica claimed it between the check and the insert
        raise Conflict(ALREADY_RUNNING, message="Usage publish job already running") from exc
    return job


def period_of(job: PublishJob) -> BillingPeriod:
    return BillingPeriod(start=_utc(job.period_start), end=_utc(job.period_end))


async def usage_lines(
    session: AsyncSession, tenant: str, period: BillingPeriod, counts: dict[tuple[str, str], int]
) -> list[UsageLine]:
    """The tenant's subscriptions under a priced tier, with their calls and what they owe."""
    prices = {
        policy.name: tier_price(policy.body)
        for policy in await ThrottlePolicyRepository(session).list(tenant, "subscription")
    }
    lines: list[UsageLine] = []
    for sub in await BilledSubscriptionRepository(session).of_tenant(tenant):
        price = prices.get(sub.tier)
        if price is None:
            continue
        calls = counts.get((sub.api_id, sub.application_id), 0)
        if price.plan == "FIXEDRATE" and sub.status in NOT_ACTIVE:
            continue
        if price.plan == "DYNAMICRATE" and calls == 0:
            continue
        lines.append(
            UsageLine(
                tenant=tenant,
                subscription_id=sub.id,
                api_id=sub.api_id,
                api_name=sub.api_name,
                api_version=sub.api_version,
                application_id=sub.application_id,
                application_name=sub.application_name,
                subscriber=sub.subscriber,
                tier=sub.tier,
                request_count=calls,
                price=price,
                amount=amount(price, calls, period.start, period.end),
            )
        )
    return lines


async def record(
    session: AsyncSession,
    job: PublishJob,
    lines: Sequence[UsageLine],
    references: dict[str, str],
    now: datetime,
) -> None:
    """Keep the priced lines as the job's usage report, and end the job."""
    await UsageRecordRepository(session).add_all(
        UsageRecord(
            tenant=job.tenant,
            job_id=job.id,
            subscription_id=line.subscription_id,
            api_id=line.api_id,
            api_name=line.api_name,
            api_version=line.api_version,
            application_id=line.application_id,
            application_name=line.application_name,
            subscriber=line.subscriber,
            tier=line.tier,
            plan=line.price.plan,
            request_count=line.request_count,
            unit_price=str(line.price.unit_price),
            amount=str(line.amount),
            currency=line.price.currency,
            period_start=job.period_start,
            period_end=job.period_end,
            reference=references.get(line.subscription_id, ""),
        )
        for line in lines
    )
    finish(job, COMPLETED, f"Usage of {len(lines)} subscription(s) published", now)


def finish(job: PublishJob, state: str, message: str, now: datetime) -> None:
    job.state = state
    job.message = message
    job.finished_at = now
    job.running_tenant = None


def _millis(moment: datetime | None) -> str | None:
    return None if moment is None else str(int(_utc(moment).timestamp() * 1000))


def job_status(job: PublishJob | None) -> dict[str, Any]:
    """WSO2's ``MonetizationUsagePublishInfo`` (epoch milliseconds as strings, its spelling of
    ``lastPublsihedTime``), with our job id, provider, period and message beside it."""
    if job is None:
        return {
            "state": "NOT_STARTED",
            "status": "NOT_STARTED",
            "startedTime": None,
            "lastPublsihedTime": None,
        }
    status = {"RUNNING": "INPROGRESS", COMPLETED: "SUCCESSFULL", FAILED: "UNSUCCESSFULL"}[job.state]
    return {
        "state": job.state,
        "status": status,
        "startedTime": _millis(job.started_at),
        "lastPublsihedTime": _millis(job.finished_at) if job.state == COMPLETED else None,
        "finishedTime": _millis(job.finished_at),
        "jobId": job.id,
        "provider": job.provider,
        "from": _utc(job.period_start).isoformat(),
        "to": _utc(job.period_end).isoformat(),
        "message": job.message,
    }


async def latest_status(session: AsyncSession, tenant: str) -> dict[str, Any]:
    return job_status(await PublishJobRepository(session).latest(tenant))


async def report_job(session: AsyncSession, tenant: str, job_id: str | None) -> PublishJob:
    """The job a report is asked for: by id, else the tenant's last completed one."""
    jobs = PublishJobRepository(session)
    job = await jobs.get(job_id) if job_id else await jobs.last_completed(tenant)
    if job is None or job.tenant != tenant:
        raise NotFound(
            f"No usage report {job_id}" if job_id else "No usage has been published yet",
            message="Usage Report Not Found",
        )
    if job.state != COMPLETED:
        raise NotFound(
            f"Usage publish job {job.id} is {job.state}: it has no report", message="Usage Report Not Found"
        )
    return job


REPORT_COLUMNS = (
    "subscriptionId",
    "apiId",
    "apiName",
    "apiVersion",
    "applicationId",
    "applicationName",
    "subscriber",
    "tier",
    "plan",
    "requestCount",
    "unitPrice",
    "amount",
    "currency",
    "from",
    "to",
    "reference",
)


def report_row(row: UsageRecord) -> dict[str, Any]:
    values = (
        row.subscription_id,
        row.api_id,
        row.api_name,
        row.api_version,
        row.application_id,
        row.application_name,
        row.subscriber,
        row.tier,
        row.plan,
        row.request_count,
        row.unit_price,
        row.amount,
        row.currency,
        _utc(row.period_start).isoformat(),
        _utc(row.period_end).isoformat(),
        row.reference,
    )
    return dict(zip(REPORT_COLUMNS, values, strict=True))


async def report(session: AsyncSession, tenant: str, job_id: str | None) -> dict[str, Any]:
    job = await report_job(session, tenant, job_id)
    rows = [report_row(r) for r in await UsageRecordRepository(session).of_job(tenant, job.id)]
    totals: dict[str, Decimal] = {}
    for row in rows:
        totals[row["currency"]] = totals.get(row["currency"], Decimal("0")) + Decimal(row["amount"])
    return {
        "jobId": job.id,
        "provider": job.provider,
        "from": _utc(job.period_start).isoformat(),
        "to": _utc(job.period_end).isoformat(),
        "count": len(rows),
        "totals": {currency: str(total) for currency, total in sorted(totals.items())},
        "list": rows,
    }


async def revenue(session: AsyncSession, tenant: str, api_id: str) -> dict[str, Any]:
    """What the provider billed for one API over every completed publish: WSO2's ``APIRevenue``
    (``properties``, every value a string)."""
    jobs = [j.id for j in await PublishJobRepository(session).of_tenant(tenant) if j.state == COMPLETED]
    rows = await UsageRecordRepository(session).of_api(tenant, api_id, jobs)
    totals: dict[str, Decimal] = {}
    requests = 0
    for row in rows:
        totals[row.currency] = totals.get(row.currency, Decimal("0")) + Decimal(row.amount)
        requests += row.request_count
    properties = {f"totalRevenue{currency}": str(total) for currency, total in sorted(totals.items())}
    properties["requestCount"] = str(requests)
    properties["subscriptions"] = str(len({row.subscription_id for row in rows}))
    if len(totals) == 1:
        currency, total = next(iter(totals.items()))
        properties["currency"] = currency
        properties["totalRevenue"] = str(total)
    return {"properties": properties}


async def subscription_usage(session: AsyncSession, tenant: str, subscription_id: str) -> dict[str, Any]:
    """The subscription's usage in the last period published for it: WSO2's
    ``APIMonetizationUsage`` (``properties``, every value a string)."""
    jobs = [j.id for j in await PublishJobRepository(session).of_tenant(tenant) if j.state == COMPLETED]
    row = await UsageRecordRepository(session).latest_of_subscription(tenant, subscription_id, jobs)
    if row is None:
        raise NotFound(
            f"Subscription '{subscription_id}' has no billed usage: no published period priced it",
            message="Monetization usage not found",
        )
    shown = report_row(row)
    return {"properties": {name: str(value) for name, value in shown.items() if name != "subscriptionId"}}
