"""A subscription moved to another tier counts afresh under it, as WSO2 counts per tier: the calls
made under the old tier do not count against the new one. Through the gateway."""

from __future__ import annotations

import pytest

from tests.support.standalone import ADMIN, DEVPORTAL, PUBLISHER, bearer, eventually, shared_platform

pytestmark = pytest.mark.timeout(120)


def _tier(name: str, per_hour: int) -> dict[str, object]:
    return {
        "policyName": name,
        "defaultLimit": {
            "type": "REQUESTCOUNTLIMIT",
            "requestCount": {"timeUnit": "hour", "unitTime": 1, "requestCount": per_hour},
        },
        "stopOnQuotaReach": True,
    }


def test_a_tier_change_starts_counting_afresh_under_the_new_tier(request: pytest.FixtureRequest) -> None:
    shared = shared_platform(request)
    s, token = shared.platform, shared.admin_token
    auth = bearer(token)
    for name, limit in (("TwoPerHour", 2), ("FourPerHour", 4)):
        r = s.control.post(f"{ADMIN}/throttling/policies/subscription", json=_tier(name, limit), headers=auth)
        assert r.status_code == 201, r.text
    eventually(
        lambda: s.control.get(f"{PUBLISHER}/throttling-policies/subscription", headers=auth),
        lambda r: "FourPerHour" in r.text,
    )
    api_id = s.published_api(
        token, shared.backend, "TierChangeAPI", "/tierchange", ["TwoPerHour", "FourPerHour"]
    )
    app = s.subscribed_app(token, api_id, "TierChangeApp", tier="TwoPerHour")
    call_token = s.app_token(app).json()["access_token"]

    def call() -> int:
        return s.gateway.get("/tierchange/1.0.0/menu", headers=bearer(call_token)).status_code

    first = eventually(
        lambda: s.gateway.get("/tierchange/1.0.0/menu", headers=bearer(call_token)),
        lambda r: r.status_code == 200,
    )
    assert first.status_code == 200, first.text
    assert [call(), call()] == [200, 429]

    moved = s.control.put(
        f"{DEVPORTAL}/subscriptions/{app['subscriptionId']}",
        json={"applicationId": app["applicationId"], "apiId": api_id, "throttlingPolicy": "FourPerHour"},
        headers=auth,
    )
    assert moved.status_code == 200, moved.text
    # Refused while the gateway still holds the old tier; the first admitted call is the new tier's.
    after = eventually(
        lambda: s.gateway.get("/tierchange/1.0.0/menu", headers=bearer(call_token)),
        lambda r: r.status_code == 200,
    )
    assert after.status_code == 200, after.text
    assert [call() for _ in range(4)] == [200, 200, 200, 429]
