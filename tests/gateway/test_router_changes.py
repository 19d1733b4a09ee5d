"""One deployment changes the routing table in place of building it again, with the same routes."""

from __future__ import annotations

import random

import pytest

from apim_gateway.runtime.apis import BackendSettings
from apim_gateway.runtime.router import Router
from apim_gateway.runtime.state import RuntimeState
from tests.gateway.conftest import pets_api


def _state() -> RuntimeState:
    return RuntimeState(
        environment="Default",
        default_vhost="localhost",
        backend=BackendSettings(default_timeout=5.0, failure_threshold=5, open_for=30.0),
    )


def _api(n: int, version: str, revision: int, context: str | None = None) -> dict[str, object]:
    """Version ``version`` of API ``n`` (context /shop{n}; 2.0.0 is the default version)."""
    return pets_api(
        9,
        id=f"api-{n}-{version}",
        name=f"Api{n}",
        context=context or f"/shop{n}",
        version=version,
        isDefaultVersion=version == "2.0.0",
        revisionId=f"rev-{n}-{version}-{revision}",
    )


def _routes(router: Router) -> list[object]:
    paths = [f"/shop{n}/{v}/echo/open" for n in range(4) for v in ("1.0.0", "2.0.0", "3.0.0", "x")]
    paths += [f"/shop{n}/echo/open" for n in range(4)]
    paths += ["/t/acme.com/shop1/1.0.0/echo/open", "/pets/1.0.0/json"]
    found = []
    for path in paths:
        routed = router.route("localhost", path)
        found.append(None if routed is None else (routed[0].id, routed[0].revision_id, routed[1]))
    return found


def test_deploys_and_undeploys_route_as_a_table_built_afresh() -> None:
    state = _state()
    chance = random.Random(26)
    for revision in range(300):
        n, version = chance.randrange(4), chance.choice(("1.0.0", "2.0.0", "3.0.0"))
        if chance.random() < 0.3:
            state.undeploy(f"api-{n}-{version}")
        else:
            state.deploy(_api(n, version, revision))
        assert _routes(state.router) == _routes(Router(state.apis.values(), "localhost"))
    assert any(_routes(state.router))


def test_one_deployment_does_not_build_the_table_again(monkeypatch: pytest.MonkeyPatch) -> None:
    state = _state()
    state.load_snapshot({"publisher": {"artifacts": [_api(n, "1.0.0", 1) for n in range(50)]}})
    before = state.router
    built: list[object] = []
    original = Router.__init__

    def counted(self: Router, *args: object, **kwargs: object) -> None:
        built.append(args)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Router, "__init__", counted)
    assert state.deploy(_api(99, "1.0.0", 1, context="/fresh"))
    assert built == []
    assert state.router.route("localhost", "/fresh/1.0.0/echo/open") is not None
    assert before.route("localhost", "/fresh/1.0.0/echo/open") is None, "the old table is left as it was"


def test_apis_with_the_same_uri_template_share_one_compiled_template() -> None:
    state = _state()
    state.load_snapshot({"publisher": {"artifacts": [_api(n, "1.0.0", 1) for n in range(2)]}})
    first, second = (state.apis[f"api-{n}-1.0.0"] for n in range(2))
    routed = [state.router.route("localhost", f"/shop{n}/1.0.0/echo/7") for n in range(2)]
    assert all(r is not None for r in routed)
    (one,) = (op for op in first.pattern_ops["GET"] if op.target == "/echo/{id}")
    (other,) = (op for op in second.pattern_ops["GET"] if op.target == "/echo/{id}")
    assert one is not other
    assert one.template is other.template
