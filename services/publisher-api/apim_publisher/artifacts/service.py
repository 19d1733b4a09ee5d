"""What a gateway needs to serve a deployed revision, in one self-contained document."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import NotFound
from apim_publisher.apis.models import API
from apim_publisher.apis.repository import APIRepository
from apim_publisher.gateway_policies.service import deployed_to as deployed_gateway_policies
from apim_publisher.revisions.models import Deployment, Revision
from apim_publisher.revisions.repository import DeploymentRepository, RevisionRepository
from apim_publisher.revisions.service import display_name

# Fields of the revision's API snapshot the gateway reads, under their WSO2 names.
API_FIELDS = (
    "id",
    "name",
    "context",
    "version",
    "provider",
    "isDefaultVersion",
    "type",
    "transport",
    "securityScheme",
    "apiKeyHeader",
    "authorizationHeader",
    "corsConfiguration",
    "endpointConfig",
    "maxTps",
    "policies",
    "apiThrottlingPolicy",
    "scopes",
    "enableSchemaValidation",
    "endpointImplementationType",
    "responseCachingEnabled",
    "cacheTimeout",
    "keyManagers",
    "visibility",
    # The gateway refuses applications of tenants the API is not available to.
    "subscriptionAvailability",
    "subscriptionAvailableTenants",
    # A WEBSUB API's event signing (its secret sealed), checked by the gateway's hub.
    "websubSubscriptionConfiguration",
    # A GRAPHQL API's switch for introspection queries (__schema, __type).
    "graphQLIntrospection",
)
NO_POLICIES: dict[str, list[Any]] = {"request": [], "response": [], "fault": []}


def _policies(raw: Any) -> dict[str, list[Any]]:
    raw = raw if isinstance(raw, dict) else {}
    return {flow: list(raw.get(flow) or []) for flow in NO_POLICIES}


def _product_operations(product: dict[str, Any], members: dict[str, Any]) -> list[dict[str, Any]]:
    """Each operation with its member API's backend and policies: all a gateway needs to route it."""
    operations = []
    for member in product.get("apis") or []:
        api = members.get(member.get("apiId")) or {}
        resolved = api.get("policies") or {}
        api_level = _policies(resolved.get("apiPolicies"))
        soap_calls = {
            (str(m.get("httpVerb") or "").upper(), "/" + str(m.get("resourcePath") or "").strip("/")): m
            for m in api.get("soapToRest") or []
        }
        for op in member.get("operations") or []:
            key = f"{op.get('verb')} {op.get('target')}"
            own = _policies((resolved.get("operations") or {}).get(key))
            operations.append(
                {
                    "verb": op.get("verb"),
                    "target": op.get("target"),
                    "authType": op.get("authType"),
                    "throttlingPolicy": op.get("throttlingPolicy"),
                    "scopes": list(op.get("scopes") or []),
                    # The member API's API-level policies win over its operation-level ones (4.3).
                    "operationPolicies": api_level if any(api_level.values()) else own,
                    "apiId": member.get("apiId"),
                    "apiName": api.get("name"),
                    "apiContext": api.get("context"),
                    "apiVersion": api.get("version"),
                    "endpointConfig": api.get("endpointConfig"),
                    "soapToRest": soap_calls.get((str(op.get("verb")).upper(), str(op.get("target")))),
                }
            )
    return operations


def _product_scopes(members: dict[str, Any]) -> list[Any]:
    merged: dict[str, Any] = {}
    for member in members.values():
        for scope in member.get("scopes") or []:
            merged.setdefault(scope["scope"]["name"], scope)
    return list(merged.values())


def build(api: API, revision: Revision, deployment: Deployment) -> dict[str, Any]:
    snapshot: dict[str, Any] = revision.snapshot["api"]
    resolved: dict[str, Any] = revision.snapshot.get("policies") or {}
    resolved_operations: dict[str, Any] = resolved.get("operations") or {}
    artifact: dict[str, Any] = {field: snapshot.get(field) for field in API_FIELDS}
    artifact.update(
        {
            "tenant": api.tenant,
            # The state is the API's current one: blocking or retiring a deployed API reaches the gateway.
            "lifeCycleStatus": api.lifecycle_status,
            "revisionId": revision.id,
            "revisionNumber": revision.number,
            "revisionDisplayName": display_name(revision),
            "environment": deployment.environment,
            "vhost": deployment.vhost,
            "deployedTime": deployment.success_deployed_at.isoformat()
            if deployment.success_deployed_at
            else None,
            "authorizationHeader": snapshot.get("authorizationHeader") or "Authorization",
            "environmentProperties": (revision.snapshot.get("environmentProperties") or {}).get(
                deployment.environment, {}
            ),
            "apiPolicies": _policies(resolved.get("apiPolicies", snapshot.get("apiPolicies"))),
            # Public data of the client certificates the revision was taken with (mutual TLS).
            "clientCertificates": list(revision.snapshot.get("clientCertificates") or []),
            "operations": [
                {
                    "verb": op.get("verb"),
                    "target": op.get("target"),
                    "authType": op.get("authType"),
                    "throttlingPolicy": op.get("throttlingPolicy"),
                    "scopes": list(op.get("scopes") or []),
                    "operationPolicies": _policies(
                        resolved_operations.get(
                            f"{op.get('verb')} {op.get('target')}", op.get("operationPolicies")
                        )
                    ),
                }
                for op in snapshot.get("operations") or []
            ],
        }
    )
    if artifact.get("enableSchemaValidation") or artifact.get("endpointImplementationType") not in (
        None,
        "ENDPOINT",
    ):
        # Validators and mock answers are compiled from the definition deployed with the revision.
        artifact["definition"] = revision.snapshot.get("definition")
    if api.type == "GRAPHQL":
        # The gateway parses and analyses queries against the schema deployed with the revision;
        # a (type, field) without a complexity value costs 1.
        artifact["graphQLSchema"] = revision.snapshot.get("graphQLSchema")
        artifact["graphQLComplexity"] = revision.snapshot.get("graphQLComplexity") or {"list": []}
        artifact["graphQLIntrospection"] = snapshot.get("graphQLIntrospection") is not False
    if api.type == "SOAPTOREST":
        # The gateway makes each resource's SOAP call from the mappings taken with the revision.
        artifact["soapToRest"] = revision.snapshot.get("soapToRest") or []
    if api.type == "APIProduct":
        members: dict[str, Any] = revision.snapshot.get("members") or {}
        artifact.update(
            {
                "type": "APIProduct",
                "endpointConfig": None,
                "scopes": _product_scopes(members),
                "operations": _product_operations(snapshot, members),
                # Member APIs the gateway answers from their definitions, keyed by API id.
                "memberImplementations": {
                    api_id: {
                        "endpointImplementationType": member.get("endpointImplementationType"),
                        "definition": member.get("definition"),
                    }
                    for api_id, member in members.items()
                    if member.get("endpointImplementationType") not in (None, "ENDPOINT")
                },
            }
        )
    return artifact


async def for_revision(session: AsyncSession, revision_id: str, environment: str | None) -> dict[str, Any]:
    revision = await RevisionRepository(session).get(revision_id)
    deployments = [
        d
        for d in (await DeploymentRepository(session).of_revision(revision_id) if revision else [])
        if d.status == "APPROVED" and (environment is None or d.environment == environment)
    ]
    api = await APIRepository(session).get(revision.api_id) if revision else None
    if revision is None or api is None or not deployments:
        raise NotFound(
            f"Revision '{revision_id}' is not deployed{f' to {environment}' if environment else ''}",
            message="Runtime artifact not found",
        )
    return build(api, revision, deployments[0])


async def snapshot(session: AsyncSession, environment: str) -> dict[str, Any]:
    """Every artifact deployed to ``environment``: three queries (per thousand deployments)
    whatever their number, since a starting gateway waits for it."""
    deployments = await DeploymentRepository(session).approved_in(environment)
    revisions = await RevisionRepository(session).by_ids({d.revision_id for d in deployments})
    apis = await APIRepository(session).headers_by_ids({d.api_id for d in deployments})
    artifacts = [
        build(apis[d.api_id], revisions[d.revision_id], d)
        for d in deployments
        if d.revision_id in revisions and d.api_id in apis
    ]
    gateway_policies = await deployed_gateway_policies(session, environment)
    return {"environment": environment, "artifacts": artifacts, "gatewayPolicies": gateway_policies}
