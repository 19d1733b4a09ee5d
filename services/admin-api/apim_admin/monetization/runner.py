"""The usage publisher off the request: one asyncio task per job, tracked in the database so that
the status outlives the process; started and stopped with the app (an extension)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import stripe
from fastapi import FastAPI

from apim_admin.models import processed_events
from apim_admin.monetization import service
from apim_admin.monetization.models import FAILED, PublishJob
from apim_admin.monetization.providers import BillingProvider, ReportProvider
from apim_admin.monetization.repository import PublishJobRepository
from apim_admin.monetization.stripe_provider import StripeProvider
from apim_admin.settings import Settings
from apim_common.analytics_client import AnalyticsUnavailable, request_counts
from apim_common.db import Database
from apim_common.errors import NotFound
from apim_common.events.consumer import idempotent
from apim_common.events.topics import Topic
from apim_common.service_auth import ServiceTokenProvider
from apim_common.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

# A job still marked running this long after it started was left by a stopped process.
STALE_AFTER = timedelta(minutes=15)
NO_PROVIDER = "No billing provider is configured (APIM_MONETIZATION_PROVIDER=none)"
INTERRUPTED = "The usage publisher stopped before the job ended (the service was restarted)"


def now() -> datetime:
    return datetime.now(UTC)


def provider_for(settings: Settings) -> BillingProvider | None:
    """The provider the settings name; None for ``none``."""
    if settings.monetization_provider == "report":
        return ReportProvider()
    if settings.monetization_provider == "stripe":
        if settings.stripe_secret_key is None:
            raise ValueError("APIM_MONETIZATION_PROVIDER=stripe needs APIM_STRIPE_SECRET_KEY")
        return StripeProvider(
            settings.stripe_secret_key.get_secret_value(),
            settings.stripe_meter_event_name,
            settings.stripe_api_base,
        )
    return None


class UsagePublisher:
    """Runs the publish jobs this process accepted."""

    def __init__(self, app: FastAPI, provider: BillingProvider | None) -> None:
        self._app = app
        self.provider = provider
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def _database(self) -> Database:
        database: Database = self._app.state.database
        return database

    async def submit(self, tenant: str, start: datetime | None, end: datetime | None) -> PublishJob:
        """Claim the tenant's next job (409 while one runs) in its own transaction, then run it."""
        if self.provider is None:
            raise NotFound(NO_PROVIDER, message="Monetization Not Enabled")
        at = now()
        async with self._database.session() as session, session.begin():
            jobs = PublishJobRepository(session)
            await jobs.fail_running(INTERRUPTED, at, started_before=at - STALE_AFTER)
            period = await service.billing_period(session, tenant, start, end, at)
            job = await service.claim(session, tenant, self.provider.name, period, at)
        self._start(job.id)
        return job

    def _start(self, job_id: str) -> None:
        task = asyncio.create_task(self._run(job_id), name=f"monetization-publish-{job_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait(self) -> None:
        """Until every job this process runs has ended (for tests and a graceful stop)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        await cancel_and_wait(*self._tasks)
        if self.provider is not None:
            await self.provider.aclose()

    async def _counts(self, tenant: str, start: datetime, end: datetime) -> dict[tuple[str, str], int]:
        state = self._app.state
        settings: Settings = state.settings
        if not settings.analytics_url:
            raise AnalyticsUnavailable("analytics is not deployed here (APIM_ANALYTICS_URL is unset)")
        # The app's client is read per job: it is what the service talks to other services with.
        tokens = ServiceTokenProvider(
            state.http, f"{settings.key_manager_url.rstrip('/')}/oauth2/token", settings.secret()
        )
        return await request_counts(
            state.http, tokens, settings.analytics_url, tenant=tenant, start=start, end=end
        )

    async def _run(self, job_id: str) -> None:
        """Read, bill, record: no transaction is held while analytics or the provider answers."""
        provider = self.provider
        database = self._database
        try:
            async with database.session() as session:
                job = await PublishJobRepository(session).get(job_id)
            if job is None or provider is None:
                return
            period = service.period_of(job)
            counts = await self._counts(job.tenant, period.start, period.end)
            async with database.session() as session:
                lines = await service.usage_lines(session, job.tenant, period, counts)
            references = await provider.publish_usage(database, job.id, period, lines)
            async with database.session() as session, session.begin():
                job = await PublishJobRepository(session).get(job_id)
                if job is not None:
                    await service.record(session, job, lines, references, now())
        except asyncio.CancelledError:
            await self._fail(job_id, INTERRUPTED)
            raise
        except (AnalyticsUnavailable, stripe.StripeError) as exc:
            await self._fail(job_id, f"Publishing the usage failed: {exc}")
        except Exception:
            logger.exception("usage publish job %s failed", job_id)
            await self._fail(job_id, "Publishing the usage failed: an unexpected error (see the service log)")

    async def _fail(self, job_id: str, message: str) -> None:
        async with self._database.session() as session, session.begin():
            job = await PublishJobRepository(session).get(job_id)
            if job is not None:
                service.finish(job, FAILED, message, now())


@contextlib.asynccontextmanager
async def monetization(app: FastAPI) -> AsyncIterator[None]:
    """Pick the provider, end the jobs a stopped process left running, follow the subscriptions."""
    settings: Settings = app.state.settings
    database: Database = app.state.database
    publisher = UsagePublisher(app, provider_for(settings))
    # In one process (the in-memory bus) nothing else can be running a job: every running one was
    # left by the previous start. With replicas, only the stale ones.
    started_before = now() if settings.bus == "memory" else now() - STALE_AFTER
    async with database.session() as session, session.begin():
        await PublishJobRepository(session).fail_running(INTERRUPTED, now(), started_before=started_before)
    app.state.bus.subscribe(
        [Topic.SUBSCRIPTIONS],
        "admin-monetization",
        idempotent(database, processed_events, "admin-monetization", service.apply_event),
    )
    app.state.usage_publisher = publisher
    try:
        yield
    finally:
        await publisher.stop()
