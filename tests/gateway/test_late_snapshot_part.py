"""A snapshot part that comes after the others replaces only its own share of the gateway's model:
what the events changed since the other parts came stays served."""

from __future__ import annotations

from typing import Any

from apim_common.events import new_event
from apim_gateway.runtime.apis import BackendSettings
from apim_gateway.runtime.state import RuntimeState
from apim_gateway.sync.control_plane import ControlPlaneError
from apim_gateway.sync.syncer import Syncer
from tests.gateway.conftest import pets_api


class AdminLateControlPlane:
    """The publisher and devportal answer; the admin service is still starting until ``admin_up``."""

    def __init__(self) -> None:
        self.admin_up = False

    async def part(self, name: str) -> dict[str, Any]:
        if name == "publisher":
            return {"artifacts": [pets_api(9)]}
        if name == "devportal":
            return {"applications": [], "subscriptions": [], "keyMappings": []}
        if not self.admin_up:
            raise ControlPlaneError("admin: 503")
        return {"throttlePolicies": {}, "denyPolicies": [], "keyManagers": []}

    async def artifact(self, revision_id: str) -> dict[str, Any]:
        return {**pets_api(9), "revisionId": revision_id}


def _state() -> RuntimeState:
    return RuntimeState(
        environment="Default",
        default_vhost="localhost",
        backend=BackendSettings(default_timeout=5.0, failure_threshold=5, open_for=30.0),
    )


async def test_the_admin_part_coming_late_keeps_the_deployments_and_subscriptions_events_made() -> None:
    state = _state()
    control_plane = AdminLateControlPlane()
    syncer = Syncer(state, control_plane, cache_file=None)  # type: ignore[arg-type]
    assert await syncer.pull() == {"admin"}
    assert state.apis["api-pets"].revision_id == "rev-pets-1"

    deployed = {"apiId": "api-pets", "revisionId": "rev-pets-2", "environment": "Default"}
    await syncer.handle(new_event("publisher-api", "deployment.deployed", "api-pets", deployed))
    subscribed = {"subscriptionId": "sub-1", "applicationId": "app-1", "apiId": "api-pets"}
    await syncer.handle(new_event("devportal-api", "subscription.created", "sub-1", subscribed))
    control_plane.admin_up = True
    assert await syncer.pull({"admin"}) == set()

    assert state.apis["api-pets"].revision_id == "rev-pets-2"
    assert ("app-1", "api-pets") in state.subscriptions
