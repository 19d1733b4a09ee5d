"""WSO2's REST quick start, step by step over HTTP (../shared/reference/wso2-quickstart-flow.md), in
both modes: the standalone runner, and every service its own process with two gateways."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosedError, InvalidStatus
from websockets.sync.client import connect as ws_connect
from websockets.sync.server import ServerConnection
from websockets.sync.server import serve as ws_serve

from tests.e2e.conftest import Platform
from tests.support.graphql_backend import SCHEMA as FILMS_SCHEMA
from tests.support.graphql_backend import graphql_backend
from tests.support.processes import backend_process
from tests.support.windows import window_of, with_room_in_window

pytestmark = pytest.mark.e2e


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture(scope="module", params=["standalone", "distributed"])
def deployment(request: pytest.FixtureRequest) -> Platform:
    name = "platform" if request.param == "standalone" else "distributed"
    platform: Platform = request.getfixturevalue(name)
    return platform


@pytest.fixture(scope="module")
def control(deployment: Platform) -> Iterator[httpx.Client]:
    with deployment.control_client() as client:
        yield client


@pytest.fixture(scope="module")
def gateways(deployment: Platform) -> Iterator[list[httpx.Client]]:
    clients = deployment.gateway_clients()
    yield clients
    for client in clients:
        client.close()


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    with backend_process() as port:
        yield f"http://127.0.0.1:{port}"


class QuickStart:
    """What the walk has made so far, shared by its steps."""

    rest_client: dict[str, Any]
    user_token: str
    api_id: str
    revision_id: str
    app_id: str
    keys: dict[str, Any]
    app_token: str


@pytest.fixture(scope="module")
def walk(deployment: Platform) -> QuickStart:
    return QuickStart()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_01_register_a_rest_client_with_dcr(control: httpx.Client, walk: QuickStart) -> None:
    body = {
        "callbackUrl": "www.example.com",
        "clientName": "rest_api_publisher",
        "owner": "admin",
        "grantType": "client_credentials password refresh_token",
        "saasApp": True,
    }
    r = control.post("/client-registration/v0.17/register", json=body, headers=basic("admin", "admin"))
    assert r.status_code == 200, r.text
    walk.rest_client = r.json()
    assert walk.rest_client["clientId"]
    assert walk.rest_client["clientSecret"]


def test_02_get_a_user_token_with_the_password_grant(control: httpx.Client, walk: QuickStart) -> None:
    scopes = "apim:api_view apim:api_create apim:api_publish apim:subscribe apim:app_manage apim:sub_manage"
    r = control.post(
        "/oauth2/token",
        data={"grant_type": "password", "username": "admin", "password": "admin", "scope": scopes},
        headers=basic(walk.rest_client["clientId"], walk.rest_client["clientSecret"]),
    )
    assert r.status_code == 200, r.text
    assert set(r.json()["scope"].split()) == set(scopes.split())
    walk.user_token = r.json()["access_token"]


def test_03_create_the_api(control: httpx.Client, walk: QuickStart, backend: str) -> None:
    body = {
        "name": "PizzaShackAPI",
        "context": "/pizza",
        "version": "1.0.0",
        "policies": ["Unlimited", "Bronze"],
        "endpointConfig": {
            "endpoint_type": "http",
            "production_endpoints": {"url": f"{backend}/echo"},
            "sandbox_endpoints": {"url": f"{backend}/echo"},
        },
        "operations": [
            {
                "target": "/menu",
                "verb": "GET",
                "authType": "Application & Application User",
                "throttlingPolicy": "Unlimited",
            },
            {
                "target": "/order",
                "verb": "POST",
                "authType": "Application & Application User",
                "throttlingPolicy": "Unlimited",
            },
        ],
    }
    r = control.post("/api/am/publisher/v4/apis", json=body, headers=bearer(walk.user_token))
    assert r.status_code == 201, r.text
    assert r.json()["lifeCycleStatus"] == "CREATED"
    walk.api_id = r.json()["id"]


def test_04_add_a_revision(control: httpx.Client, walk: QuickStart) -> None:
    r = control.post(
        f"/api/am/publisher/v4/apis/{walk.api_id}/revisions",
        json={"description": "first revision"},
        headers=bearer(walk.user_token),
    )
    assert r.status_code == 201, r.text
    walk.revision_id = r.json()["id"]


def test_05_deploy_the_revision_to_default(control: httpx.Client, walk: QuickStart) -> None:
    r = control.post(
        f"/api/am/publisher/v4/apis/{walk.api_id}/deploy-revision",
        params={"revisionId": walk.revision_id},
        json=[{"name": "Default", "vhost": "localhost", "displayOnDevportal": True}],
        headers=bearer(walk.user_token),
    )
    assert r.status_code == 201, r.text


def test_06_publish(control: httpx.Client, walk: QuickStart) -> None:
    r = control.post(
        "/api/am/publisher/v4/apis/change-lifecycle",
        params={"apiId": walk.api_id, "action": "Publish"},
        headers=bearer(walk.user_token),
    )
    assert r.status_code == 200, r.text
    r = control.get(f"/api/am/publisher/v4/apis/{walk.api_id}", headers=bearer(walk.user_token))
    assert r.json()["lifeCycleStatus"] == "PUBLISHED"


def test_07_find_the_api_in_the_devportal(control: httpx.Client, walk: QuickStart) -> None:
    deadline = time.monotonic() + 5
    while True:
        r = control.get("/api/am/devportal/v3/apis", params={"query": "name:PizzaShackAPI"})
        assert r.status_code == 200, r.text
        if [a for a in r.json()["list"] if a["id"] == walk.api_id]:
            break
        assert time.monotonic() < deadline, "the published API never reached the devportal catalog"
        time.sleep(0.1)


def test_08_create_an_application(control: httpx.Client, walk: QuickStart) -> None:
    body = {"name": "PizzaApp", "throttlingPolicy": "Unlimited", "description": "Sample", "tokenType": "JWT"}
    r = control.post("/api/am/devportal/v3/applications", json=body, headers=bearer(walk.user_token))
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "APPROVED"
    walk.app_id = r.json()["applicationId"]


def test_09_subscribe(control: httpx.Client, walk: QuickStart) -> None:
    body = {"applicationId": walk.app_id, "apiId": walk.api_id, "throttlingPolicy": "Bronze"}
    r = control.post("/api/am/devportal/v3/subscriptions", json=body, headers=bearer(walk.user_token))
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "UNBLOCKED"


def test_10_generate_keys(control: httpx.Client, walk: QuickStart) -> None:
    body = {
        "keyType": "PRODUCTION",
        "keyManager": "Resident Key Manager",
        "grantTypesToBeSupported": ["client_credentials", "password", "refresh_token"],
        "callbackUrl": "",
        "scopes": ["am_application_scope", "default"],
        "validityTime": 3600,
    }
    r = control.post(
        f"/api/am/devportal/v3/applications/{walk.app_id}/generate-keys",
        json=body,
        headers=bearer(walk.user_token),
    )
    assert r.status_code == 200, r.text
    walk.keys = r.json()
    assert walk.keys["consumerKey"]
    assert walk.keys["consumerSecret"]


def test_11_get_an_application_token(control: httpx.Client, walk: QuickStart) -> None:
    r = control.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers=basic(walk.keys["consumerKey"], walk.keys["consumerSecret"]),
    )
    assert r.status_code == 200, r.text
    walk.app_token = r.json()["access_token"]


def test_12_call_the_api_through_each_gateway(gateways: list[httpx.Client], walk: QuickStart) -> None:
    for gateway in gateways:
        r = _eventually(lambda g=gateway: g.get("/pizza/1.0.0/menu", headers=bearer(walk.app_token)), _ok, 15)
        assert r.status_code == 200, r.text
        assert r.json()["path"] == "/echo/menu"


def test_12b_a_large_order_streams_to_the_backend_while_it_is_sent(
    gateways: list[httpx.Client], walk: QuickStart, backend: str
) -> None:
    """Under each mode's HTTP server the backend has the start of the body before the client sends
    the rest, and gets it whole, chunked as the client sent it."""
    first, rest = os.urandom(1 << 20), os.urandom(1 << 20)
    for gateway in gateways:
        upload = uuid.uuid4().hex
        backend_had_the_start: list[bool] = []

        def chunks(upload: str = upload, seen: list[bool] = backend_had_the_start) -> Iterator[bytes]:
            yield first

            def arrived(progress: httpx.Response) -> bool:
                return progress.status_code == 200 and progress.json()["bytes"] >= len(first)

            seen.append(arrived(_eventually(lambda: httpx.get(f"{backend}/uploads/{upload}"), arrived, 10)))
            yield rest

        order = f"/pizza/1.0.0/order?upload={upload}"
        r = gateway.post(order, headers=bearer(walk.app_token), content=chunks())
        assert r.status_code == 200, r.text
        assert backend_had_the_start == [True]
        got = r.json()
        assert (got["bytes"], got["sha256"]) == (2 << 20, hashlib.sha256(first + rest).hexdigest())
        assert got["transferEncoding"] == "chunked"


def test_13_a_call_without_a_token_is_900902(gateways: list[httpx.Client]) -> None:
    for gateway in gateways:
        r = gateway.get("/pizza/1.0.0/menu")
        assert r.status_code == 401
        assert r.json()["code"] == "900902"


def _ok(r: httpx.Response) -> bool:
    return r.status_code == 200


def _app_token(
    control: httpx.Client, walk: QuickStart, name: str, tier: str, subscription_tier: str = "Unlimited"
) -> tuple[str, dict[str, Any]]:
    """A further application on ``tier``, subscribed to the API on ``subscription_tier``: its
    client-credentials token and keys."""
    r = control.post(
        "/api/am/devportal/v3/applications",
        json={"name": name, "throttlingPolicy": tier, "tokenType": "JWT"},
        headers=bearer(walk.user_token),
    )
    assert r.status_code == 201, r.text
    app_id = r.json()["applicationId"]
    r = control.post(
        "/api/am/devportal/v3/subscriptions",
        json={"applicationId": app_id, "apiId": walk.api_id, "throttlingPolicy": subscription_tier},
        headers=bearer(walk.user_token),
    )
    assert r.status_code == 201, r.text
    r = control.post(
        f"/api/am/devportal/v3/applications/{app_id}/generate-keys",
        json={
            "keyType": "PRODUCTION",
            "keyManager": "Resident Key Manager",
            "grantTypesToBeSupported": ["client_credentials"],
        },
        headers=bearer(walk.user_token),
    )
    assert r.status_code == 200, r.text
    keys = r.json()
    r = control.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers=basic(keys["consumerKey"], keys["consumerSecret"]),
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"]), keys


def _eventually(call: Any, predicate: Any, seconds: float = 5) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        r = call()
        if predicate(r) or time.monotonic() > deadline:
            return r
        time.sleep(0.05)


def test_14_the_application_tier_limit_holds_across_every_gateway(
    control: httpx.Client, gateways: list[httpx.Client], walk: QuickStart
) -> None:
    token, _ = _app_token(control, walk, "TenPerMinApp", "10PerMin")
    # Every counted call must fall in one minute window, or the next window admits more.
    with_room_in_window(60, room=30)
    started = time.time()
    for gateway in gateways:
        _eventually(lambda g=gateway: g.get("/pizza/1.0.0/menu", headers=bearer(token)), _ok, 15)
    # each gateway's first admitted call counted too; then 10PerMin is shared by all of them
    calls = [gateways[n % len(gateways)].get("/pizza/1.0.0/menu", headers=bearer(token)) for n in range(20)]
    assert window_of(60) == window_of(60, started), "the calls crossed a minute window"
    statuses = [r.status_code for r in calls]
    assert statuses.count(200) == 10 - len(gateways), statuses
    refused = [r for r in calls if r.status_code == 429]
    assert refused
    assert {r.json()["code"] for r in refused} == {"900803"}
    assert all(int(r.headers["retry-after"]) >= 1 for r in refused)


def test_15_a_revoked_token_is_refused_by_every_gateway_within_a_second(
    control: httpx.Client, gateways: list[httpx.Client], walk: QuickStart
) -> None:
    token, keys = _app_token(control, walk, "RevokedApp", "Unlimited")
    for gateway in gateways:
        _eventually(lambda g=gateway: g.get("/pizza/1.0.0/menu", headers=bearer(token)), _ok, 15)
    r = control.post(
        "/oauth2/revoke",
        data={"token": token},
        headers=basic(keys["consumerKey"], keys["consumerSecret"]),
    )
    assert r.status_code == 200, r.text
    revoked_at = time.monotonic()
    for gateway in gateways:
        r = _eventually(lambda g=gateway: g.get("/pizza/1.0.0/menu", headers=bearer(token)), _refused)
        assert r.status_code == 401
        assert r.json()["code"] == "900901"
    assert time.monotonic() - revoked_at < 1.0


def _refused(r: httpx.Response) -> bool:
    return r.status_code == 401


def _change_lifecycle(control: httpx.Client, walk: QuickStart, action: str) -> None:
    r = control.post(
        "/api/am/publisher/v4/apis/change-lifecycle",
        params={"apiId": walk.api_id, "action": action},
        headers=bearer(walk.user_token),
    )
    assert r.status_code == 200, r.text


def test_16_a_blocked_api_answers_503_700700_on_every_gateway(
    control: httpx.Client, gateways: list[httpx.Client], walk: QuickStart
) -> None:
    _change_lifecycle(control, walk, "Block")
    for gateway in gateways:
        r = _eventually(
            lambda g=gateway: g.get("/pizza/1.0.0/menu", headers=bearer(walk.app_token)),
            lambda r: r.status_code == 503,
        )
        assert r.status_code == 503
        assert r.json()["code"] == "700700"


def test_17_a_retired_api_is_gone_from_every_gateway(
    control: httpx.Client, gateways: list[httpx.Client], walk: QuickStart
) -> None:
    _change_lifecycle(control, walk, "Deprecate")
    _change_lifecycle(control, walk, "Retire")
    for gateway in gateways:
        r = _eventually(
            lambda g=gateway: g.get("/pizza/1.0.0/menu", headers=bearer(walk.app_token)),
            lambda r: r.status_code == 404,
        )
        assert r.status_code == 404
        assert r.json()["code"] == "900906"


@pytest.fixture(scope="module")
def ws_echo() -> Iterator[tuple[str, list[str]]]:
    """A ``websockets`` backend that greets each connection, then echoes every message; it keeps the
    messages it received."""
    received: list[str] = []

    def echo(connection: ServerConnection) -> None:
        connection.send("welcome")
        for message in connection:
            received.append(str(message))
            connection.send(f"echo: {message}")

    with ws_serve(echo, "127.0.0.1", 0) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}", received
        server.shutdown()
        thread.join(5)


def chat_asyncapi(backend: str) -> dict[str, Any]:
    return {
        "asyncapi": "2.6.0",
        "info": {"title": "ChatAPI", "version": "1.0.0", "description": "Rooms to chat in"},
        "servers": {"production": {"url": backend, "protocol": "ws"}},
        "channels": {
            "/rooms/{room}": {
                "parameters": {"room": {"schema": {"type": "string"}}},
                "subscribe": {"message": {"payload": {"type": "string"}}},
                "publish": {"message": {"payload": {"type": "string"}}},
            }
        },
    }


class StreamingStep:
    """The WebSocket API of the walk's streaming steps."""

    api_id: str


@pytest.fixture(scope="module")
def chat(deployment: Platform) -> StreamingStep:
    return StreamingStep()


def test_18_import_a_websocket_api_from_asyncapi(
    control: httpx.Client, walk: QuickStart, chat: StreamingStep, ws_echo: tuple[str, list[str]]
) -> None:
    backend, _ = ws_echo
    properties = {
        "context": "/chat",
        "policies": ["AsyncBronze", "AsyncUnlimited"],
        "endpointConfig": {
            "endpoint_type": "ws",
            "production_endpoints": {"url": backend},
            "sandbox_endpoints": {"url": backend},
        },
    }
    document = json.dumps(chat_asyncapi(backend)).encode()
    r = control.post(
        "/api/am/publisher/v4/apis/import-asyncapi",
        files={"file": ("chat.json", document, "application/json")},
        data={"additionalProperties": json.dumps(properties)},
        headers=bearer(walk.user_token),
    )
    assert r.status_code == 201, r.text
    api = r.json()
    assert (api["type"], api["context"]) == ("WS", "/chat")
    assert sorted((op["verb"], op["target"]) for op in api["operations"]) == [
        ("PUBLISH", "/rooms/{room}"),
        ("SUBSCRIBE", "/rooms/{room}"),
    ]
    chat.api_id = api["id"]


def test_19_revise_deploy_publish_and_subscribe_on_a_streaming_tier(
    control: httpx.Client, walk: QuickStart, chat: StreamingStep
) -> None:
    publisher, auth = "/api/am/publisher/v4", bearer(walk.user_token)
    r = control.post(f"{publisher}/apis/{chat.api_id}/revisions", json={"description": "chat"}, headers=auth)
    assert r.status_code == 201, r.text
    r = control.post(
        f"{publisher}/apis/{chat.api_id}/deploy-revision",
        params={"revisionId": r.json()["id"]},
        json=[{"name": "Default", "vhost": "localhost", "displayOnDevportal": True}],
        headers=auth,
    )
    assert r.status_code == 201, r.text
    r = control.post(
        f"{publisher}/apis/change-lifecycle", params={"apiId": chat.api_id, "action": "Publish"}, headers=auth
    )
    assert r.status_code == 200, r.text
    body = {"applicationId": walk.app_id, "apiId": chat.api_id, "throttlingPolicy": "AsyncBronze"}
    r = _eventually(
        lambda: control.post("/api/am/devportal/v3/subscriptions", json=body, headers=auth),
        lambda r: r.status_code == 201,
    )
    assert r.status_code == 201, r.text
    assert (r.json()["throttlingPolicy"], r.json()["status"]) == ("AsyncBronze", "UNBLOCKED")


def _ws_chat(url: str, token: str) -> list[str]:
    """Connect once the gateway serves the API (404, 403 until its events arrive), say hello.

    A gateway's first frame on a fresh key waits for a lease from the shared counter; on a busy
    machine that wait can run out (4003) as the walk's first HTTP call may answer 429, so each is
    tried again until the deadline, as the HTTP steps do."""
    deadline = time.monotonic() + 10
    while True:
        try:
            with ws_connect(url, additional_headers=bearer(token), open_timeout=5) as socket:
                got = [str(socket.recv(timeout=5))]
                socket.send("hello")
                got.append(str(socket.recv(timeout=5)))
                return got
        except InvalidStatus as refused:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{url}: {refused.response.status_code} {refused.response.body!r}"
                ) from None
        except ConnectionClosedError as closed:
            if closed.rcvd is None or closed.rcvd.code != 4003 or time.monotonic() > deadline:
                raise
        time.sleep(0.05)


def test_20_frames_go_both_ways_through_each_gateway(
    gateways: list[httpx.Client], walk: QuickStart, chat: StreamingStep, ws_echo: tuple[str, list[str]]
) -> None:
    _, received = ws_echo
    for gateway in gateways:
        url = str(gateway.base_url.copy_with(scheme="ws", path="/chat/1.0.0/rooms/lobby"))
        before = len(received)
        assert _ws_chat(url, walk.app_token) == ["welcome", "echo: hello"]
        assert set(received[before:]) == {"hello"}


@pytest.fixture(scope="module")
def films_backend() -> Iterator[str]:
    with graphql_backend() as port:
        yield f"http://127.0.0.1:{port}/graphql"


class GraphQLStep:
    """The GraphQL API of the walk's GraphQL steps."""

    api_id: str


@pytest.fixture(scope="module")
def films(deployment: Platform) -> GraphQLStep:
    return GraphQLStep()


def test_21_import_a_graphql_api_from_its_schema(
    control: httpx.Client, walk: QuickStart, films: GraphQLStep, films_backend: str
) -> None:
    properties = {
        "name": "Films",
        "version": "1.0.0",
        "context": "/films",
        "policies": ["Unlimited"],
        "endpointConfig": {
            "endpoint_type": "http",
            "production_endpoints": {"url": films_backend},
            "sandbox_endpoints": {"url": films_backend},
        },
    }
    r = control.post(
        "/api/am/publisher/v4/apis/import-graphql-schema",
        files={"file": ("films.graphql", FILMS_SCHEMA.encode(), "application/graphql")},
        data={"type": "GraphQL", "additionalProperties": json.dumps(properties)},
        headers=bearer(walk.user_token),
    )
    assert r.status_code == 201, r.text
    api = r.json()
    assert api["type"] == "GRAPHQL"
    operations = {(op["verb"], op["target"]) for op in api["operations"]}
    assert {("QUERY", "hello"), ("MUTATION", "addFilm"), ("SUBSCRIPTION", "counter")} <= operations
    films.api_id = api["id"]


def test_22_revise_deploy_publish_and_subscribe_to_the_graphql_api(
    control: httpx.Client, walk: QuickStart, films: GraphQLStep
) -> None:
    publisher, auth = "/api/am/publisher/v4", bearer(walk.user_token)
    api_url = f"{publisher}/apis/{films.api_id}"
    r = control.post(f"{api_url}/revisions", json={"description": "films"}, headers=auth)
    assert r.status_code == 201, r.text
    r = control.post(
        f"{api_url}/deploy-revision",
        params={"revisionId": r.json()["id"]},
        json=[{"name": "Default", "vhost": "localhost", "displayOnDevportal": True}],
        headers=auth,
    )
    assert r.status_code == 201, r.text
    r = control.post(
        f"{publisher}/apis/change-lifecycle",
        params={"apiId": films.api_id, "action": "Publish"},
        headers=auth,
    )
    assert r.status_code == 200, r.text
    body = {"applicationId": walk.app_id, "apiId": films.api_id, "throttlingPolicy": "Unlimited"}
    r = _eventually(
        lambda: control.post("/api/am/devportal/v3/subscriptions", json=body, headers=auth),
        lambda r: r.status_code == 201,
    )
    assert r.status_code == 201, r.text
    schema = control.get(f"/api/am/devportal/v3/apis/{films.api_id}/graphql-schema", headers=auth)
    assert schema.text == FILMS_SCHEMA


def test_23_a_query_goes_through_each_gateway(
    gateways: list[httpx.Client], walk: QuickStart, films: GraphQLStep
) -> None:
    query = {"query": "query Greet($who: String) { hello(name: $who) }", "variables": {"who": "films"}}
    for gateway in gateways:
        r = _eventually(
            lambda g=gateway: g.post("/films/1.0.0", json=query, headers=bearer(walk.app_token)), _ok, 15
        )
        assert r.status_code == 200, r.text
        assert r.json()["data"] == {"hello": "hello films"}
        invalid = gateway.post("/films/1.0.0", json={"query": "{ nope }"}, headers=bearer(walk.app_token))
        assert (invalid.status_code, invalid.json()["code"]) == (400, "900422")
