"""GraphQL APIs in the Publisher portal: their tabs, the properties a schema import is given, and
the complexity values form.

A GraphQL API's operations are the root fields of its schema (QUERY, MUTATION, SUBSCRIPTION);
the Operations tab edits their tier, auth type and scopes, and the Complexity tab the cost of each
field of each type (``PUT /apis/{apiId}/graphql-policies/complexity``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.datastructures import FormData

from apim_portals.client import ApiError
from apim_portals.portal_forms import PUBLISHER_API, call, quiet
from apim_portals.web import Page, form_str

# WSO2's auth types of a GraphQL operation: secured by the API's schemes, or open.
AUTH_TYPES = ("Any", "None")
# The tabs only GraphQL APIs have.
TABS = ("operations", "complexity")


def is_graphql(api: dict[str, Any]) -> bool:
    return str(api.get("type") or "").upper() == "GRAPHQL"


def tabs(api: dict[str, Any], every: tuple[str, ...]) -> tuple[str, ...]:
    """A GraphQL API has operations (root fields) where an HTTP API has resources, and complexity."""
    if not is_graphql(api):
        return every
    shown = tuple("operations" if t == "resources" else t for t in every)
    at = shown.index("operations") + 1 if "operations" in shown else len(shown)
    return (*shown[:at], "complexity", *shown[at:])


def import_properties(form: FormData) -> dict[str, Any]:
    """``additionalProperties`` of ``import-graphql-schema``: the API's name, context, version and
    backend as the form gives them."""
    name = form_str(form, "name")
    found: dict[str, Any] = {
        "name": name,
        "version": form_str(form, "version") or "1.0.0",
        "context": form_str(form, "context"),
        "policies": ["Unlimited"],
    }
    endpoint = form_str(form, "endpoint")
    if endpoint:
        found["endpointConfig"] = {
            "endpoint_type": "http",
            "production_endpoints": {"url": endpoint},
            "sandbox_endpoints": {"url": endpoint},
        }
    return {k: v for k, v in found.items() if v}


async def operations_context(page: Page, api: dict[str, Any]) -> dict[str, Any]:
    tiers = await quiet(page, PUBLISHER_API, "/throttling-policies/api", {"list": []})
    return {"tiers": tiers.get("list", []), "graphql_auths": AUTH_TYPES}


async def complexity_context(page: Page, api: dict[str, Any]) -> dict[str, Any]:
    """Every type of the schema with its fields, and the value each field costs now (1 if unset)."""
    base = f"/apis/{api['id']}/graphql-policies/complexity"
    types, values = await asyncio.gather(
        call(page, PUBLISHER_API, "GET", f"{base}/types"),
        call(page, PUBLISHER_API, "GET", base),
    )
    costs = {(v["type"], v["field"]): v["complexityValue"] for v in values.get("list", [])}
    return {"graphql_types": types.get("typeList", []), "costs": costs}


def read_complexity(form: FormData, types: list[dict[str, Any]]) -> dict[str, Any]:
    """``GraphQLQueryComplexityInfo`` from the form: one value per field whose box is filled."""
    found = []
    for item in types:
        for field in item.get("fieldList", []):
            raw = form_str(form, f"cx-{item['type']}.{field}")
            if not raw:
                continue
            try:
                value = int(raw)
            except ValueError as exc:
                message = f"{item['type']}.{field}: {raw!r} is not a whole number"
                raise ApiError(400, "Bad Request", message, {"complexity": message}) from exc
            found.append({"type": item["type"], "field": field, "complexityValue": value})
    return {"list": found}
