"""The Publisher portal: APIs (create, import, design, resources, policies, lifecycle, revisions,
documents, subscriptions), API products, change owner and global gateway policies.

Every page reads and writes through the Publisher v4 REST API as the signed-in user; a refused
write is shown with the API's message, by field where the answer names one.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from apim_portals.client import ApiError
from apim_portals.portal_forms import ADMIN_API, PUBLISHER_API, call, lines, quiet, regroup
from apim_portals.publisher import graphql, policies, streaming
from apim_portals.web import Page, PublisherPage, form_list, form_str

router = APIRouter(prefix="/publisher", include_in_schema=False)

TABS = ("overview", "design", "resources", "policies", "lifecycle", "revisions", "documents", "subscriptions")
VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
SCHEMES = ("oauth2", "api_key", "basic_auth", "mutualssl")


async def pub(page: Page, method: str, path: str, **kwargs: Any) -> Any:
    return await call(page, PUBLISHER_API, method, path, **kwargs)


@router.get("")
@router.get("/")
async def home() -> Response:
    return RedirectResponse("/publisher/apis", status_code=303)


async def _list(page: Page, q: str = "", error: ApiError | None = None, **extra: Any) -> Response:
    params: dict[str, Any] = {"limit": 100}
    if q:
        params["query"] = q
    found = await quiet(page, PUBLISHER_API, "/apis", {"list": []}, params=params)
    return page.render(
        "publisher/apis.html",
        status=error.status if error else 200,
        active="apis",
        apis=found.get("list", []),
        q=q,
        error=error,
        fields=error.fields if error else {},
        **extra,
    )


@router.get("/apis")
async def api_list(page: PublisherPage, q: str = "") -> Response:
    page.user()
    if page.htmx and page.request.headers.get("hx-target") == "api-rows":
        found = await quiet(page, PUBLISHER_API, "/apis", {"list": []}, params={"query": q} if q else None)
        return page.render("publisher/_api_rows.html", apis=found.get("list", []))
    return await _list(page, q)


def _endpoint_config(url: str, sandbox: str = "") -> dict[str, Any]:
    config: dict[str, Any] = {"endpoint_type": "http"}
    if url:
        config["production_endpoints"] = {"url": url}
    if sandbox:
        config["sandbox_endpoints"] = {"url": sandbox}
    return config


@router.post("/apis")
async def create_api(page: PublisherPage) -> Response:
    form = await page.form()
    body: dict[str, Any] = {
        "name": form_str(form, "name"),
        "context": form_str(form, "context"),
        "version": form_str(form, "version"),
        "description": form_str(form, "description") or None,
        "policies": ["Unlimited"],
    }
    if form_str(form, "endpoint"):
        body["endpointConfig"] = _endpoint_config(form_str(form, "endpoint"))
    try:
        api = await pub(page, "POST", "/apis", json=body)
    except ApiError as exc:
        return await _list(page, error=exc, create=body)
    page.notice(f"API {api['name']} created")
    return page.redirect(f"/apis/{api['id']}")


async def _definition_source(form: FormData) -> tuple[dict[str, Any], dict[str, Any]]:
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        return {}, {"file": (upload.filename, await upload.read(), "application/octet-stream")}
    return {"url": form_str(form, "url")}, {}


@router.post("/apis/import")
async def import_api(page: PublisherPage) -> Response:
    """Validate first, so the validator's messages are shown inline; import only a valid document."""
    form = await page.form()
    data, files = await _definition_source(form)
    if not data.get("url") and not files:
        exc = ApiError(
            400, "Bad Request", "Choose a file or give a URL", {"url": "a file or a URL is needed"}
        )
        return await _list(page, error=exc, tab="import")
    try:
        verdict = await pub(page, "POST", "/apis/validate-openapi", data=data, files=files or None)
    except ApiError as exc:
        return await _list(page, error=exc, tab="import")
    if not verdict.get("isValid"):
        return await _list(page, tab="import", problems=verdict.get("errors", []))
    info = verdict.get("info") or {}
    extra: dict[str, Any] = {
        "name": form_str(form, "name") or info.get("name"),
        "version": form_str(form, "version") or info.get("version"),
        "context": form_str(form, "context") or info.get("context"),
        "policies": ["Unlimited"],
    }
    if form_str(form, "endpoint"):
        extra["endpointConfig"] = _endpoint_config(form_str(form, "endpoint"))
    data["additionalProperties"] = json.dumps({k: v for k, v in extra.items() if v})
    try:
        api = await pub(page, "POST", "/apis/import-openapi", data=data, files=files or None)
    except ApiError as exc:
        return await _list(page, error=exc, tab="import")
    page.notice(f"API {api['name']} imported from {info.get('openAPIVersion') or 'its definition'}")
    return page.redirect(f"/apis/{api['id']}")


@router.post("/apis/import-asyncapi")
async def import_asyncapi(page: PublisherPage) -> Response:
    """A streaming API from an AsyncAPI document: validated first (its errors shown inline), its
    type (WS, SSE, WEBSUB) derived from the servers' protocol by the Publisher."""
    form = await page.form()
    data, files = await _definition_source(form)
    if not data.get("url") and not files:
        exc = ApiError(
            400, "Bad Request", "Choose a file or give a URL", {"asyncapi_url": "a file or a URL is needed"}
        )
        return await _list(page, error=exc, tab="asyncapi")
    try:
        verdict = await pub(page, "POST", "/apis/validate-asyncapi", data=data, files=files or None)
    except ApiError as exc:
        return await _list(page, error=regroup(exc, {"url": "asyncapi_url"}), tab="asyncapi")
    if not verdict.get("isValid"):
        return await _list(page, tab="asyncapi", async_problems=verdict.get("errors", []))
    info = verdict.get("info") or {}
    if form_str(form, "op") == "validate":
        return await _list(page, tab="asyncapi", async_info=info)
    data["additionalProperties"] = json.dumps(streaming.import_properties(form, info))
    try:
        api = await pub(page, "POST", "/apis/import-asyncapi", data=data, files=files or None)
    except ApiError as exc:
        return await _list(page, error=exc, tab="asyncapi", async_info=info)
    page.notice(streaming.import_notice(api, info))
    return page.redirect(f"/apis/{api['id']}")


@router.post("/apis/import-graphql")
async def import_graphql(page: PublisherPage) -> Response:
    """A GraphQL API from a schema file: validated first (the error with its line and column shown
    inline, or the operations its root fields make), then imported."""
    form = await page.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        needed = {"graphql_file": "a schema file is needed"}
        exc = ApiError(400, "Bad Request", "Choose a schema file", needed)
        return await _list(page, error=exc, tab="graphql")
    files = {"file": (upload.filename, await upload.read(), "application/graphql")}
    try:
        verdict = await pub(page, "POST", "/apis/validate-graphql-schema", files=files)
    except ApiError as exc:
        return await _list(page, error=exc, tab="graphql")
    if not verdict.get("isValid"):
        return await _list(page, tab="graphql", graphql_problem=verdict.get("errorMessage"))
    info = verdict.get("graphQLInfo") or {}
    if form_str(form, "op") == "validate":
        return await _list(page, tab="graphql", graphql_operations=info.get("operations", []))
    data = {"type": "GraphQL", "additionalProperties": json.dumps(graphql.import_properties(form))}
    try:
        api = await pub(page, "POST", "/apis/import-graphql-schema", data=data, files=files)
    except ApiError as exc:
        return await _list(page, error=exc, tab="graphql", graphql_operations=info.get("operations", []))
    page.notice(f"GraphQL API {api['name']} imported with {len(api.get('operations', []))} operations")
    return page.redirect(f"/apis/{api['id']}/operations")


async def _tab_data(page: Page, api_id: str, tab: str, api: dict[str, Any]) -> dict[str, Any]:
    if tab == "design":
        categories = await quiet(page, PUBLISHER_API, "/api-categories", {"list": []})
        return {"categories": categories.get("list", [])}
    if tab == "resources":
        tiers = await quiet(page, PUBLISHER_API, "/throttling-policies/api", {"list": []})
        return {"tiers": tiers.get("list", [])}
    if tab == "topics":
        return await streaming.topics_context(page, api)
    if tab == "operations":
        return await graphql.operations_context(page, api)
    if tab == "complexity":
        return await graphql.complexity_context(page, api)
    if tab == "policies":
        return await policies.context(page, api)
    if tab == "lifecycle":
        state, history = await asyncio.gather(
            pub(page, "GET", f"/apis/{api_id}/lifecycle-state"),
            quiet(page, PUBLISHER_API, f"/apis/{api_id}/lifecycle-history", {"list": []}),
        )
        return {"state": state, "history": history.get("list", [])}
    if tab == "revisions":
        revisions, deployments, envs = await asyncio.gather(
            pub(page, "GET", f"/apis/{api_id}/revisions"),
            quiet(page, PUBLISHER_API, f"/apis/{api_id}/deployments", {"list": []}),
            quiet(page, PUBLISHER_API, "/settings", {}),
        )
        names = {r["id"]: r["displayName"] for r in revisions.get("list", [])}
        return {
            "revisions": revisions.get("list", []),
            "deployments": deployments.get("list", []),
            "environments": envs.get("environment", []),
            "revision_names": names,
        }
    if tab == "documents":
        docs = await quiet(page, PUBLISHER_API, f"/apis/{api_id}/documents", {"list": []})
        return {"documents": docs.get("list", [])}
    if tab == "subscriptions":
        subs, plans = await asyncio.gather(
            quiet(page, PUBLISHER_API, "/subscriptions", {"list": []}, params={"apiId": api_id}),
            streaming.subscription_tiers(page, api),
        )
        return {"subscriptions": subs.get("list", []), "plans": plans}
    return {}


async def _api_page(
    page: Page, api_id: str, tab: str, error: ApiError | None = None, **extra: Any
) -> Response:
    try:
        api = await pub(page, "GET", f"/apis/{api_id}")
        data = await _tab_data(page, api_id, tab, api)
    except ApiError as exc:
        return page.render("publisher/api.html", status=exc.status, api={}, tab=tab, tabs=TABS, error=exc)
    return page.render(
        "publisher/api.html",
        status=error.status if error else 200,
        active="apis",
        api=api,
        tab=tab,
        tabs=graphql.tabs(api, streaming.tabs(api, TABS)),
        error=error,
        fields=error.fields if error else {},
        verbs=VERBS,
        schemes=SCHEMES,
        **{**data, **extra},
    )


@router.get("/apis/{api_id}")
async def api_overview(page: PublisherPage, api_id: str) -> Response:
    page.user()
    return await _api_page(page, api_id, "overview")


@router.get("/apis/{api_id}/{tab}")
async def api_tab(page: PublisherPage, api_id: str, tab: str) -> Response:
    page.user()
    if tab not in TABS and tab not in streaming.TABS and tab not in graphql.TABS:
        return page.render("not_found.html", status=404)
    return await _api_page(page, api_id, tab)


async def _update(
    page: Page, api_id: str, tab: str, change: Any, inputs: dict[str, str] | None = None
) -> Response:
    """GET the API, let ``change`` edit it, PUT it back; the API's refusal is shown on the tab
    (its field errors by the ``inputs`` that sent them, see ``regroup``)."""
    try:
        api = await pub(page, "GET", f"/apis/{api_id}")
        change(api)
        await pub(page, "PUT", f"/apis/{api_id}", json=api)
    except ApiError as exc:
        return await _api_page(page, api_id, tab, error=regroup(exc, inputs or {}))
    page.notice("Saved")
    return page.redirect(f"/apis/{api_id}/{tab}")


def _endpoints(form: FormData) -> dict[str, Any] | None:
    kind = form_str(form, "endpoint_type", "http")
    production = lines(form_str(form, "production_endpoints"))
    sandbox = lines(form_str(form, "sandbox_endpoints"))
    if not production and not sandbox:
        return None
    config: dict[str, Any] = {"endpoint_type": kind}
    if kind == "load_balance":
        config["production_endpoints"] = [{"url": u} for u in production]
        config["sandbox_endpoints"] = [{"url": u} for u in sandbox]
        config["algoCombo"] = "org.apache.synapse.endpoints.algorithms.RoundRobin"
    else:
        config["production_endpoints"] = {"url": production[0]} if production else None
        config["sandbox_endpoints"] = {"url": sandbox[0]} if sandbox else None
        if kind == "failover":
            config["production_failovers"] = [{"url": u} for u in production[1:]]
            config["sandbox_failovers"] = [{"url": u} for u in sandbox[1:]]
    return config


@router.post("/apis/{api_id}/design")
async def save_design(page: PublisherPage, api_id: str) -> Response:
    form = await page.form()

    def change(api: dict[str, Any]) -> None:
        api["description"] = form_str(form, "description") or None
        api["endpointConfig"] = _endpoints(form)
        api["securityScheme"] = form_list(form, "securityScheme")
        api["apiKeyHeader"] = form_str(form, "apiKeyHeader")
        api["corsConfiguration"] = {
            "corsConfigurationEnabled": form.get("corsEnabled") == "on",
            "accessControlAllowOrigins": lines(form_str(form, "corsOrigins")),
            "accessControlAllowHeaders": lines(form_str(form, "corsHeaders")),
            "accessControlAllowMethods": lines(form_str(form, "corsMethods")),
            "accessControlAllowCredentials": form.get("corsCredentials") == "on",
        }
        api["businessInformation"] = {
            "businessOwner": form_str(form, "businessOwner") or None,
            "businessOwnerEmail": form_str(form, "businessOwnerEmail") or None,
            "technicalOwner": form_str(form, "technicalOwner") or None,
            "technicalOwnerEmail": form_str(form, "technicalOwnerEmail") or None,
        }
        api["visibility"] = form_str(form, "visibility", "PUBLIC")
        api["visibleRoles"] = lines(form_str(form, "visibleRoles"))
        api["tags"] = lines(form_str(form, "tags"))
        api["categories"] = form_list(form, "categories")

    return await _update(page, api_id, "design", change, {"endpointConfig": "endpointConfig"})


@router.post("/apis/{api_id}/resources")
async def save_resources(page: PublisherPage, api_id: str) -> Response:
    """The operations table as edited: kept rows, their tiers, scopes and auth, and a new one."""
    form = await page.form()

    def change(api: dict[str, Any]) -> None:
        kept = []
        for index, op in enumerate(api.get("operations", [])):
            if form.get(f"remove-{index}") == "on":
                continue
            op["throttlingPolicy"] = form_str(
                form, f"tier-{index}", op.get("throttlingPolicy") or "Unlimited"
            )
            op["authType"] = form_str(
                form, f"auth-{index}", op.get("authType") or "Application & Application User"
            )
            op["scopes"] = lines(form_str(form, f"scopes-{index}"))
            kept.append(op)
        if form_str(form, "new_target"):
            kept.append(
                {
                    "target": form_str(form, "new_target"),
                    "verb": form_str(form, "new_verb", "GET"),
                    "throttlingPolicy": form_str(form, "new_tier", "Unlimited"),
                    "authType": form_str(form, "new_auth", "Application & Application User"),
                }
            )
        api["operations"] = kept
        if form_str(form, "scope_name"):
            api.setdefault("scopes", []).append(
                {
                    "scope": {
                        "name": form_str(form, "scope_name"),
                        "displayName": form_str(form, "scope_name"),
                        "description": form_str(form, "scope_description"),
                        "bindings": lines(form_str(form, "scope_roles")),
                    },
                    "shared": False,
                }
            )

    # A GraphQL API's operations are edited on its Operations tab, with the same rows.
    tab = "operations" if form_str(form, "tab") == "operations" else "resources"
    return await _update(page, api_id, tab, change)


@router.post("/apis/{api_id}/complexity")
async def save_complexity(page: PublisherPage, api_id: str) -> Response:
    """The complexity values as edited: one per field whose box is filled."""
    form = await page.form()
    base = f"/apis/{api_id}/graphql-policies/complexity"
    try:
        types = await pub(page, "GET", f"{base}/types")
        values = graphql.read_complexity(form, types.get("typeList", []))
        await pub(page, "PUT", base, json=values)
    except ApiError as exc:
        return await _api_page(page, api_id, "complexity", error=regroup(exc, {"list": "complexity"}))
    page.notice("Complexity values saved")
    return page.redirect(f"/apis/{api_id}/complexity")


@router.post("/apis/{api_id}/topics")
async def save_topics(page: PublisherPage, api_id: str) -> Response:
    """The topics table as edited: kept rows, their modes and descriptions, and a new one."""
    form = await page.form()
    try:
        await pub(page, "PUT", f"/apis/{api_id}/topics", json=streaming.read_topics(form))
    except ApiError as exc:
        return await _api_page(page, api_id, "topics", error=regroup(exc, {"list": "topics"}))
    page.notice("Topics saved")
    return page.redirect(f"/apis/{api_id}/topics")


@router.post("/apis/{api_id}/plans")
async def save_plans(page: PublisherPage, api_id: str) -> Response:
    """The business plans (subscription tiers) the API offers to subscribers."""
    form = await page.form()

    def change(api: dict[str, Any]) -> None:
        api["policies"] = form_list(form, "policies")

    return await _update(page, api_id, "subscriptions", change, {"policies": "policies"})


@router.post("/apis/{api_id}/policies")
async def save_policies(page: PublisherPage, api_id: str) -> Response:
    form = await page.form()
    target = form_str(form, "target", "api")

    def change(api: dict[str, Any]) -> None:
        flows = policies.read_flows(form)
        if target == "api":
            api["apiPolicies"] = flows
        else:
            for op in api.get("operations", []):
                if f"{op['verb']} {op['target']}" == target:
                    op["operationPolicies"] = flows

    try:
        api = await pub(page, "GET", f"/apis/{api_id}")
        change(api)
        await pub(page, "PUT", f"/apis/{api_id}", json=api)
    except ApiError as exc:
        return await _api_page(
            page, api_id, "policies", error=exc, target=target, posted=policies.read_flows(form)
        )
    page.notice("Policies saved")
    suffix = "" if target == "api" else "?target=" + target.replace(" ", "%20")
    return page.redirect(f"/apis/{api_id}/policies{suffix}")


@router.post("/apis/{api_id}/lifecycle")
async def change_lifecycle(page: PublisherPage, api_id: str) -> Response:
    form = await page.form()
    action = form_str(form, "action")
    try:
        answer = await pub(page, "POST", "/apis/change-lifecycle", params={"apiId": api_id, "action": action})
    except ApiError as exc:
        return await _api_page(page, api_id, "lifecycle", error=exc)
    if answer and answer.get("workflowStatus") == "CREATED":
        page.notice(f"{action} awaits approval", "info")
    else:
        page.notice(f"Lifecycle: {action} done")
    return page.redirect(f"/apis/{api_id}/lifecycle")


@router.post("/apis/{api_id}/revisions")
async def revision_action(page: PublisherPage, api_id: str) -> Response:
    form = await page.form()
    op = form_str(form, "op", "create")
    revision = form_str(form, "revisionId")
    environments = form_list(form, "environment")
    body = [
        {"name": e, "vhost": form_str(form, f"vhost-{e}", "localhost"), "displayOnDevportal": True}
        for e in environments
    ]
    try:
        if op == "create":
            await pub(
                page, "POST", f"/apis/{api_id}/revisions", json={"description": form_str(form, "description")}
            )
            page.notice("Revision created")
        elif op == "deploy":
            if not body:
                raise ApiError(400, "Bad Request", "Choose an environment", {"environment": "choose one"})
            done = await pub(
                page, "POST", f"/apis/{api_id}/deploy-revision", params={"revisionId": revision}, json=body
            )
            pending = [d for d in done or [] if d.get("status") == "CREATED"]
            page.notice(
                "Deployment awaits approval" if pending else "Revision deployed",
                "info" if pending else "success",
            )
        elif op == "undeploy":
            await pub(
                page, "POST", f"/apis/{api_id}/undeploy-revision", params={"revisionId": revision}, json=body
            )
            page.notice("Revision undeployed")
        elif op == "restore":
            await pub(page, "POST", f"/apis/{api_id}/restore-revision", params={"revisionId": revision})
            page.notice("Revision restored to the working copy")
    except ApiError as exc:
        return await _api_page(page, api_id, "revisions", error=exc)
    return page.redirect(f"/apis/{api_id}/revisions")


@router.post("/apis/{api_id}/documents")
async def add_document(page: PublisherPage, api_id: str) -> Response:
    form = await page.form()
    body = {
        "name": form_str(form, "name"),
        "type": form_str(form, "type", "HOWTO"),
        "sourceType": "MARKDOWN",
        "inlineContent": form_str(form, "content"),
        "visibility": "API_LEVEL",
    }
    try:
        await pub(page, "POST", f"/apis/{api_id}/documents", json=body)
    except ApiError as exc:
        return await _api_page(page, api_id, "documents", error=exc)
    page.notice(f"Document {body['name']} added")
    return page.redirect(f"/apis/{api_id}/documents")


@router.post("/apis/{api_id}/subscriptions")
async def block_subscription(page: PublisherPage, api_id: str) -> Response:
    form = await page.form()
    subscription = form_str(form, "subscriptionId")
    try:
        if form_str(form, "op") == "unblock":
            await pub(
                page, "POST", "/subscriptions/unblock-subscription", params={"subscriptionId": subscription}
            )
        else:
            state = form_str(form, "blockState", "BLOCKED")
            await pub(
                page,
                "POST",
                "/subscriptions/block-subscription",
                params={"subscriptionId": subscription, "blockState": state},
            )
    except ApiError as exc:
        return await _api_page(page, api_id, "subscriptions", error=exc)
    page.notice("Subscription updated")
    return page.redirect(f"/apis/{api_id}/subscriptions")


@router.post("/apis/{api_id}/owner")
async def change_owner(page: PublisherPage, api_id: str) -> Response:
    form = await page.form()
    try:
        provider = form_str(form, "provider")
        await call(page, ADMIN_API, "POST", f"/apis/{api_id}/change-provider", params={"provider": provider})
    except ApiError as exc:
        return await _api_page(page, api_id, "overview", error=exc)
    page.notice("Owner changed")
    return page.redirect(f"/apis/{api_id}")


# API products


@router.get("/api-products")
async def products_page(page: PublisherPage) -> Response:
    page.user()
    return await products(page)


async def products(page: Page, error: ApiError | None = None) -> Response:
    found, apis = await asyncio.gather(
        quiet(page, PUBLISHER_API, "/api-products", {"list": []}),
        quiet(page, PUBLISHER_API, "/apis", {"list": []}, params={"limit": 100}),
    )
    return page.render(
        "publisher/products.html",
        status=error.status if error else 200,
        active="products",
        products=found.get("list", []),
        apis=apis.get("list", []),
        error=error,
        fields=error.fields if error else {},
    )


@router.post("/api-products")
async def create_product(page: PublisherPage) -> Response:
    form = await page.form()
    try:
        if form_str(form, "op") == "version":
            await pub(
                page,
                "POST",
                "/api-products/copy-api-products",
                params={
                    "newVersion": form_str(form, "newVersion"),
                    "apiProductId": form_str(form, "productId"),
                },
            )
            page.notice("New version created")
        else:
            members = []
            for api_id in form_list(form, "apis"):
                api = await pub(page, "GET", f"/apis/{api_id}")
                ops = [{"target": o["target"], "verb": o["verb"]} for o in api.get("operations", [])]
                members.append({"apiId": api_id, "name": api["name"], "operations": ops})
            body = {
                "name": form_str(form, "name"),
                "context": form_str(form, "context"),
                "version": form_str(form, "version") or "1.0.0",
                "policies": ["Unlimited"],
                "apis": members,
            }
            await pub(page, "POST", "/api-products", json=body)
            page.notice(f"API product {body['name']} created")
    except ApiError as exc:
        return await products(page, error=exc)
    return page.redirect("/api-products")


# Global gateway policies


@router.get("/gateway-policies")
async def gateway_policies_page(page: PublisherPage) -> Response:
    page.user()
    return await gateway_policies(page)


async def gateway_policies(page: Page, error: ApiError | None = None) -> Response:
    found, catalogue, envs = await asyncio.gather(
        quiet(page, PUBLISHER_API, "/gateway-policies", {"list": []}),
        policies.catalogue(page),
        quiet(page, PUBLISHER_API, "/settings", {}),
    )
    return page.render(
        "publisher/gateway_policies.html",
        status=error.status if error else 200,
        active="gateway",
        mappings=found.get("list", []),
        catalogue=catalogue,
        environments=envs.get("environment", []),
        error=error,
        fields=error.fields if error else {},
        flows=policies.FLOWS,
        attached={},
    )


@router.post("/gateway-policies")
async def gateway_policy_action(page: PublisherPage) -> Response:
    form = await page.form()
    op = form_str(form, "op", "create")
    mapping = form_str(form, "mappingId")
    try:
        if op == "create":
            body = {
                "displayName": form_str(form, "displayName"),
                "description": form_str(form, "description"),
                "policyMapping": policies.read_flows(form),
            }
            await pub(page, "POST", "/gateway-policies", json=body)
            page.notice(f"Gateway policy {body['displayName']} created")
        else:
            gateways = [
                {"gatewayLabel": g, "gatewayDeployment": op == "deploy"} for g in form_list(form, "gateway")
            ]
            if not gateways:
                raise ApiError(400, "Bad Request", "Choose a gateway", {"gateway": "choose one"})
            await pub(page, "POST", f"/gateway-policies/{mapping}/deploy", json=gateways)
            page.notice("Deployed" if op == "deploy" else "Undeployed")
    except ApiError as exc:
        return await gateway_policies(page, error=exc)
    return page.redirect("/gateway-policies")
