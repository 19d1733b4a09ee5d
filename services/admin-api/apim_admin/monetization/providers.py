"""The billing provider interface, the built-in ``report`` provider, and the choice by setting.

Every provider gets the same priced usage lines; the service keeps them as the usage report
whichever provider is chosen, so ``/revenue`` and the report answer the same figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from apim_admin.monetization.pricing import TierPrice
from apim_common.db import Database


@dataclass(frozen=True)
class BillingPeriod:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class UsageLine:
    """One subscription's calls in the period, priced by its tier."""

    tenant: str
    subscription_id: str
    api_id: str
    api_name: str
    api_version: str
    application_id: str
    application_name: str
    subscriber: str
    tier: str
    request_count: int
    price: TierPrice
    amount: Decimal


class BillingProvider(Protocol):
    name: str

    async def publish_usage(
        self, database: Database, job_id: str, period: BillingPeriod, lines: Sequence[UsageLine]
    ) -> dict[str, str]:
        """Bill ``lines``; the provider's reference per subscription id (none for a local report).

        Called outside any transaction: a provider keeps what it must in short ones of its own."""
        ...

    async def aclose(self) -> None:
        """Release what the provider holds (its HTTP connections)."""
        ...


class ReportProvider:
    """Bills nothing outside: the stored usage report is the bill."""

    name = "report"

    async def publish_usage(
        self, database: Database, job_id: str, period: BillingPeriod, lines: Sequence[UsageLine]
    ) -> dict[str, str]:
        return {}

    async def aclose(self) -> None:
        return None
