"""The policy editor's model: the catalogue with each spec's attributes, and the posted order.

The browser posts, per flow, the order of the attached items (``order-<flow>``: their ids) and,
per item, ``<id>-name``, ``<id>-version`` and ``<id>-p-<attribute>``; the Publisher API checks
the parameters against the spec when the API is saved (402 ... 400 names the attribute).
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from apim_portals.portal_forms import PUBLISHER_API, quiet
from apim_portals.web import Page, form_str

FLOWS = ("request", "response", "fault")


async def catalogue(page: Page) -> list[dict[str, Any]]:
    found = await quiet(page, PUBLISHER_API, "/operation-policies", {"list": []}, params={"limit": 200})
    return sorted(found.get("list", []), key=lambda p: str(p.get("name", "")).lower())


def _value(attribute: dict[str, Any], raw: str) -> Any:
    kind = str(attribute.get("type", "String")).lower()
    if kind == "boolean":
        return raw == "on" or raw == "true"
    if kind == "integer" and raw.strip().lstrip("-").isdigit():
        return int(raw)
    return raw


def read_flows(form: FormData, specs: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """``{request: [...], response: [...], fault: [...]}`` in the posted order."""
    flows: dict[str, Any] = {}
    for flow in FLOWS:
        attached = []
        for item in [i for i in form_str(form, f"order-{flow}").split(",") if i]:
            name = form_str(form, f"{item}-name")
            if not name:
                continue
            prefix = f"{item}-p-"
            parameters: dict[str, Any] = {}
            for key in form:
                if key.startswith(prefix):
                    raw = form_str(form, key)
                    if raw != "":
                        attribute = {"type": form_str(form, f"{item}-t-{key[len(prefix) :]}", "String")}
                        parameters[key[len(prefix) :]] = _value(attribute, raw)
            attached.append(
                {
                    "policyName": name,
                    "policyVersion": form_str(form, f"{item}-version", "v1"),
                    "parameters": parameters,
                }
            )
        flows[flow] = attached
    return flows


async def context(page: Page, api: dict[str, Any]) -> dict[str, Any]:
    """What the policies tab renders: the catalogue, the targets, and what the target holds now."""
    target = page.request.query_params.get("target", "api")
    attached = api.get("apiPolicies") or {}
    if target != "api":
        for op in api.get("operations", []):
            if f"{op['verb']} {op['target']}" == target:
                attached = op.get("operationPolicies") or {}
    return {
        "catalogue": await catalogue(page),
        "target": target,
        "attached": attached,
        "flows": FLOWS,
        "targets": [f"{op['verb']} {op['target']}" for op in api.get("operations", [])],
    }
