"""Request events shaped like the gateway's, for the analytics tests."""

from __future__ import annotations

import itertools
from typing import Any

from apim_common.events.envelope import DEFAULT_TENANT, CloudEvent

_sequence = itertools.count()
T0 = 1_780_000_200.0  # a minute boundary: 2026-05-28T20:30:00Z


def request_event(
    *,
    tenant: str = DEFAULT_TENANT,
    at: float = T0,
    event_id: str | None = None,
    **fields: Any,
) -> CloudEvent:
    """A WSO2-shaped request event; ``fields`` override or add data fields (None removes one)."""
    data: dict[str, Any] = {
        "requestTimestamp": int(at * 1000),
        "apiId": "api-1",
        "apiName": "Pets",
        "apiVersion": "1.0.0",
        "apiCreator": "alice",
        "apiMethod": "GET",
        "apiResourceTemplate": "/pets",
        "applicationId": "app-1",
        "applicationName": "Shop",
        "applicationOwner": "bob",
        "proxyResponseCode": 200,
        "responseLatency": 12.0,
        "backendLatency": 9.0,
        "requestMediationLatency": 2.0,
        "responseMediationLatency": 1.0,
        "keyType": "PRODUCTION",
    }
    for name, value in fields.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return CloudEvent(
        id=event_id or f"evt-{next(_sequence)}",
        source="/gateway/gw-1",
        type="request.completed",
        subject=str(data.get("apiId", "-")),
        tenant=tenant,
        data=data,
    )
