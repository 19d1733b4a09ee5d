"""Revisions, deployments, approvals of deployments, and what gateways get from the internal endpoints."""

from __future__ import annotations

from tests.publisher_api.conftest import BASE, Publisher, workflow_config


async def test_a_revision_is_201_with_its_number_and_description(publisher: Publisher) -> None:
    api = await publisher.create_api()
    response = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/revisions", json={"description": "first revision"}, headers=publisher.auth()
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["displayName"], body["description"], body["apiInfo"]["id"]) == (
        "Revision 1",
        "first revision",
        api["id"],
    )
    too_long = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/revisions", json={"description": "x" * 256}, headers=publisher.auth()
    )
    assert too_long.status_code == 400


async def test_a_sixth_revision_is_refused_until_one_is_deleted(publisher: Publisher) -> None:
    api = await publisher.create_api()
    revisions = [await publisher.revise(api["id"], f"r{i}") for i in range(5)]
    sixth = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/revisions", json={}, headers=publisher.auth()
    )
    assert sixth.status_code == 400
    assert sixth.json()["code"] == 900351
    deleted = await publisher.client.delete(
        f"{BASE}/apis/{api['id']}/revisions/{revisions[0]['id']}", headers=publisher.auth()
    )
    assert deleted.status_code == 200
    assert deleted.json()["count"] == 4
    again = await publisher.revise(api["id"], "after deleting one")
    assert again["displayName"] == "Revision 6"


async def test_a_revision_is_an_immutable_snapshot(publisher: Publisher) -> None:
    api = await publisher.create_api()
    revision = await publisher.revise(api["id"])
    await publisher.client.put(
        f"{BASE}/apis/{api['id']}",
        json={**api, "operations": [{"target": "/changed", "verb": "POST"}]},
        headers=publisher.auth(),
    )
    await publisher.deploy(api["id"], revision["id"])
    artifact = (
        await publisher.client.get(
            f"{BASE}/internal/runtime-artifacts/{revision['id']}", headers=publisher.internal()
        )
    ).json()
    assert [(o["verb"], o["target"]) for o in artifact["operations"]] == [("GET", "/menu")]


async def test_a_deploy_is_201_and_emits_one_deployment_event(publisher: Publisher) -> None:
    api = await publisher.create_api()
    revision = await publisher.revise(api["id"])
    response = await publisher.deploy(api["id"], revision["id"])
    assert response.status_code == 201
    (deployment,) = response.json()
    assert (deployment["name"], deployment["vhost"], deployment["status"]) == (
        "Default",
        "localhost",
        "APPROVED",
    )
    await publisher.settle()
    events = [e for t, e in publisher.events if t == "deployments"]
    assert len(events) == 1
    assert events[0].type == "deployment.deployed"
    assert events[0].data == {
        "apiId": api["id"],
        "revisionId": revision["id"],
        "environment": "Default",
        "vhost": "localhost",
        "context": "/pizza",
        "version": "1.0.0",
    }
    deployed = await publisher.client.get(
        f"{BASE}/apis/{api['id']}/revisions", params={"query": "deployed:true"}, headers=publisher.auth()
    )
    assert [r["id"] for r in deployed.json()["list"]] == [revision["id"]]


async def test_the_runtime_artifact_holds_everything_the_gateway_needs(publisher: Publisher) -> None:
    api = await publisher.create_api(
        {
            "apiKeyHeader": "X-Key",
            "securityScheme": ["oauth2", "api_key"],
            "maxTps": {"production": 50},
            "apiThrottlingPolicy": "10KPerMin",
            "isDefaultVersion": True,
            "corsConfiguration": {"corsConfigurationEnabled": True},
            "scopes": [{"scope": {"name": "menu:read", "bindings": ["admin"]}}],
            "operations": [
                {"target": "/menu", "verb": "GET", "scopes": ["menu:read"], "throttlingPolicy": "50KPerMin"}
            ],
        }
    )
    revision = await publisher.revise(api["id"])
    await publisher.deploy(api["id"], revision["id"])
    forbidden = await publisher.client.get(
        f"{BASE}/internal/runtime-artifacts/{revision['id']}", headers=publisher.auth()
    )
    assert forbidden.status_code == 403
    artifact = (
        await publisher.client.get(
            f"{BASE}/internal/runtime-artifacts/{revision['id']}", headers=publisher.internal()
        )
    ).json()
    assert artifact["tenant"] == "carbon.super"
    assert (artifact["id"], artifact["name"], artifact["context"], artifact["version"]) == (
        api["id"],
        "Pizza Shack",
        "/pizza",
        "1.0.0",
    )
    assert artifact["isDefaultVersion"] is True
    assert artifact["lifeCycleStatus"] == "CREATED"
    assert (artifact["revisionId"], artifact["environment"], artifact["vhost"]) == (
        revision["id"],
        "Default",
        "localhost",
    )
    assert artifact["type"] == "HTTP"
    assert artifact["securityScheme"] == ["oauth2", "api_key"]
    assert artifact["apiKeyHeader"] == "X-Key"
    assert artifact["authorizationHeader"] == "Authorization"
    assert artifact["transport"] == ["http", "https"]
    assert artifact["corsConfiguration"]["corsConfigurationEnabled"] is True
    assert artifact["endpointConfig"]["production_endpoints"]["url"] == "https://backend.example.com/pizza"
    assert artifact["maxTps"]["production"] == 50
    assert artifact["policies"] == ["Unlimited"]
    assert artifact["apiThrottlingPolicy"] == "10KPerMin"
    assert artifact["apiPolicies"] == {"request": [], "response": [], "fault": []}
    assert artifact["scopes"][0]["scope"]["name"] == "menu:read"
    assert artifact["operations"] == [
        {
            "verb": "GET",
            "target": "/menu",
            "authType": "Application & Application User",
            "throttlingPolicy": "50KPerMin",
            "scopes": ["menu:read"],
            "operationPolicies": {"request": [], "response": [], "fault": []},
        }
    ]


async def test_the_artifact_follows_lifecycle_changes_of_a_deployed_api(publisher: Publisher) -> None:
    api = await publisher.create_api()
    revision = await publisher.revise(api["id"])
    await publisher.deploy(api["id"], revision["id"])
    await publisher.lifecycle(api["id"], "Publish")
    await publisher.lifecycle(api["id"], "Block")
    url = f"{BASE}/internal/runtime-artifacts/{revision['id']}"
    assert (await publisher.client.get(url, headers=publisher.internal())).json()[
        "lifeCycleStatus"
    ] == "BLOCKED"


async def test_the_snapshot_lists_what_is_deployed_per_environment(publisher: Publisher) -> None:
    await publisher.tell(
        "environments",
        "environment.created",
        {
            "id": "env-eu",
            "name": "EU",
            "displayName": "Europe",
            "type": "hybrid",
            "vhosts": [{"host": "eu.example.com"}],
        },
    )
    first = await publisher.create_api()
    second = await publisher.create_api(
        {"name": "Burger", "context": "/burger"}, tenant="acme.com", user="bob@acme.com"
    )
    r1 = await publisher.revise(first["id"])
    await publisher.deploy(first["id"], r1["id"])
    r2 = (
        await publisher.client.post(
            f"{BASE}/apis/{second['id']}/revisions",
            json={},
            headers=publisher.auth(tenant="acme.com", user="bob@acme.com"),
        )
    ).json()
    deployed = await publisher.client.post(
        f"{BASE}/apis/{second['id']}/deploy-revision",
        params={"revisionId": r2["id"]},
        json=[{"name": "Default"}],
        headers=publisher.auth(tenant="acme.com", user="bob@acme.com"),
    )
    assert deployed.status_code == 201
    snapshot = (
        await publisher.client.get(
            f"{BASE}/internal/snapshot", params={"environment": "Default"}, headers=publisher.internal()
        )
    ).json()
    assert snapshot["environment"] == "Default"
    assert {(a["tenant"], a["name"]) for a in snapshot["artifacts"]} == {
        ("carbon.super", "Pizza Shack"),
        ("acme.com", "Burger"),
    }
    assert snapshot["gatewayPolicies"] == []
    eu = (
        await publisher.client.get(
            f"{BASE}/internal/snapshot", params={"environment": "EU"}, headers=publisher.internal()
        )
    ).json()
    assert eu["artifacts"] == []


async def test_one_revision_per_environment(publisher: Publisher) -> None:
    api = await publisher.create_api()
    first = await publisher.revise(api["id"])
    second = await publisher.revise(api["id"])
    await publisher.deploy(api["id"], first["id"])
    await publisher.deploy(api["id"], second["id"])
    deployments = (
        await publisher.client.get(f"{BASE}/apis/{api['id']}/deployments", headers=publisher.auth())
    ).json()
    assert [(d["revisionUuid"], d["name"]) for d in deployments["list"]] == [(second["id"], "Default")]
    deleted = await publisher.client.delete(
        f"{BASE}/apis/{api['id']}/revisions/{second['id']}", headers=publisher.auth()
    )
    assert deleted.status_code == 400


async def test_unknown_environments_and_vhosts_are_400(publisher: Publisher) -> None:
    api = await publisher.create_api()
    revision = await publisher.revise(api["id"])
    assert (await publisher.deploy(api["id"], revision["id"], environment="Nowhere")).status_code == 400
    wrong_vhost = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/deploy-revision",
        params={"revisionId": revision["id"]},
        json=[{"name": "Default", "vhost": "elsewhere.example.com"}],
        headers=publisher.auth(),
    )
    assert wrong_vhost.status_code == 400
    missing = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/deploy-revision", json=[{"name": "Default"}], headers=publisher.auth()
    )
    assert missing.status_code == 400


async def test_environments_announced_by_admin_can_be_deployed_to_and_removed(publisher: Publisher) -> None:
    env = {
        "id": "env-1",
        "name": "Staging",
        "displayName": "Staging",
        "type": "hybrid",
        "vhosts": [{"host": "stg.local"}],
    }
    await publisher.tell("environments", "environment.created", env)
    api = await publisher.create_api()
    revision = await publisher.revise(api["id"])
    response = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/deploy-revision",
        params={"revisionId": revision["id"]},
        json=[{"name": "Staging"}],
        headers=publisher.auth(),
    )
    assert response.status_code == 201
    assert response.json()[0]["vhost"] == "stg.local"
    settings = (await publisher.client.get(f"{BASE}/settings", headers=publisher.auth())).json()
    assert {e["name"] for e in settings["environment"]} == {"Default", "Staging"}
    await publisher.tell("environments", "environment.deleted", env)
    assert (await publisher.deploy(api["id"], revision["id"], environment="Staging")).status_code == 400


async def test_undeploy_emits_an_undeployed_event_and_removes_the_artifact(publisher: Publisher) -> None:
    api = await publisher.create_api()
    revision = await publisher.revise(api["id"])
    await publisher.deploy(api["id"], revision["id"])
    response = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/undeploy-revision",
        params={"revisionId": revision["id"]},
        json=[{"name": "Default", "vhost": "localhost"}],
        headers=publisher.auth(),
    )
    assert response.status_code == 201
    assert response.json() == []
    await publisher.settle()
    assert [e.data["environment"] for e in publisher.of_type("deployment.undeployed")] == ["Default"]
    gone = await publisher.client.get(
        f"{BASE}/internal/runtime-artifacts/{revision['id']}", headers=publisher.internal()
    )
    assert gone.status_code == 404


async def test_retiring_an_api_undeploys_it(publisher: Publisher) -> None:
    api = await publisher.create_api()
    revision = await publisher.revise(api["id"])
    await publisher.deploy(api["id"], revision["id"])
    for action in ("Publish", "Deprecate", "Retire"):
        assert (await publisher.lifecycle(api["id"], action)).status_code == 200
    await publisher.settle()
    assert len(publisher.of_type("deployment.undeployed")) == 1
    assert (await publisher.deploy(api["id"], revision["id"])).status_code == 400


async def test_restoring_a_revision_brings_back_its_operations(publisher: Publisher) -> None:
    api = await publisher.create_api()
    revision = await publisher.revise(api["id"])
    await publisher.client.put(
        f"{BASE}/apis/{api['id']}",
        json={**api, "operations": [{"target": "/new", "verb": "POST"}]},
        headers=publisher.auth(),
    )
    restored = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/restore-revision",
        params={"revisionId": revision["id"]},
        headers=publisher.auth(),
    )
    assert restored.status_code == 201
    assert [(o["verb"], o["target"]) for o in restored.json()["operations"]] == [("GET", "/menu")]
    swagger = (
        await publisher.client.get(f"{BASE}/apis/{api['id']}/swagger", headers=publisher.auth())
    ).json()
    assert set(swagger["paths"]) == {"/menu"}


async def test_with_deployment_approval_nothing_reaches_gateways_until_approved(publisher: Publisher) -> None:
    await publisher.tell("tenants", "tenant-config.updated", workflow_config("AM_REVISION_DEPLOYMENT"))
    api = await publisher.create_api()
    revision = await publisher.revise(api["id"])
    response = await publisher.deploy(api["id"], revision["id"])
    assert response.status_code == 201
    assert response.json()[0]["status"] == "CREATED"
    await publisher.settle()
    assert [e for t, e in publisher.events if t == "deployments"] == []
    pending = await publisher.client.get(
        f"{BASE}/internal/runtime-artifacts/{revision['id']}", headers=publisher.internal()
    )
    assert pending.status_code == 404
    (requested,) = publisher.of_type("workflow.requested")
    assert requested.data["workflowType"] == "AM_REVISION_DEPLOYMENT"
    assert requested.data["properties"]["environment"] == "Default"
    await publisher.tell(
        "workflows",
        "workflow.decided",
        {
            "workflowReferenceId": requested.data["workflowReferenceId"],
            "workflowType": "AM_REVISION_DEPLOYMENT",
            "status": "APPROVED",
        },
    )
    await publisher.settle()
    assert [e.type for t, e in publisher.events if t == "deployments"] == ["deployment.deployed"]
    deployments = (
        await publisher.client.get(f"{BASE}/apis/{api['id']}/deployments", headers=publisher.auth())
    ).json()
    assert deployments["list"][0]["status"] == "APPROVED"


async def test_a_rejected_deployment_leaves_the_running_revision_in_place(publisher: Publisher) -> None:
    api = await publisher.create_api()
    first = await publisher.revise(api["id"])
    await publisher.deploy(api["id"], first["id"])
    await publisher.tell("tenants", "tenant-config.updated", workflow_config("AM_REVISION_DEPLOYMENT"))
    second = await publisher.revise(api["id"])
    await publisher.deploy(api["id"], second["id"])
    await publisher.settle()
    (requested,) = publisher.of_type("workflow.requested")
    await publisher.tell(
        "workflows",
        "workflow.decided",
        {
            "workflowReferenceId": requested.data["workflowReferenceId"],
            "workflowType": "AM_REVISION_DEPLOYMENT",
            "status": "REJECTED",
        },
    )
    await publisher.settle()
    assert len([e for t, e in publisher.events if t == "deployments"]) == 1
    deployments = (
        await publisher.client.get(f"{BASE}/apis/{api['id']}/deployments", headers=publisher.auth())
    ).json()
    assert {(d["revisionUuid"], d["status"]) for d in deployments["list"]} == {
        (first["id"], "APPROVED"),
        (second["id"], "REJECTED"),
    }
    running = await publisher.client.get(
        f"{BASE}/internal/runtime-artifacts/{first['id']}", headers=publisher.internal()
    )
    assert running.status_code == 200


async def test_the_publisher_may_cancel_a_pending_deployment(publisher: Publisher) -> None:
    await publisher.tell("tenants", "tenant-config.updated", workflow_config("AM_REVISION_DEPLOYMENT"))
    api = await publisher.create_api()
    revision = await publisher.revise(api["id"])
    await publisher.deploy(api["id"], revision["id"])
    assert (await publisher.deploy(api["id"], revision["id"])).status_code == 409
    cancelled = await publisher.client.delete(
        f"{BASE}/apis/{api['id']}/cancel-revision-workflow/{revision['id']}/Default", headers=publisher.auth()
    )
    assert cancelled.status_code == 200
    deployments = (
        await publisher.client.get(f"{BASE}/apis/{api['id']}/deployments", headers=publisher.auth())
    ).json()
    assert deployments["count"] == 0
    await publisher.settle()
    (requested,) = publisher.of_type("workflow.requested")
    await publisher.tell(
        "workflows",
        "workflow.decided",
        {
            "workflowReferenceId": requested.data["workflowReferenceId"],
            "workflowType": "AM_REVISION_DEPLOYMENT",
            "status": "APPROVED",
        },
    )
    await publisher.settle()
    assert [e for t, e in publisher.events if t == "deployments"] == []
    again = await publisher.client.delete(
        f"{BASE}/apis/{api['id']}/cancel-revision-workflow/{revision['id']}/Default", headers=publisher.auth()
    )
    assert again.status_code == 404


async def test_a_redelivered_decision_changes_nothing(publisher: Publisher) -> None:
    await publisher.tell("tenants", "tenant-config.updated", workflow_config("AM_REVISION_DEPLOYMENT"))
    api = await publisher.create_api()
    revision = await publisher.revise(api["id"])
    await publisher.deploy(api["id"], revision["id"])
    await publisher.settle()
    (requested,) = publisher.of_type("workflow.requested")
    from apim_common.events import new_event

    decision = new_event(
        "admin-api",
        "workflow.decided",
        requested.data["workflowReferenceId"],
        {
            "workflowReferenceId": requested.data["workflowReferenceId"],
            "workflowType": "AM_REVISION_DEPLOYMENT",
            "status": "APPROVED",
        },
    )
    for _ in range(2):
        await publisher.bus.publish("workflows", decision)
        await publisher.bus.drain()
    await publisher.settle()
    assert len(publisher.of_type("deployment.deployed")) == 1


async def test_revision_endpoints_need_their_scopes(publisher: Publisher) -> None:
    api = await publisher.create_api()
    viewer = publisher.auth(["apim:api_view"])
    assert (
        await publisher.client.post(f"{BASE}/apis/{api['id']}/revisions", json={}, headers=viewer)
    ).status_code == 403
    assert (
        await publisher.client.get(f"{BASE}/apis/{api['id']}/revisions", headers=viewer)
    ).status_code == 200
    revision = await publisher.revise(api["id"])
    deploy = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/deploy-revision",
        params={"revisionId": revision["id"]},
        json=[{"name": "Default"}],
        headers=viewer,
    )
    assert deploy.status_code == 403
