"""Stripe through its official client: a customer per application, and per subscription a billing
meter event carrying its calls in the period.

Only usage-priced (``DYNAMICRATE``) subscriptions are sent: a fixed price is a recurring Stripe
price that Stripe itself charges each cycle, so its amounts stay in the report only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import stripe

from apim_admin.monetization.models import BillingAccount
from apim_admin.monetization.providers import BillingPeriod, UsageLine
from apim_admin.monetization.repository import BillingAccountRepository
from apim_common.db import Database


class StripeHTTPClient(stripe.HTTPXClient):
    """Stripe's httpx client, handing its form-encoded body to httpx as ``content``: httpx
    deprecates raw text passed as ``data``, and warns on every call otherwise."""

    def _get_request_args_kwargs(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any
    ) -> Any:
        args, kwargs = super()._get_request_args_kwargs(method, url, headers, post_data)
        if isinstance(kwargs.get("data"), str | bytes):
            kwargs["content"] = kwargs.pop("data")
        return args, kwargs


class StripeProvider:
    name = "stripe"

    def __init__(self, secret_key: str, meter_event_name: str, api_base: str | None = None) -> None:
        self._http = StripeHTTPClient()
        addresses: Any = {"api": api_base} if api_base else None
        self._client = stripe.StripeClient(
            secret_key, base_addresses=addresses, http_client=self._http, max_network_retries=2
        )
        self._event_name = meter_event_name

    async def aclose(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]

    async def _customer(self, database: Database, line: UsageLine) -> str:
        async with database.session() as session:
            known = await BillingAccountRepository(session).of_application(self.name, line.application_id)
        if known is not None:
            return known.external_id
        customer = await self._client.v1.customers.create_async(
            {
                "name": line.application_name or line.application_id,
                "metadata": {
                    "apim_application_id": line.application_id,
                    "apim_subscriber": line.subscriber,
                    "apim_tenant": line.tenant,
                },
            }
        )
        async with database.session() as session, session.begin():
            await BillingAccountRepository(session).add(
                BillingAccount(
                    tenant=line.tenant,
                    provider=self.name,
                    application_id=line.application_id,
                    external_id=customer.id,
                )
            )
        return customer.id

    async def publish_usage(
        self, database: Database, job_id: str, period: BillingPeriod, lines: Sequence[UsageLine]
    ) -> dict[str, str]:
        references: dict[str, str] = {}
        for line in lines:
            if line.price.plan != "DYNAMICRATE" or line.request_count <= 0:
                continue
            customer = await self._customer(database, line)
            # The identifier makes a re-sent event count once at Stripe.
            identifier = f"{job_id}:{line.subscription_id}"
            await self._client.v1.billing.meter_events.create_async(
                {
                    "event_name": self._event_name,
                    "identifier": identifier,
                    "timestamp": int(period.end.timestamp()) - 1,
                    "payload": {"stripe_customer_id": customer, "value": str(line.request_count)},
                }
            )
            references[line.subscription_id] = identifier
        return references
