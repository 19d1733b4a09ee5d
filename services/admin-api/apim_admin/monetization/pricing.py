"""A tier's price and what a subscription owes under it for one billing period.

- ``DYNAMICRATE``: ``pricePerRequest`` times the subscription's calls in the period.
- ``FIXEDRATE``: ``fixedPrice`` once for every billing cycle (``day``, ``week`` from Monday,
  ``month`` from the 1st, ``year``, in UTC) that starts inside the period: publishing every day or
  once a month bills a monthly subscription the same, once a month.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
DEFAULT_CURRENCY = "USD"
DEFAULT_CYCLE = "month"


@dataclass(frozen=True)
class TierPrice:
    plan: str
    unit_price: Decimal
    currency: str
    billing_cycle: str


def tier_price(policy_body: dict[str, Any]) -> TierPrice | None:
    """The price the admin set on a subscription tier (validated when written); None: free."""
    monetization = policy_body.get("monetization") or {}
    plan = monetization.get("monetizationPlan")
    if plan not in ("FIXEDRATE", "DYNAMICRATE"):
        return None
    properties: dict[str, str] = monetization.get("properties") or {}
    price = properties.get("fixedPrice" if plan == "FIXEDRATE" else "pricePerRequest", "0")
    return TierPrice(
        plan=plan,
        unit_price=Decimal(price),
        currency=properties.get("currencyType", DEFAULT_CURRENCY),
        billing_cycle=properties.get("billingCycle", DEFAULT_CYCLE),
    )


def _next_day(at: datetime) -> datetime:
    return at + timedelta(days=1)


def _next_week(at: datetime) -> datetime:
    return at + timedelta(days=7)


def _next_month(at: datetime) -> datetime:
    return datetime(at.year + at.month // 12, at.month % 12 + 1, 1, tzinfo=UTC)


def _next_year(at: datetime) -> datetime:
    return datetime(at.year + 1, 1, 1, tzinfo=UTC)


# Each cycle: the start of the cycle holding a moment, and the start of the next one.
CYCLES: dict[str, tuple[Callable[[datetime], datetime], Callable[[datetime], datetime]]] = {
    "day": (lambda at: datetime(at.year, at.month, at.day, tzinfo=UTC), _next_day),
    "week": (
        lambda at: datetime(at.year, at.month, at.day, tzinfo=UTC) - timedelta(days=at.weekday()),
        _next_week,
    ),
    "month": (lambda at: datetime(at.year, at.month, 1, tzinfo=UTC), _next_month),
    "year": (lambda at: datetime(at.year, 1, 1, tzinfo=UTC), _next_year),
}
BILLING_CYCLES = tuple(CYCLES)


def cycle_starts(start: datetime, end: datetime, cycle: str) -> int:
    """How many starts of a cycle fall in [start, end)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    floor, following = CYCLES[cycle]
    at = floor(start)
    if at < start:
        at = following(at)
    count = 0
    while at < end:
        count += 1
        at = following(at)
    return count


def amount(price: TierPrice, request_count: int, start: datetime, end: datetime) -> Decimal:
    """What one subscription owes for [start, end), rounded to the cent."""
    if price.plan == "DYNAMICRATE":
        owed = price.unit_price * request_count
    else:
        owed = price.unit_price * cycle_starts(start, end, price.billing_cycle)
    return owed.quantize(CENT, rounding=ROUND_HALF_UP)
