"""Monetization: tier prices, the usage publisher fed by the analytics rollups, its status, and the
``report`` provider's usage report (JSON and CSV) with the amounts the tiers' prices give."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from fastapi import FastAPI, Request
from pydantic import SecretStr

from apim_admin.monetization.models import PublishJob
from apim_admin.monetization.runner import provider_for
from apim_common.security import INTERNAL_SCOPE
from apim_common.service_auth import INTERNAL_CLIENT_ID
from tests.admin_api.harness import Admin, running_admin
from tests.support.monetization import MAY, PUBLISH, Billing, running_billing, tier
from tests.support.serving import serving
from tests.support.tokens import TokenFactory

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def billing(tokens: TokenFactory, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Billing]:
    """One admin and one analytics service for the module: each test uses its own APIs,
    applications and subscriptions, and reads only its own rows."""
    async with running_billing(tokens, tmp_path_factory.mktemp("monetization")) as running:
        yield running


@contextlib.contextmanager
def settings_changed(admin: Admin, **changes: Any) -> Iterator[None]:
    state = admin.app.state
    original = state.settings
    state.settings = original.model_copy(update=changes)
    try:
        yield
    finally:
        state.settings = original


def rows_of(report: dict[str, Any], *subscriptions: str) -> dict[str, dict[str, Any]]:
    return {row["subscriptionId"]: row for row in report["list"] if row["subscriptionId"] in subscriptions}


async def test_publishing_usage_completes_and_the_report_prices_each_subscription(billing: Billing) -> None:
    admin = billing.admin
    await billing.subscribe("sub-metered", "api-1", "app-1", "Metered")
    await billing.subscribe("sub-flat", "api-1", "app-2", "Flat")
    await billing.subscribe("sub-free", "api-2", "app-1", "Unlimited")
    await billing.calls(7, "api-1", "app-1")
    await billing.calls(3, "api-1", "app-2")
    await billing.calls(4, "api-2", "app-1")

    status = await billing.publish_and_wait()
    assert (status["state"], status["status"]) == ("COMPLETED", "SUCCESSFULL"), status
    assert int(status["startedTime"]) <= int(status["lastPublsihedTime"])

    report = await admin.get("/monetization/usage-report")
    assert report.status_code == 200, report.text
    rows = rows_of(report.json(), "sub-metered", "sub-flat", "sub-free")
    assert set(rows) == {"sub-metered", "sub-flat"}  # the free tier bills nothing
    metered, flat = rows["sub-metered"], rows["sub-flat"]
    assert (metered["requestCount"], metered["amount"], metered["currency"]) == (7, "0.35", "EUR")
    assert (flat["requestCount"], flat["amount"], flat["currency"]) == (3, "10.00", "USD")

    as_csv = await admin.get("/monetization/usage-report", params={"format": "csv"})
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    parsed = {row["subscriptionId"]: row for row in csv.DictReader(io.StringIO(as_csv.text))}
    assert (parsed["sub-metered"]["requestCount"], parsed["sub-metered"]["amount"]) == ("7", "0.35")
    assert (parsed["sub-flat"]["amount"], parsed["sub-flat"]["currency"]) == ("10.00", "USD")


async def test_a_second_publish_while_one_runs_is_409(billing: Billing) -> None:
    admin = billing.admin
    gate = asyncio.Event()
    publisher = admin.app.state.usage_publisher
    real = publisher._counts

    async def slow_counts(*args: Any) -> Any:
        await gate.wait()
        return await real(*args)

    publisher._counts = slow_counts
    try:
        first = await admin.post("/monetization/publish-usage", params=MAY)
        assert first.status_code == 202, first.text
        running = await admin.get("/monetization/publish-usage/status")
        assert running.json()["state"] == "RUNNING"
        second = await admin.post("/monetization/publish-usage", params=MAY)
        assert second.status_code == 409, second.text
        gate.set()
        await publisher.wait()
    finally:
        publisher._counts = real
    assert (await admin.get("/monetization/publish-usage/status")).json()["state"] == "COMPLETED"


async def test_a_publish_without_analytics_fails_and_says_why(billing: Billing) -> None:
    with settings_changed(billing.admin, analytics_url=None):
        status = await billing.publish_and_wait()
    assert (status["state"], status["status"]) == ("FAILED", "UNSUCCESSFULL")
    assert "APIM_ANALYTICS_URL" in status["message"]
    report = await billing.admin.get("/monetization/usage-report", params={"jobId": status["jobId"]})
    assert report.status_code == 404


async def test_usage_publishing_needs_its_scope_and_stays_in_the_tenant(billing: Billing) -> None:
    admin = billing.admin
    viewer = admin.auth("apim:tier_view")
    assert (await admin.post("/monetization/publish-usage", params=MAY, headers=viewer)).status_code == 403
    assert (await admin.get("/monetization/publish-usage/status", headers=viewer)).status_code == 403
    assert (await admin.get("/monetization/usage-report", headers=viewer)).status_code == 403
    status = await billing.publish_and_wait(headers=admin.auth(PUBLISH))
    assert status["state"] == "COMPLETED"
    other_tenant = admin.auth(tenant="acme.com")
    other = await admin.get("/monetization/publish-usage/status", headers=other_tenant)
    assert other.json()["state"] == "NOT_STARTED"
    assert (await admin.get("/monetization/usage-report", headers=other_tenant)).status_code == 404
    foreign = await admin.get(
        "/monetization/usage-report", params={"jobId": status["jobId"]}, headers=other_tenant
    )
    assert foreign.status_code == 404


async def test_a_billing_period_that_cannot_be_published_is_refused_with_400(billing: Billing) -> None:
    periods = [
        {"from": "2026-06-01T00:00:00Z", "to": "2026-05-01T00:00:00Z"},  # backwards
        {"from": "2024-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},  # beyond the hourly rollups
        {"from": "2026-05-01T00:00:00Z", "to": "2999-01-01T00:00:00Z"},  # not happened yet
    ]
    for period in periods:
        refused = await billing.admin.post("/monetization/publish-usage", params=period)
        assert refused.status_code == 400, (period, refused.text)
    assert (
        await billing.admin.post("/monetization/publish-usage", params={"from": "yesterday"})
    ).status_code == 400


INVALID_PRICES = [
    ({"monetizationPlan": "DYNAMICRATE", "properties": {"pricePerRequest": "-1"}}, "pricePerRequest"),
    ({"monetizationPlan": "FIXEDRATE", "properties": {"fixedPrice": "ten"}}, "fixedPrice"),
    ({"monetizationPlan": "FIXEDRATE", "properties": {"pricePerRequest": "1"}}, "pricePerRequest"),
    (
        {"monetizationPlan": "FIXEDRATE", "properties": {"fixedPrice": "1", "currencyType": "EURO"}},
        "currencyType",
    ),
    (
        {"monetizationPlan": "FIXEDRATE", "properties": {"fixedPrice": "1", "billingCycle": "hour"}},
        "billingCycle",
    ),
    ({"monetizationPlan": "FIXEDRATE", "properties": {"fixedPrice": "1", "discount": "5"}}, "discount"),
    ({"monetizationPlan": None, "properties": {"fixedPrice": "1"}}, "monetizationPlan"),
]


async def test_an_invalid_tier_price_is_refused_with_400(billing: Billing) -> None:
    for monetization, named in INVALID_PRICES:
        body = {**tier("Mispriced", "FIXEDRATE"), "monetization": monetization}
        refused = await billing.admin.post("/throttling/policies/subscription", json=body)
        assert refused.status_code == 400, (monetization, refused.text)
        assert named in refused.json()["description"], (monetization, refused.text)
        assert refused.json()["error"][0]["message"].startswith("monetization")


async def test_tier_prices_are_refused_when_no_provider_is_configured(billing: Billing) -> None:
    admin = billing.admin
    with settings_changed(admin, monetization_provider="none"):
        refused = await admin.post(
            "/throttling/policies/subscription", json=tier("Paid", "FIXEDRATE", fixedPrice="10")
        )
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"][0]["message"] == "monetization"
        unpriced = {**tier("Paid", "FIXEDRATE"), "monetization": {"monetizationPlan": None, "properties": {}}}
        assert (await admin.post("/throttling/policies/subscription", json=unpriced)).status_code == 201
    publisher = admin.app.state.usage_publisher
    provider, publisher.provider = publisher.provider, None
    try:
        nothing_to_publish = await admin.post("/monetization/publish-usage", params=MAY)
    finally:
        publisher.provider = provider
    assert nothing_to_publish.status_code == 404
    assert "APIM_MONETIZATION_PROVIDER=none" in nothing_to_publish.json()["description"]


async def test_the_internal_revenue_sums_what_was_billed_for_one_api(
    billing: Billing, tokens: TokenFactory
) -> None:
    admin = billing.admin
    await billing.subscribe("sub-revenue", "api-revenue", "app-revenue", "Metered")
    await billing.calls(20, "api-revenue", "app-revenue")
    await billing.publish_and_wait()
    internal = tokens.headers(INTERNAL_CLIENT_ID, INTERNAL_SCOPE)
    params = {"tenant": "carbon.super", "apiId": "api-revenue"}
    revenue = await admin.client.get(
        "/api/am/admin/v4/internal/monetization/revenue", params=params, headers=internal
    )
    assert revenue.status_code == 200, revenue.text
    assert revenue.json()["properties"]["totalRevenue"] == "1.00"
    assert revenue.json()["properties"]["currency"] == "EUR"
    refused = await admin.client.get(
        "/api/am/admin/v4/internal/monetization/revenue", params=params, headers=admin.auth()
    )
    assert refused.status_code == 403


@dataclass
class StripeStandIn:
    """The few Stripe endpoints the provider calls, recording what was posted."""

    customers: list[dict[str, str]]
    meter_events: list[dict[str, str]]
    keys: set[str]

    def app(self) -> FastAPI:
        stand_in = FastAPI()

        @stand_in.post("/v1/customers")
        async def customer(request: Request) -> dict[str, Any]:
            self.keys.add(request.headers.get("authorization", ""))
            self.customers.append(dict(await request.form()))
            return {"id": f"cus_{len(self.customers)}", "object": "customer"}

        @stand_in.post("/v1/billing/meter_events")
        async def meter_event(request: Request) -> dict[str, Any]:
            self.keys.add(request.headers.get("authorization", ""))
            form = dict(await request.form())
            self.meter_events.append(form)
            return {
                "object": "billing.meter_event",
                "event_name": form["event_name"],
                "identifier": form["identifier"],
            }

        return stand_in


SECRET = "sk_test_not_a_real_key_0123456789"


async def test_the_stripe_provider_sends_each_metered_subscriptions_calls_as_a_meter_event(
    billing: Billing,
) -> None:
    admin = billing.admin
    await billing.subscribe("sub-stripe-a", "api-stripe", "app-stripe-a", "Metered")
    await billing.subscribe("sub-stripe-b", "api-stripe", "app-stripe-b", "Metered")
    await billing.subscribe("sub-stripe-flat", "api-stripe", "app-stripe-c", "Flat")
    await billing.calls(5, "api-stripe", "app-stripe-a")
    await billing.calls(2, "api-stripe", "app-stripe-b")
    await billing.calls(9, "api-stripe", "app-stripe-c")
    stand_in = StripeStandIn([], [], set())
    publisher = admin.app.state.usage_publisher
    original = publisher.provider
    async with serving(stand_in.app()) as port:
        settings = admin.app.state.settings.model_copy(
            update={
                "monetization_provider": "stripe",
                "stripe_secret_key": SecretStr(SECRET),
                "stripe_api_base": f"http://127.0.0.1:{port}",
                "stripe_meter_event_name": "apim_calls",
            }
        )
        publisher.provider = provider_for(settings)
        try:
            status = await billing.publish_and_wait()
            again = await billing.publish_and_wait({"from": MAY["from"], "to": "2026-06-02T00:00:00Z"})
        finally:
            await publisher.provider.aclose()
            publisher.provider = original
    assert status["state"] == "COMPLETED", status["message"]
    assert again["state"] == "COMPLETED", again
    mine = {"app-stripe-a", "app-stripe-b"}
    customers = {c["metadata[apim_application_id]"]: c for c in stand_in.customers}
    assert set(customers) >= mine
    assert "app-stripe-c" not in customers  # a fixed price is Stripe's own recurring price
    by_customer = {}
    for event in stand_in.meter_events:
        by_customer.setdefault(event["payload[stripe_customer_id]"], []).append(event)
    ids = {
        name: f"cus_{index + 1}"
        for index, name in enumerate(c["metadata[apim_application_id]"] for c in stand_in.customers)
    }
    # one customer per application, reused by the second publish; the calls as the quantity
    assert [e["payload[value]"] for e in by_customer[ids["app-stripe-a"]]] == ["5", "5"]
    assert [e["payload[value]"] for e in by_customer[ids["app-stripe-b"]]] == ["2", "2"]
    assert all(e["event_name"] == "apim_calls" for e in stand_in.meter_events)
    assert stand_in.keys == {f"Bearer {SECRET}"}
    report = await admin.get("/monetization/usage-report", params={"jobId": status["jobId"]})
    assert report.json()["provider"] == "stripe"
    assert rows_of(report.json(), "sub-stripe-a")["sub-stripe-a"]["reference"].endswith(":sub-stripe-a")
    assert SECRET not in report.text + str(status)


async def test_a_job_left_running_by_a_stopped_process_shows_failed_after_a_restart(
    tokens: TokenFactory, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('restart') / 'admin.db'}"
    async with running_admin(tokens, url) as before:
        # what a process that died mid-job leaves: a running job holding the tenant
        async with before.app.state.database.session() as session, session.begin():
            session.add(
                PublishJob(
                    tenant="carbon.super",
                    running_tenant="carbon.super",
                    provider="report",
                    period_start=datetime(2026, 5, 1, tzinfo=UTC),
                    period_end=datetime(2026, 6, 1, tzinfo=UTC),
                    started_at=datetime.now(UTC),
                )
            )
        assert (await before.get("/monetization/publish-usage/status")).json()["state"] == "RUNNING"
    async with running_admin(tokens, url) as after:
        status = (await after.get("/monetization/publish-usage/status")).json()
        assert (status["state"], status["status"]) == ("FAILED", "UNSUCCESSFULL")
        assert "restarted" in status["message"]
        again = await after.post("/monetization/publish-usage", params=MAY)
        assert again.status_code == 202, again.text
        await after.app.state.usage_publisher.wait()
