"""The Developer Portal's pages: catalog, API overview, documents, reference, applications, keys.

Every page reads and writes through the DevPortal v3 REST API (``Page.api``) as the signed-in user.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse, RedirectResponse, Response

from apim_portals.client import ApiError
from apim_portals.devportal import streaming
from apim_portals.sessions import TryItCredential
from apim_portals.web import TENANT_COOKIE, DevportalPage, Page, form_list, form_str

router = APIRouter(prefix="/devportal", include_in_schema=False)

KEY_TYPES = ("PRODUCTION", "SANDBOX")
# API types without an OpenAPI definition to generate an SDK from.
NO_SDK_TYPES = frozenset({"WS", "WEBSUB", "SSE", "ASYNC", "WEBHOOK", "GRAPHQL"})
GRANT_TYPES = (
    "client_credentials",
    "password",
    "refresh_token",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
)


def catalog_query(q: str, tag: str, category: str) -> str:
    parts = []
    if tag:
        parts.append(f'tag:"{tag}"' if " " in tag else f"tag:{tag}")
    if category:
        parts.append(f'api-category:"{category}"' if " " in category else f"api-category:{category}")
    if q:
        parts.append(q)
    return " ".join(parts)


def gateway_base(gateway_url: str, api: dict[str, Any]) -> str:
    """Where the gateway serves ``api``: its context and version under the gateway URL."""
    context, version = str(api.get("context", "")), str(api.get("version", ""))
    path = context.replace("{version}", version) if "{version}" in context else f"{context}/{version}"
    return gateway_url.rstrip("/") + path


async def _quiet(page: Page, path: str, default: Any, **kwargs: Any) -> Any:
    """A side panel's data; its failure must not take the page down."""
    try:
        return await page.api("GET", path, **kwargs)
    except ApiError:
        return default


SIDE_LIST_TTL = 30.0


async def _side_list(page: Page, path: str, params: dict[str, Any] | None) -> Any:
    """The filter lists change rarely: each viewer's is reused for half a minute."""
    viewer = page.session.username if page.session is not None and page.session.signed_in else ""
    key = (path, page.tenant or "", viewer or "")

    async def load() -> Any:
        found = await _quiet(page, path, {"list": []}, params=params)
        return found if found.get("list") else None

    return await page.platform.cached(key, SIDE_LIST_TTL, load) or {"list": []}


@router.get("")
@router.get("/")
async def home() -> Response:
    return RedirectResponse("/devportal/apis", status_code=303)


@router.get("/tenant")
async def switch_tenant(page: DevportalPage, domain: str = "") -> Response:
    """Browse another tenant's catalog (``X-WSO2-Tenant``); empty means the user's own."""
    response = RedirectResponse("/devportal/apis", status_code=303)
    if page.session is not None:
        page.session.tenant = domain or None
    if domain:
        response.set_cookie(TENANT_COOKIE, domain, httponly=True, samesite="lax", path="/")
    else:
        response.delete_cookie(TENANT_COOKIE, path="/")
    return response


@router.get("/apis")
async def catalog(
    page: DevportalPage, q: str = "", tag: str = "", category: str = "", p: int = 1
) -> Response:
    size = page.settings.page_size
    p = max(p, 1)
    params: dict[str, Any] = {"limit": size, "offset": (p - 1) * size}
    query = catalog_query(q.strip(), tag, category)
    if query:
        params["query"] = query
    try:
        found = await page.api("GET", "/apis", params=params)
    except ApiError as exc:
        return page.error(exc, "devportal/catalog.html" if not page.htmx else "partials/error.html")
    total = int(found.get("pagination", {}).get("total", found.get("count", 0)))
    context: dict[str, Any] = {
        "apis": found.get("list", []),
        "total": total,
        "p": p,
        "pages": max(1, math.ceil(total / size)),
        "q": q,
        "tag": tag,
        "category": category,
    }
    if page.htmx and page.request.headers.get("hx-target") == "catalog-results":
        return page.render("partials/catalog_results.html", **context)
    tags, categories, tenants = await asyncio.gather(
        _side_list(page, "/tags", {"limit": 50}),
        _side_list(page, "/api-categories", None),
        _side_list(page, "/tenants", {"limit": 50}),
    )
    return page.render(
        "devportal/catalog.html",
        tags=tags.get("list", []),
        categories=categories.get("list", []),
        tenants=tenants.get("list", []),
        **context,
    )


async def _api(page: Page, api_id: str) -> dict[str, Any]:
    found: dict[str, Any] = await page.api("GET", f"/apis/{quote(api_id, safe='')}")
    return found


@router.get("/apis/{api_id}")
async def api_overview(page: DevportalPage, api_id: str) -> Response:
    try:
        api = await _api(page, api_id)
    except ApiError as exc:
        return page.error(exc, "not_found.html")
    path = f"/apis/{quote(api_id, safe='')}"
    documents, ratings, comments, policies = await asyncio.gather(
        _quiet(page, f"{path}/documents", {"list": []}),
        _quiet(page, f"{path}/ratings", {"list": [], "avgRating": api.get("avgRating")}),
        _quiet(page, f"{path}/comments", {"list": []}),
        _quiet(page, f"{path}/subscription-policies", []),
    )
    applications: list[dict[str, Any]] = []
    subscriptions: list[dict[str, Any]] = []
    sdk_languages: list[str] = []
    if page.session is not None and page.session.signed_in:
        apps, subs, languages = await asyncio.gather(
            _quiet(page, "/applications", {"list": []}, params={"limit": 100}),
            _quiet(page, "/subscriptions", {"list": []}, params={"apiId": api_id, "limit": 100}),
            _quiet(page, "/sdk-gen/languages", []),
        )
        applications, subscriptions = apps.get("list", []), subs.get("list", [])
        if str(api.get("type") or "HTTP").upper() not in NO_SDK_TYPES and isinstance(languages, list):
            sdk_languages = [str(language) for language in languages]
    return page.render(
        "devportal/api.html",
        api=api,
        topics=await streaming.topics(page, api),
        documents=documents.get("list", []),
        ratings=ratings,
        comments=comments.get("list", []),
        policies=policies if isinstance(policies, list) else policies.get("list", []),
        applications=applications,
        subscriptions=subscriptions,
        sdk_languages=sdk_languages,
        tab="overview",
    )


@router.get("/apis/{api_id}/sdks/{language}")
async def sdk(page: DevportalPage, api_id: str, language: str) -> Response:
    """The API's SDK in ``language`` as the DevPortal API generates it, downloaded as a zip."""
    page.user()
    path = f"/apis/{quote(api_id, safe='')}/sdks/{quote(language, safe='')}"
    try:
        upstream = await page.platform.devportal_raw(path, page.caller)
    except httpx.TimeoutException:
        return page.error(ApiError(504, "SDK generation timed out", "Try again in a minute."))
    if upstream.status_code != 200:
        return page.error(ApiError.of(upstream))
    headers = {k: v for k, v in upstream.headers.items() if k.lower() == "content-disposition"}
    return Response(upstream.content, media_type="application/zip", headers=headers)


@router.post("/apis/{api_id}/subscribe")
async def subscribe(page: DevportalPage, api_id: str) -> Response:
    page.user()
    form = await page.form()
    body = {
        "apiId": api_id,
        "applicationId": form_str(form, "applicationId"),
        "throttlingPolicy": form_str(form, "throttlingPolicy"),
    }
    try:
        subscription = await page.api("POST", "/subscriptions", json=body)
    except ApiError as exc:
        return page.error(exc)
    return page.render("partials/subscribed.html", subscription=subscription)


@router.post("/apis/{api_id}/rating")
async def rate(page: DevportalPage, api_id: str) -> Response:
    page.user()
    form = await page.form()
    try:
        await page.api(
            "PUT",
            f"/apis/{quote(api_id, safe='')}/user-rating",
            json={"rating": int(form_str(form, "rating", "0") or 0)},
        )
    except (ApiError, ValueError) as exc:
        return page.error(exc if isinstance(exc, ApiError) else ApiError(400, "Bad rating"))
    page.notice("Thanks for rating this API.")
    return page.redirect(f"/apis/{api_id}#ratings")


@router.post("/apis/{api_id}/comments")
async def comment(page: DevportalPage, api_id: str) -> Response:
    page.user()
    form = await page.form()
    body = {"content": form_str(form, "content"), "category": "general"}
    try:
        await page.api("POST", f"/apis/{quote(api_id, safe='')}/comments", json=body)
    except ApiError as exc:
        return page.error(exc)
    page.notice("Comment posted.")
    return page.redirect(f"/apis/{api_id}#comments")


@router.get("/apis/{api_id}/documents/{document_id}")
async def document(page: DevportalPage, api_id: str, document_id: str) -> Response:
    base = f"/apis/{quote(api_id, safe='')}/documents/{quote(document_id, safe='')}"
    try:
        api, meta = await asyncio.gather(_api(page, api_id), page.api("GET", base))
    except ApiError as exc:
        return page.error(exc, "not_found.html")
    content = ""
    if str(meta.get("sourceType", "")).upper() != "URL":
        content = await _quiet(page, f"{base}/content", "")
    return page.render("devportal/document.html", api=api, document=meta, content=content, tab="documents")


@router.get("/apis/{api_id}/reference")
async def reference(page: DevportalPage, api_id: str) -> Response:
    try:
        api = await _api(page, api_id)
    except ApiError as exc:
        return page.error(exc, "not_found.html")
    credentials = page.session.credentials if page.session is not None else []
    return page.render("devportal/reference.html", api=api, credentials=credentials, tab="reference")


@router.get("/apis/{api_id}/openapi.json")
async def definition(page: DevportalPage, api_id: str) -> Response:
    """The API's OpenAPI definition with its servers on the gateway the portal relays try-it calls to."""
    upstream = await page.platform.devportal_raw(f"/apis/{quote(api_id, safe='')}/swagger", page.caller)
    if upstream.status_code != 200:
        return Response(upstream.content, status_code=upstream.status_code, media_type="application/json")
    try:
        document = upstream.json()
    except ValueError:
        return Response(upstream.content, media_type=upstream.headers.get("content-type"))
    if isinstance(document, dict):
        api = await _api(page, api_id)
        document["servers"] = [{"url": gateway_base(page.settings.gateway_url, api)}]
    return JSONResponse(document)


@router.post("/try-it/credential")
async def choose_credential(page: DevportalPage) -> Response:
    session = page.user()
    form = await page.form()
    chosen = form_str(form, "credential")
    session.try_it = next((c for c in session.credentials if c.value == chosen), None)
    label = session.try_it.label if session.try_it else "none"
    return page.render("partials/notice.html", message=f"Try-it calls now use: {label}")


# Applications


@router.get("/applications")
async def applications(page: DevportalPage) -> Response:
    page.user()
    try:
        found, tiers = await asyncio.gather(
            page.api("GET", "/applications", params={"limit": 100}),
            _quiet(page, "/throttling-policies/application", {"list": []}),
        )
    except ApiError as exc:
        return page.error(exc, "devportal/applications.html")
    return page.render(
        "devportal/applications.html", applications=found.get("list", []), tiers=tiers.get("list", [])
    )


@router.post("/applications")
async def create_application(page: DevportalPage) -> Response:
    page.user()
    form = await page.form()
    body = {
        "name": form_str(form, "name"),
        "throttlingPolicy": form_str(form, "throttlingPolicy", "Unlimited") or "Unlimited",
        "description": form_str(form, "description"),
        "tokenType": "JWT",
    }
    try:
        created = await page.api("POST", "/applications", json=body)
    except ApiError as exc:
        return page.error(exc)
    page.notice(f"Application {created.get('name')} created.")
    return page.redirect(f"/applications/{created.get('applicationId')}")


@router.get("/applications/{app_id}")
async def application(page: DevportalPage, app_id: str) -> Response:
    page.user()
    path = f"/applications/{quote(app_id, safe='')}"
    try:
        app = await page.api("GET", path)
    except ApiError as exc:
        return page.error(exc, "not_found.html")
    keys, subs, tiers, key_managers = await asyncio.gather(
        _quiet(page, f"{path}/oauth-keys", {"list": []}),
        _quiet(page, "/subscriptions", {"list": []}, params={"applicationId": app_id, "limit": 100}),
        _quiet(page, "/throttling-policies/application", {"list": []}),
        _quiet(page, "/key-managers", {"list": []}),
    )
    return page.render(
        "devportal/application.html",
        app=app,
        webhooks=await streaming.webhook_subscriptions(page, app_id, subs.get("list", [])),
        keys=keys.get("list", []),
        subscriptions=subs.get("list", []),
        tiers=tiers.get("list", []),
        key_managers=[km for km in key_managers.get("list", []) if km.get("enabled", True)],
        key_types=KEY_TYPES,
        grant_types=GRANT_TYPES,
    )


@router.post("/applications/{app_id}/edit")
async def edit_application(page: DevportalPage, app_id: str) -> Response:
    page.user()
    form = await page.form()
    path = f"/applications/{quote(app_id, safe='')}"
    try:
        app = await page.api("GET", path)
        app.update(
            name=form_str(form, "name"),
            throttlingPolicy=form_str(form, "throttlingPolicy") or app.get("throttlingPolicy"),
            description=form_str(form, "description"),
        )
        await page.api("PUT", path, json=app)
    except ApiError as exc:
        return page.error(exc)
    page.notice("Application saved.")
    return page.redirect(f"/applications/{app_id}")


@router.post("/applications/{app_id}/delete")
async def delete_application(page: DevportalPage, app_id: str) -> Response:
    page.user()
    await page.form()
    try:
        await page.api("DELETE", f"/applications/{quote(app_id, safe='')}")
    except ApiError as exc:
        return page.error(exc)
    page.notice("Application deleted.")
    return page.redirect("/applications")


@router.post("/subscriptions/{subscription_id}/delete")
async def unsubscribe(page: DevportalPage, subscription_id: str) -> Response:
    page.user()
    form = await page.form()
    try:
        await page.api("DELETE", f"/subscriptions/{quote(subscription_id, safe='')}")
    except ApiError as exc:
        return page.error(exc)
    page.notice("Unsubscribed.")
    back = form_str(form, "back")
    return page.redirect(back if back.startswith("/") and not back.startswith("//") else "/applications")


@router.post("/applications/{app_id}/keys")
async def generate_keys(page: DevportalPage, app_id: str) -> Response:
    page.user()
    form = await page.form()
    body = {
        "keyType": form_str(form, "keyType", "PRODUCTION"),
        "keyManager": form_str(form, "keyManager", "Resident Key Manager"),
        "grantTypesToBeSupported": form_list(form, "grantTypes") or ["client_credentials"],
        "callbackUrl": form_str(form, "callbackUrl") or None,
        "scopes": ["default"],
        "validityTime": 3600,
    }
    try:
        key = await page.api("POST", f"/applications/{quote(app_id, safe='')}/generate-keys", json=body)
    except ApiError as exc:
        return page.error(exc)
    return page.render("partials/keys_result.html", key=key, app_id=app_id)


@router.post("/applications/{app_id}/keys/{mapping_id}/regenerate-secret")
async def regenerate_secret(page: DevportalPage, app_id: str, mapping_id: str) -> Response:
    page.user()
    await page.form()
    path = f"/applications/{quote(app_id, safe='')}/oauth-keys/{quote(mapping_id, safe='')}/regenerate-secret"
    try:
        renewed = await page.api("POST", path)
    except ApiError as exc:
        return page.error(exc)
    return page.render("partials/secret_result.html", renewed=renewed)


@router.post("/applications/{app_id}/keys/{mapping_id}/token")
async def generate_token(page: DevportalPage, app_id: str, mapping_id: str) -> Response:
    session = page.user()
    form = await page.form()
    try:
        validity = int(form_str(form, "validityPeriod", "3600") or 3600)
    except ValueError:
        validity = 3600
    scopes = form_str(form, "scopes").replace(",", " ").split()
    body = {"validityPeriod": validity, "scopes": scopes, "grantType": "CLIENT_CREDENTIALS"}
    path = f"/applications/{quote(app_id, safe='')}/oauth-keys/{quote(mapping_id, safe='')}/generate-token"
    try:
        token = await page.api("POST", path, json=body)
    except ApiError as exc:
        return page.error(exc)
    key_type = form_str(form, "keyType", "PRODUCTION").lower()
    label = f"{form_str(form, 'appName', 'application')} · {key_type} token"
    session.remember(TryItCredential(label=label, header="authorization", value=token["accessToken"]))
    return page.render("partials/token_result.html", token=token)


@router.post("/applications/{app_id}/api-keys")
async def generate_api_key(page: DevportalPage, app_id: str) -> Response:
    session = page.user()
    form = await page.form()
    key_type = form_str(form, "keyType", "PRODUCTION")
    try:
        validity = int(form_str(form, "validityPeriod", "-1") or -1)
    except ValueError:
        validity = -1
    path = f"/applications/{quote(app_id, safe='')}/api-keys/{key_type}/generate"
    api: dict[str, Any] | None = None
    try:
        key = await page.api("POST", path, json={"validityPeriod": validity, "additionalProperties": {}})
        api_id = form_str(form, "apiId")
        if api_id:
            api = await _api(page, api_id)
    except ApiError as exc:
        return page.error(exc)
    header = (api or {}).get("apiKeyHeader") or "apiKey"
    label = f"{form_str(form, 'appName', 'application')} · {key_type.lower()} API key"
    session.remember(TryItCredential(label=label, header=header, value=key["apikey"]))
    return page.render("partials/apikey_result.html", key=key, api=api, header=header)
