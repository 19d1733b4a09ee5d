"""Events a new gateway replays after its snapshot (or the bus redelivers) cost nothing: a
deployment of the revision already served pulls no artifact, an unchanged lifecycle compiles nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from apim_common.events import new_event
from apim_gateway.runtime import state as state_module
from apim_gateway.runtime.apis import BackendSettings
from apim_gateway.runtime.state import RuntimeState
from apim_gateway.sync import syncer as syncer_module
from apim_gateway.sync.syncer import Syncer
from tests.gateway.conftest import pets_api


class CountingControlPlane:
    def __init__(self, artifact: dict[str, Any]) -> None:
        self.artifact_calls: list[str] = []
        self._artifact = artifact

    async def artifact(self, revision_id: str) -> dict[str, Any]:
        self.artifact_calls.append(revision_id)
        return {**self._artifact, "revisionId": revision_id}


def _served() -> RuntimeState:
    state = RuntimeState(
        environment="Default",
        default_vhost="localhost",
        backend=BackendSettings(default_timeout=5.0, failure_threshold=5, open_for=30.0),
    )
    state.load_snapshot({"publisher": {"artifacts": [pets_api(9)]}})
    return state


def _deployed(revision_id: str) -> Any:
    data = {"apiId": "api-pets", "revisionId": revision_id, "environment": "Default", "vhost": "localhost"}
    return new_event("publisher-api", "deployment.deployed", "api-pets", data)


async def test_a_replayed_deployment_of_the_served_revision_pulls_no_artifact() -> None:
    state = _served()
    control_plane = CountingControlPlane(pets_api(9))
    syncer = Syncer(state, control_plane, cache_file=None)  # type: ignore[arg-type]
    await syncer.handle(_deployed("rev-pets-1"))
    assert control_plane.artifact_calls == []
    await syncer.handle(_deployed("rev-pets-2"))
    assert control_plane.artifact_calls == ["rev-pets-2"]
    assert state.apis["api-pets"].revision_id == "rev-pets-2"


def test_an_unchanged_lifecycle_state_compiles_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    state = _served()
    compiled: list[object] = []
    original = state_module.compile_api

    def counting(*args: Any, **kwargs: Any) -> Any:
        compiled.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(state_module, "compile_api", counting)
    state.set_lifecycle("api-pets", "PUBLISHED")
    assert compiled == []
    state.set_lifecycle("api-pets", "BLOCKED")
    assert len(compiled) == 1
    assert state.apis["api-pets"].lifecycle == "BLOCKED"


class CountingSaves(Syncer):
    saves = 0

    def _save(self) -> None:
        self.saves += 1
        super()._save()


async def test_a_replayed_deployment_leaves_the_snapshot_cache_unwritten(tmp_path: Path) -> None:
    state = _served()
    cache = tmp_path / "snapshot.json"
    syncer = CountingSaves(state, CountingControlPlane(pets_api(9)), cache_file=cache)  # type: ignore[arg-type]
    syncer.parts = {"publisher": {"artifacts": list(state.artifacts.values())}}
    await syncer.handle(_deployed("rev-pets-1"))
    await syncer.stop()
    assert syncer.saves == 0
    assert not cache.exists()


async def test_two_deployments_between_writes_of_the_cache_write_it_once_with_the_last(
    tmp_path: Path,
) -> None:
    state = _served()
    cache = tmp_path / "snapshot.json"
    syncer = CountingSaves(state, CountingControlPlane(pets_api(9)), cache_file=cache)  # type: ignore[arg-type]
    syncer.parts = {"publisher": {"artifacts": list(state.artifacts.values())}}
    await syncer.handle(_deployed("rev-pets-2"))
    await syncer.handle(_deployed("rev-pets-3"))
    await syncer.stop()
    assert syncer.saves == 1
    (artifact,) = json.loads(cache.read_text())["publisher"]["artifacts"]
    assert artifact["revisionId"] == "rev-pets-3"


async def test_a_deployment_encodes_only_what_changed_into_the_snapshot_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = _served()
    others = [pets_api(9, id=f"api-{n}", context=f"/pets{n}", revisionId=f"rev-{n}") for n in range(3)]
    state.load_snapshot({"publisher": {"artifacts": [pets_api(9), *others]}})
    cache = tmp_path / "snapshot.json"
    syncer = Syncer(state, CountingControlPlane(pets_api(9)), cache_file=cache)  # type: ignore[arg-type]
    admin = {"environments": [{"name": "Default"}]}
    publisher = {"gatewayPolicies": [], "artifacts": list(state.artifacts.values())}
    syncer.parts = {"publisher": publisher, "admin": admin}
    syncer._save()
    encoded: list[Any] = []

    def counting(value: Any) -> str:
        encoded.append(value)
        return json.dumps(value)

    monkeypatch.setattr(syncer_module, "_dumps", counting)
    await syncer.handle(_deployed("rev-pets-2"))
    await syncer.stop()
    written = json.loads(cache.read_text())
    assert written == {
        "publisher": {"gatewayPolicies": [], "artifacts": list(state.artifacts.values())},
        "admin": admin,
    }
    revisions = {a["revisionId"] for a in written["publisher"]["artifacts"]}
    assert revisions == {"rev-pets-2", "rev-0", "rev-1", "rev-2"}
    # The new revision's artifact was encoded; the three served before and the admin part were not.
    assert [v["revisionId"] for v in encoded if isinstance(v, dict) and "revisionId" in v] == ["rev-pets-2"]
    assert admin not in encoded


def test_a_snapshot_pulled_again_compiles_only_the_apis_that_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    state = _served()
    others = [pets_api(9, id=f"api-{n}", context=f"/pets{n}", revisionId=f"rev-{n}") for n in range(3)]
    state.load_snapshot({"publisher": {"artifacts": [pets_api(9), *others]}})
    compiled: list[str] = []
    original = state_module.compile_api

    def counting(*args: Any, **kwargs: Any) -> Any:
        compiled.append(str(args[0]["id"]))
        return original(*args, **kwargs)

    monkeypatch.setattr(state_module, "compile_api", counting)
    changed = {**others[1], "revisionId": "rev-1b"}
    state.load_snapshot({"publisher": {"artifacts": [pets_api(9), others[0], changed, others[2]]}})
    assert compiled == ["api-1"]
    assert state.apis["api-1"].revision_id == "rev-1b"
    assert state.router.route("localhost", "/pets2/1.0.0/echo/open") is not None
    # A gateway policy of the tenant changes every one of its APIs.
    policy = {"id": "m1", "policyMapping": {"request": [{"policyName": "addHeader"}]}}
    state.load_snapshot(
        {
            "publisher": {
                "artifacts": [pets_api(9), *others[:1], changed, others[2]],
                "gatewayPolicies": [policy],
            }
        }
    )
    assert sorted(compiled[1:]) == ["api-0", "api-1", "api-2", "api-pets"]
