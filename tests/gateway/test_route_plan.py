"""What the request path decides per operation is decided once, when the revision is compiled."""

from __future__ import annotations

from typing import Any

from apim_gateway.runtime.apis import BackendSettings, CompiledApi, Operation, compile_api
from tests.gateway.conftest import pets_api

_BACKEND = BackendSettings(default_timeout=5.0, failure_threshold=5, open_for=30.0)


def _compiled(**extra: Any) -> CompiledApi:
    return compile_api(pets_api(18_999, **extra), None, _BACKEND, "localhost")


def _op(api: CompiledApi, verb: str, target: str) -> Operation:
    found = api.operation(verb, target)
    assert found is not None
    return found[0]


def test_a_plain_rest_operation_takes_the_lean_path_and_reads_nothing_of_the_call() -> None:
    op = _op(_compiled(), "GET", "/json")

    assert op.plain
    assert not op.reads_call


def test_an_operation_with_its_own_or_its_apis_advanced_tier_may_read_the_call() -> None:
    own = pets_api(18_999)
    own["operations"][2]["throttlingPolicy"] = "10PerMin"
    assert _op(compile_api(own, None, _BACKEND, "localhost"), "GET", "/json").reads_call
    assert _op(_compiled(apiThrottlingPolicy="10PerMin"), "GET", "/json").reads_call


def test_blocked_cached_mocked_or_validated_apis_take_the_general_path() -> None:
    assert not _op(_compiled(lifeCycleStatus="BLOCKED"), "GET", "/json").plain
    assert not _op(_compiled(responseCachingEnabled=True), "GET", "/json").plain
    mocked = _compiled(
        endpointImplementationType="INLINE",
        definition={"openapi": "3.0.1", "paths": {"/json": {"get": {"responses": {"200": {}}}}}},
    )
    assert not _op(mocked, "GET", "/json").plain
