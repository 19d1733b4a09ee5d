"""The Admin portal: rate-limit tiers, deny policies, key managers, environments, workflow tasks,
tenant configuration, role -> scope mapping, tenants, API categories and application owners.

Admin RBAC (4.3): a section shows only to a user whose token holds one of its scopes, and its
actions are refused here, before the Admin v4 REST API would refuse them too.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.datastructures import FormData

from apim_portals.client import ApiError
from apim_portals.portal_forms import ADMIN_API, call, holds, lines, parse_json, quiet, refused, regroup
from apim_portals.web import AdminPage, Page, form_list, form_str

router = APIRouter(prefix="/admin", include_in_schema=False)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    view: tuple[str, ...]
    manage: tuple[str, ...]


SECTIONS = (
    Section(
        "tiers",
        "Rate-limit tiers",
        ("apim:tier_view", "apim:admin_tier_view", "apim:tier_manage", "apim:admin_tier_manage"),
        ("apim:tier_manage", "apim:admin_tier_manage"),
    ),
    Section("deny-policies", "Deny policies", ("apim:bl_view", "apim:bl_manage"), ("apim:bl_manage",)),
    Section(
        "key-managers",
        "Key managers",
        ("apim:keymanagers_manage", "apim:admin_operations"),
        ("apim:keymanagers_manage", "apim:admin_operations"),
    ),
    Section(
        "environments",
        "Environments",
        ("apim:environment_read", "apim:environment_manage"),
        ("apim:environment_manage",),
    ),
    Section(
        "workflows",
        "Tasks",
        ("apim:api_workflow_view", "apim:api_workflow_approve"),
        ("apim:api_workflow_approve",),
    ),
    Section("tenant-config", "Tenant configuration", ("apim:admin",), ("apim:admin",)),
    Section("scopes", "Role scopes", ("apim:scope_manage",), ("apim:scope_manage",)),
    Section("tenants", "Tenants", ("apim:admin",), ("apim:admin",)),
    Section(
        "categories",
        "API categories",
        ("apim:api_category", "apim:admin_operations"),
        ("apim:api_category", "apim:admin_operations"),
    ),
    Section(
        "applications",
        "Applications",
        ("apim:app_owner_change", "apim:admin_application_view"),
        ("apim:app_owner_change",),
    ),
)
BY_KEY = {s.key: s for s in SECTIONS}
TIER_KINDS = ("application", "subscription", "advanced", "custom")
WORKFLOW_TYPES = (
    "AM_APPLICATION_CREATION",
    "AM_SUBSCRIPTION_CREATION",
    "AM_SUBSCRIPTION_UPDATE",
    "AM_SUBSCRIPTION_DELETION",
    "AM_APPLICATION_DELETION",
    "AM_API_STATE",
    "AM_API_PRODUCT_STATE",
    "AM_REVISION_DEPLOYMENT",
    "AM_APPLICATION_REGISTRATION",
    "AM_USER_SIGNUP",
)


def visible(page: Page) -> list[Section]:
    return [s for s in SECTIONS if holds(page, *s.view)]


async def adm(page: Page, method: str, path: str, **kwargs: Any) -> Any:
    return await call(page, ADMIN_API, method, path, **kwargs)


def _limit(form: FormData, prefix: str = "") -> dict[str, Any]:
    kind = form_str(form, f"{prefix}limitType", "REQUESTCOUNTLIMIT")
    unit = {
        "timeUnit": form_str(form, f"{prefix}timeUnit", "min"),
        "unitTime": _int(form, f"{prefix}unitTime", 1),
    }
    if kind == "BANDWIDTHLIMIT":
        amount = {
            "dataAmount": _int(form, f"{prefix}dataAmount", 0),
            "dataUnit": form_str(form, f"{prefix}dataUnit", "MB"),
        }
        return {"type": kind, "bandwidth": {**unit, **amount}}
    return {"type": kind, "requestCount": {**unit, "requestCount": _int(form, f"{prefix}requestCount", 0)}}


def _int(form: FormData, name: str, default: int) -> int:
    raw = form_str(form, name)
    try:
        return int(raw) if raw else default
    except ValueError:
        raise ApiError(
            400, "Bad Request", f"{name} must be a whole number", {name: "a whole number"}
        ) from None


def _tier_body(kind: str, form: FormData) -> dict[str, Any]:
    body: dict[str, Any] = {
        "policyName": form_str(form, "policyName"),
        "displayName": form_str(form, "policyName"),
        "description": form_str(form, "description") or None,
    }
    if kind == "custom":
        body["keyTemplate"] = form_str(form, "keyTemplate")
        body["siddhiQuery"] = form_str(form, "siddhiQuery") or None
        return body
    body["defaultLimit"] = _limit(form)
    burst = _int(form, "burstCount", 0)
    if kind == "application" and burst:
        body["burstLimit"] = {
            "rateLimitCount": burst,
            "rateLimitTimeUnit": form_str(form, "burstUnit", "sec"),
        }
    if kind == "subscription":
        if burst:
            body["rateLimitCount"] = burst
            body["rateLimitTimeUnit"] = form_str(form, "burstUnit", "sec")
        body["stopOnQuotaReach"] = form.get("stopOnQuotaReach") == "on"
        body["billingPlan"] = form_str(form, "billingPlan", "FREE")
    if kind == "advanced" and form_str(form, "condHeader"):
        body["conditionalGroups"] = [
            {
                "description": form_str(form, "condDescription") or None,
                "conditions": [
                    {
                        "type": "HEADERCONDITION",
                        "headerCondition": {
                            "headerName": form_str(form, "condHeader"),
                            "headerValue": form_str(form, "condValue"),
                        },
                    }
                ],
                "limit": _limit(form, "cond_"),
            }
        ]
    return body


async def _load(page: Page, key: str) -> dict[str, Any]:
    if key == "tiers":
        out: dict[str, Any] = {}
        for kind in TIER_KINDS:
            out[kind] = (await quiet(page, ADMIN_API, f"/throttling/policies/{kind}", {"list": []})).get(
                "list", []
            )
        return {"tiers": out, "kinds": TIER_KINDS}
    if key == "deny-policies":
        return {
            "items": (await quiet(page, ADMIN_API, "/throttling/deny-policies", {"list": []})).get("list", [])
        }
    if key == "key-managers":
        own = await quiet(page, ADMIN_API, "/key-managers", {"list": []})
        shared = await quiet(page, ADMIN_API, "/global-key-managers", {"list": []})
        return {"items": own.get("list", []), "global_items": shared.get("list", [])}
    if key == "environments":
        return {"items": (await quiet(page, ADMIN_API, "/environments", {"list": []})).get("list", [])}
    if key == "workflows":
        return {"items": (await quiet(page, ADMIN_API, "/workflows", {"list": []})).get("list", [])}
    if key == "tenant-config":
        config = await quiet(page, ADMIN_API, "/tenant-config", {})
        return {
            "config": config,
            "config_json": json.dumps(config, indent=2),
            "workflow_types": WORKFLOW_TYPES,
        }
    if key == "scopes":
        found = await quiet(page, ADMIN_API, "/system-scopes", {"list": []})
        roles = sorted({r for s in found.get("list", []) for r in s.get("roles", [])})
        return {
            "items": found.get("list", []),
            "roles": roles,
            "role": page.request.query_params.get("role", ""),
        }
    if key == "tenants":
        return {"items": (await quiet(page, ADMIN_API, "/tenants", {"list": []})).get("list", [])}
    if key == "categories":
        return {"items": (await quiet(page, ADMIN_API, "/api-categories", {"list": []})).get("list", [])}
    if key == "applications":
        return {"items": (await quiet(page, ADMIN_API, "/applications", {"list": []})).get("list", [])}
    return {}


async def _section(page: Page, key: str, error: ApiError | None = None, status: int = 200) -> Response:
    page.user()
    section = BY_KEY.get(key)
    if section is None:
        return page.render("not_found.html", status=404)
    if not holds(page, *section.view):
        denied = refused(f"Your role does not allow {section.title.lower()}")
        return page.render("admin/home.html", status=403, sections=visible(page), error=denied)
    data = await _load(page, key)
    return page.render(
        f"admin/{key}.html",
        status=error.status if error else status,
        active=key,
        sections=visible(page),
        section=section,
        can_manage=holds(page, *section.manage),
        error=error,
        fields=error.fields if error else {},
        **data,
    )


@router.get("")
@router.get("/")
async def home(page: AdminPage) -> Response:
    page.user()
    return page.render("admin/home.html", active="home", sections=visible(page))


@router.get("/{key}")
async def section_page(page: AdminPage, key: str) -> Response:
    return await _section(page, key)


Action = Callable[[Page, FormData], Awaitable[str]]


async def _tiers(page: Page, form: FormData) -> str:
    kind = form_str(form, "kind", "application")
    if kind not in TIER_KINDS:
        raise ApiError(400, "Bad Request", "Unknown tier kind", {"kind": "unknown"})
    if form_str(form, "op") == "delete":
        await adm(page, "DELETE", f"/throttling/policies/{kind}/{form_str(form, 'policyId')}")
        return "Tier deleted"
    await adm(page, "POST", f"/throttling/policies/{kind}", json=_tier_body(kind, form))
    return f"{kind.capitalize()} tier {form_str(form, 'policyName')} added"


async def _deny(page: Page, form: FormData) -> str:
    if form_str(form, "op") == "delete":
        await adm(page, "DELETE", f"/throttling/deny-policy/{form_str(form, 'conditionId')}")
        return "Deny policy removed"
    kind = form_str(form, "conditionType", "APPLICATION")
    body = {
        "conditionType": kind,
        "conditionValue": _deny_value(kind, form_str(form, "conditionValue")),
        "conditionStatus": True,
    }
    try:
        await adm(page, "POST", "/throttling/deny-policies", json=body)
    except ApiError as exc:
        # The API judges the value as a whole (the body): shown by the value's input.
        raise regroup(exc, {"body": "conditionValue"}) from None
    return "Deny policy added"


def _deny_value(kind: str, value: str) -> str | dict[str, Any]:
    """IP conditions are objects in the API: ``{fixedIp}``, or ``{startingIp, endingIp}`` typed as
    ``first - last``."""
    if kind == "IP":
        return {"fixedIp": value, "invert": False}
    if kind == "IPRANGE":
        first, _, last = value.partition("-")
        return {"startingIp": first.strip(), "endingIp": last.strip(), "invert": False}
    return value


async def _key_managers(page: Page, form: FormData) -> str:
    path = "/global-key-managers" if form.get("global") == "on" else "/key-managers"
    roles = lines(form_str(form, "roles"))
    body: dict[str, Any] = {
        "name": form_str(form, "name"),
        "displayName": form_str(form, "name"),
        "type": form_str(form, "type", "default"),
        "issuer": form_str(form, "issuer"),
        "tokenEndpoint": form_str(form, "tokenEndpoint") or None,
        "enabled": True,
    }
    jwks = form_str(form, "jwksEndpoint")
    if jwks:
        body["certificates"] = {"type": "JWKS", "value": jwks}
    if roles:
        body["permissions"] = {"permissionType": form_str(form, "permissionType", "ALLOW"), "roles": roles}
    try:
        await adm(page, "POST", path, json=body)
    except ApiError as exc:
        raise regroup(exc, {"body": "jwksEndpoint", "certificates": "jwksEndpoint"}) from None
    return f"Key manager {body['name']} added"


async def _environments(page: Page, form: FormData) -> str:
    body = {
        "name": form_str(form, "name"),
        "displayName": form_str(form, "name"),
        "description": form_str(form, "description") or None,
        "vhosts": [
            {"host": form_str(form, "host", "localhost"), "httpContext": "", "httpPort": 80, "httpsPort": 443}
        ],
    }
    try:
        await adm(page, "POST", "/environments", json=body)
    except ApiError as exc:
        raise regroup(exc, {"vhosts": "vhosts"}) from None
    return f"Environment {body['name']} added"


async def _workflows(page: Page, form: FormData) -> str:
    status = "APPROVED" if form_str(form, "decision") == "approve" else "REJECTED"
    await adm(
        page,
        "POST",
        "/workflows/update-workflow-status",
        params={"workflowReferenceId": form_str(form, "referenceId")},
        json={"status": status, "description": form_str(form, "comment")},
    )
    return f"Task {status.lower()}"


async def _tenant_config(page: Page, form: FormData) -> str:
    if form_str(form, "raw"):
        config = parse_json(form_str(form, "raw"), "raw")
    else:
        config = await adm(page, "GET", "/tenant-config")
        switches = set(form_list(form, "workflow"))
        config["Workflows"] = {name: {"enabled": name in switches} for name in WORKFLOW_TYPES}
    try:
        await adm(page, "PUT", "/tenant-config", json=config)
    except ApiError as exc:
        # The document's fields are edited in one text area: its errors are shown under it.
        if exc.fields and "raw" not in exc.fields:
            exc.fields["raw"] = "; ".join(f"{name}: {message}" for name, message in exc.fields.items())
        raise
    return "Tenant configuration saved"


async def _scopes(page: Page, form: FormData) -> str:
    """The role's scopes as ticked: the role is added to or removed from each system scope."""
    role = form_str(form, "role")
    if not role:
        raise ApiError(400, "Bad Request", "Name the role", {"role": "a role is needed"})
    ticked = set(form_list(form, "scope"))
    found = await adm(page, "GET", "/system-scopes")
    items = []
    for scope in found.get("list", []):
        roles = [r for r in scope.get("roles", []) if r != role]
        if scope["name"] in ticked:
            roles.append(role)
        items.append({**scope, "roles": roles})
    await adm(page, "PUT", "/system-scopes", json={"count": len(items), "list": items})
    return f"Scopes of {role} saved"


async def _tenants(page: Page, form: FormData) -> str:
    domain = form_str(form, "domain")
    if form_str(form, "op") in ("activate", "deactivate"):
        await adm(
            page,
            "PUT",
            f"/tenants/{domain}/status",
            json={"status": "ACTIVE" if form_str(form, "op") == "activate" else "INACTIVE"},
        )
        return f"Tenant {domain} {form_str(form, 'op')}d"
    body = {
        "domain": domain,
        "adminUsername": form_str(form, "adminUsername"),
        "adminPassword": form_str(form, "adminPassword"),
        "firstName": form_str(form, "firstName") or "Admin",
        "lastName": form_str(form, "lastName") or "Admin",
        "email": form_str(form, "email") or f"admin@{domain}",
    }
    await adm(page, "POST", "/tenants", json=body)
    return f"Tenant {domain} created"


async def _categories(page: Page, form: FormData) -> str:
    if form_str(form, "op") == "delete":
        await adm(page, "DELETE", f"/api-categories/{form_str(form, 'categoryId')}")
        return "Category deleted"
    body = {"name": form_str(form, "name"), "description": form_str(form, "description") or None}
    await adm(page, "POST", "/api-categories", json=body)
    return f"Category {body['name']} added"


async def _applications(page: Page, form: FormData) -> str:
    app_id, owner = form_str(form, "applicationId"), form_str(form, "owner")
    await adm(page, "POST", f"/applications/{app_id}/change-owner", params={"owner": owner})
    return f"Owner changed to {owner}"


ACTIONS: dict[str, Action] = {
    "tiers": _tiers,
    "deny-policies": _deny,
    "key-managers": _key_managers,
    "environments": _environments,
    "workflows": _workflows,
    "tenant-config": _tenant_config,
    "scopes": _scopes,
    "tenants": _tenants,
    "categories": _categories,
    "applications": _applications,
}


@router.post("/{key}")
async def section_action(page: AdminPage, key: str) -> Response:
    form = await page.form()
    page.user()
    section, action = BY_KEY.get(key), ACTIONS.get(key)
    if section is None or action is None:
        return page.render("not_found.html", status=404)
    if not holds(page, *section.manage):
        return await _section(
            page, key, refused(f"Your role does not allow changing {section.title.lower()}")
        )
    try:
        message = await action(page, form)
    except ApiError as exc:
        return await _section(page, key, exc)
    page.notice(message)
    role = form_str(form, "role") if key == "scopes" else ""
    return page.redirect(f"/{key}?{urlencode({'role': role})}" if role else f"/{key}")
