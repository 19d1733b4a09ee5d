"""Which tenants' applications may subscribe to an API: WSO2's ``subscriptionAvailability``.

``CURRENT_TENANT`` (the default): only applications of the API's own tenant. ``ALL_TENANTS``:
applications of any tenant. ``SPECIFIC_TENANTS``: those of the API's tenant and of the tenants
named in ``subscriptionAvailableTenants``. An unknown or missing value counts as
``CURRENT_TENANT``, so an API never opens to other tenants by omission. The devportal applies it
when an application subscribes, the gateway on every call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CURRENT_TENANT = "CURRENT_TENANT"
ALL_TENANTS = "ALL_TENANTS"
SPECIFIC_TENANTS = "SPECIFIC_TENANTS"


def tenant_may_subscribe(api: Mapping[str, Any], api_tenant: str, subscriber_tenant: str) -> bool:
    """Whether an application of ``subscriber_tenant`` may subscribe to (and call) ``api``, given as
    the publisher shows it (``subscriptionAvailability``, ``subscriptionAvailableTenants``)."""
    if subscriber_tenant == api_tenant:
        return True
    availability = str(api.get("subscriptionAvailability") or CURRENT_TENANT).upper()
    if availability == ALL_TENANTS:
        return True
    if availability == SPECIFIC_TENANTS:
        named = api.get("subscriptionAvailableTenants") or ()
        if isinstance(named, str):
            named = named.split(",")
        return subscriber_tenant.lower() in {str(t).strip().lower() for t in named}
    return False
