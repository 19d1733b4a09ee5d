"""Every Admin portal form, submitted as a browser submits it (its fields and CSRF token, no
JavaScript), and then read back through the Admin REST API: what the form sends is what the API
takes. A refused form shows the API's message, by field where the API names one, never a 500."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from apim_portals.settings import ADMIN_SCOPES
from tests.portals.conftest import PortalBrowser, Standalone, basic, password_token

pytestmark = pytest.mark.e2e

ADMIN = "/api/am/admin/v4"
DEVPORTAL = "/api/am/devportal/v3"


@pytest.fixture(scope="module")
def portal(standalone: Standalone) -> Iterator[PortalBrowser]:
    browser = PortalBrowser(standalone.control_url)
    browser.sign_in("admin", "admin", "admin")
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def api(control: httpx.Client, standalone: Standalone) -> Iterator[httpx.Client]:
    """The Admin REST API with an administrator's token from the key manager."""
    scopes = " ".join((*ADMIN_SCOPES, "apim:admin_application_view"))
    token = password_token(control, "admin_forms_checker", "admin", "admin", scopes)
    with httpx.Client(
        base_url=standalone.control_url + ADMIN, timeout=30, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client


@pytest.fixture(scope="module")
def devportal(control: httpx.Client, standalone: Standalone) -> Iterator[httpx.Client]:
    token = password_token(
        control, "admin_forms_devportal", "admin", "admin", "apim:subscribe apim:app_manage"
    )
    with httpx.Client(
        base_url=standalone.control_url + DEVPORTAL,
        timeout=30,
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        yield client


def get(api: httpx.Client, path: str) -> Any:
    r = api.get(path)
    assert r.status_code == 200, r.text
    return r.json()


def named(items: list[dict[str, Any]], key: str, value: str) -> dict[str, Any]:
    found = [i for i in items if i.get(key) == value]
    assert found, f"no {key}={value} among {[i.get(key) for i in items]}"
    return found[0]


def accepted(r: httpx.Response, notice: str) -> None:
    assert r.status_code == 200, _error_of(r)
    assert notice in html.unescape(r.text)
    assert 'id="form-error"' not in r.text


def _error_of(r: httpx.Response) -> str:
    found = re.search(r'<div id="form-error">(.*?)</div>\s*</div>', r.text, re.S)
    return f"HTTP {r.status_code}: " + (re.sub(r"\s+", " ", found.group(1)) if found else r.text[:500])


def refused(r: httpx.Response, status: int, message: str, field: str | None = None) -> None:
    """The page says what the API said (``message``), and by the input when ``field`` is given."""
    assert r.status_code == status, _error_of(r)
    text = html.unescape(r.text)
    error = re.search(r'<div id="form-error">(.*?)</div>', text, re.S)
    assert error is not None, text[:500]
    assert message in error.group(1), error.group(1)
    assert f"HTTP {status}" in error.group(1)
    if field is not None:
        spans = re.findall(r'<span class="field-error" role="alert">(.*?)</span>', text, re.S)
        assert any(field in s for s in spans), spans


# Rate-limit tiers


def test_an_application_tier_keeps_its_burst_limit(portal: PortalBrowser, api: httpx.Client) -> None:
    r = portal.submit(
        "/admin/tiers",
        "tier-form",
        {
            "kind": "application",
            "policyName": "FormsApp20",
            "description": "twenty a minute",
            "requestCount": "20",
            "burstCount": "4",
            "burstUnit": "sec",
        },
    )
    accepted(r, "Application tier FormsApp20 added")
    tier = named(get(api, "/throttling/policies/application")["list"], "policyName", "FormsApp20")
    assert tier["description"] == "twenty a minute"
    assert tier["defaultLimit"]["requestCount"] == {"timeUnit": "min", "unitTime": 1, "requestCount": 20}
    assert tier["burstLimit"] == {"rateLimitCount": 4, "rateLimitTimeUnit": "sec"}


def test_a_subscription_tier_keeps_burst_stop_on_quota_and_billing_plan(
    portal: PortalBrowser, api: httpx.Client
) -> None:
    r = portal.submit(
        "/admin/tiers",
        "tier-form",
        {
            "kind": "subscription",
            "policyName": "FormsSub",
            "limitType": "BANDWIDTHLIMIT",
            "dataAmount": "50",
            "dataUnit": "GB",
            "unitTime": "1",
            "timeUnit": "day",
            "burstCount": "30",
            "burstUnit": "min",
            "stopOnQuotaReach": None,
            "billingPlan": "COMMERCIAL",
        },
    )
    accepted(r, "Subscription tier FormsSub added")
    tier = named(get(api, "/throttling/policies/subscription")["list"], "policyName", "FormsSub")
    assert tier["defaultLimit"]["type"] == "BANDWIDTHLIMIT"
    bandwidth = tier["defaultLimit"]["bandwidth"]
    assert bandwidth == {"timeUnit": "day", "unitTime": 1, "dataAmount": 50, "dataUnit": "GB"}
    assert (tier["rateLimitCount"], tier["rateLimitTimeUnit"]) == (30, "min")
    assert tier["stopOnQuotaReach"] is False
    assert tier["billingPlan"] == "COMMERCIAL"


def test_an_advanced_tier_keeps_its_header_conditional_group(
    portal: PortalBrowser, api: httpx.Client
) -> None:
    r = portal.submit(
        "/admin/tiers",
        "tier-form",
        {
            "kind": "advanced",
            "policyName": "FormsAdvanced",
            "requestCount": "1000",
            "condHeader": "X-Plan",
            "condValue": "trial",
            "condDescription": "trial callers",
            "cond_requestCount": "10",
            "cond_timeUnit": "hour",
        },
    )
    accepted(r, "Advanced tier FormsAdvanced added")
    tier = named(get(api, "/throttling/policies/advanced")["list"], "policyName", "FormsAdvanced")
    assert tier["defaultLimit"]["requestCount"]["requestCount"] == 1000
    [group] = tier["conditionalGroups"]
    assert group["description"] == "trial callers"
    [condition] = group["conditions"]
    assert condition["type"] == "HEADERCONDITION"
    assert condition["headerCondition"] == {"headerName": "X-Plan", "headerValue": "trial"}
    assert group["limit"]["requestCount"] == {"timeUnit": "hour", "unitTime": 1, "requestCount": 10}


def test_a_custom_rule_keeps_its_key_template_and_query(portal: PortalBrowser, api: httpx.Client) -> None:
    query = "FROM RequestStream SELECT userId, true AS isEligible INSERT INTO EligibilityStream;"
    r = portal.submit(
        "/admin/tiers",
        "tier-form",
        {
            "kind": "custom",
            "policyName": "FormsCustom",
            "keyTemplate": "$userId:$apiContext",
            "siddhiQuery": query,
        },
    )
    accepted(r, "Custom tier FormsCustom added")
    rule = named(get(api, "/throttling/policies/custom")["list"], "policyName", "FormsCustom")
    assert rule["keyTemplate"] == "$userId:$apiContext"
    assert rule["siddhiQuery"] == query


def test_a_refused_tier_shows_the_apis_message_by_its_field(portal: PortalBrowser) -> None:
    r = portal.submit("/admin/tiers", "tier-form", {"kind": "application", "policyName": "bad name!"})
    refused(r, 400, "policyName", field="String should match pattern")


# Deny policies

DENIALS = {
    "API": ("/forms-blocked/1.0.0", "/forms-blocked/1.0.0"),
    "APPLICATION": ("someone:FormsBlockedApp", "someone:FormsBlockedApp"),
    "IP": ("203.0.113.7", {"fixedIp": "203.0.113.7", "invert": False}),
    "IPRANGE": (
        "198.51.100.1 - 198.51.100.50",
        {"startingIp": "198.51.100.1", "endingIp": "198.51.100.50", "invert": False},
    ),
    "USER": ("forms-blocked-user", "forms-blocked-user"),
}


@pytest.mark.parametrize("kind", DENIALS)
def test_a_deny_policy_of_each_type_is_stored(portal: PortalBrowser, api: httpx.Client, kind: str) -> None:
    typed, stored = DENIALS[kind]
    r = portal.submit("/admin/deny-policies", "deny-form", {"conditionType": kind, "conditionValue": typed})
    accepted(r, "Deny policy added")
    found = [
        d
        for d in get(api, "/throttling/deny-policies")["list"]
        if d["conditionType"] == kind and d["conditionValue"] == stored
    ]
    assert len(found) == 1
    assert found[0]["conditionStatus"] is True


def test_a_refused_deny_policy_shows_the_apis_message(portal: PortalBrowser) -> None:
    r = portal.submit(
        "/admin/deny-policies", "deny-form", {"conditionType": "IP", "conditionValue": "not-an-ip"}
    )
    refused(r, 400, "fixedIp is not an IP address")


# Key managers


def test_a_key_manager_added_by_hand_keeps_its_allow_permissions(
    portal: PortalBrowser, api: httpx.Client
) -> None:
    r = portal.submit(
        "/admin/key-managers",
        "km-form",
        {
            "name": "FormsKM",
            "type": "custom-idp",
            "issuer": "https://idp.example.com/oauth2/token",
            "jwksEndpoint": "https://idp.example.com/oauth2/jwks",
            "tokenEndpoint": "https://idp.example.com/oauth2/token",
            "permissionType": "ALLOW",
            "roles": "Internal/subscriber, Internal/partner",
        },
    )
    accepted(r, "Key manager FormsKM added")
    listed = named(get(api, "/key-managers")["list"], "name", "FormsKM")
    km = get(api, f"/key-managers/{listed['id']}")
    assert km["type"] == "custom-idp"
    assert km["issuer"] == "https://idp.example.com/oauth2/token"
    assert km["tokenEndpoint"] == "https://idp.example.com/oauth2/token"
    assert km["certificates"] == {"type": "JWKS", "value": "https://idp.example.com/oauth2/jwks"}
    assert km["permissions"] == {
        "permissionType": "ALLOW",
        "roles": ["Internal/subscriber", "Internal/partner"],
    }
    assert km["enabled"] is True


def test_a_global_key_manager_is_one_of_the_global_ones(portal: PortalBrowser, api: httpx.Client) -> None:
    r = portal.submit(
        "/admin/key-managers",
        "km-form",
        {
            "name": "FormsGlobalKM",
            "type": "custom-idp",
            "issuer": "https://global.example.com",
            "jwksEndpoint": "https://global.example.com/jwks",
            "roles": "",
            "global": "on",
        },
    )
    accepted(r, "Key manager FormsGlobalKM added")
    listed = named(get(api, "/global-key-managers")["list"], "name", "FormsGlobalKM")
    assert listed["isGlobal"] is True
    km = get(api, f"/global-key-managers/{listed['id']}")
    assert km["issuer"] == "https://global.example.com"
    assert km["permissions"]["permissionType"] == "PUBLIC"


def test_a_refused_key_manager_shows_the_apis_message_by_its_field(portal: PortalBrowser) -> None:
    r = portal.submit(
        "/admin/key-managers", "km-form", {"name": "bad/name", "issuer": "https://x.example.com"}
    )
    refused(r, 400, "name", field="String should match pattern")


# Environments


def test_an_environment_keeps_its_vhost(portal: PortalBrowser, api: httpx.Client) -> None:
    r = portal.submit(
        "/admin/environments",
        "env-form",
        {"name": "forms-east", "host": "east.gw.example.com", "description": "the east gateways"},
    )
    accepted(r, "Environment forms-east added")
    env = named(get(api, "/environments")["list"], "name", "forms-east")
    assert env["description"] == "the east gateways"
    [vhost] = env["vhosts"]
    assert vhost["host"] == "east.gw.example.com"
    assert (vhost["httpPort"], vhost["httpsPort"]) == (80, 443)


def test_a_refused_environment_shows_the_apis_message_by_its_field(portal: PortalBrowser) -> None:
    r = portal.submit("/admin/environments", "env-form", {"name": "bad name", "host": "h.example.com"})
    refused(r, 400, "name", field="String should match pattern")


# Tenant configuration


def ticked_switches(portal: PortalBrowser) -> set[str]:
    form = portal.form("/admin/tenant-config", "workflow-switches")
    return {v for k, v in form["fields"] if k == "workflow"}


def set_switches(
    portal: PortalBrowser, on: set[str], off: frozenset[str] | set[str] = frozenset()
) -> httpx.Response:
    ticked = (ticked_switches(portal) | on) - off
    return portal.submit("/admin/tenant-config", "workflow-switches", {"workflow": sorted(ticked)})


def test_an_approval_switch_is_saved_in_the_tenant_config(portal: PortalBrowser, api: httpx.Client) -> None:
    before = get(api, "/tenant-config")
    accepted(set_switches(portal, {"AM_API_PRODUCT_STATE"}), "Tenant configuration saved")
    after = get(api, "/tenant-config")
    assert after["Workflows"]["AM_API_PRODUCT_STATE"] == {"enabled": True}
    assert {k: v for k, v in after.items() if k != "Workflows"} == {
        k: v for k, v in before.items() if k != "Workflows"
    }
    accepted(set_switches(portal, set(), {"AM_API_PRODUCT_STATE"}), "Tenant configuration saved")
    assert get(api, "/tenant-config")["Workflows"]["AM_API_PRODUCT_STATE"] == {"enabled": False}


def test_a_refused_tenant_config_shows_the_apis_message(portal: PortalBrowser) -> None:
    r = portal.submit(
        "/admin/tenant-config", "tenant-config-raw", {"raw": '{"ExtensionHandlerPosition": "middle"}'}
    )
    refused(r, 400, "does not match", field="ExtensionHandlerPosition: Input should be 'top' or 'bottom'")


# Role -> scope mapping

ROLE = "Internal/formsrole"


def test_a_role_gets_the_ticked_scopes(portal: PortalBrowser, api: httpx.Client) -> None:
    path = f"/admin/scopes?role={ROLE}"
    ticked = ["apim:tier_view", "apim:bl_view"]
    r = portal.submit(path, "role-scopes", {"scope": ticked})
    accepted(r, f"Scopes of {ROLE} saved")
    scopes = get(api, "/system-scopes")["list"]
    assert sorted(s["name"] for s in scopes if ROLE in s["roles"]) == sorted(ticked)
    assert "admin" in named(scopes, "name", "apim:tier_view")["roles"]
    r = portal.submit(path, "role-scopes", {"scope": ["apim:bl_view"]})
    accepted(r, f"Scopes of {ROLE} saved")
    scopes = get(api, "/system-scopes")["list"]
    assert [s["name"] for s in scopes if ROLE in s["roles"]] == ["apim:bl_view"]


def test_a_role_scope_change_without_a_role_is_refused_by_field(portal: PortalBrowser) -> None:
    r = portal.submit(f"/admin/scopes?role={ROLE}", "role-scopes", {"role": "", "scope": ["apim:bl_view"]})
    refused(r, 400, "Name the role", field="a role is needed")


# Tenants


def test_a_tenant_is_created_and_deactivated(portal: PortalBrowser, api: httpx.Client) -> None:
    r = portal.submit(
        "/admin/tenants",
        "tenant-form",
        {
            "domain": "forms.example.com",
            "adminUsername": "formsadmin",
            "adminPassword": "forms-pass-1",
            "email": "ops@forms.example.com",
        },
    )
    accepted(r, "Tenant forms.example.com created")
    tenant = get(api, "/tenants/forms.example.com")
    assert (tenant["adminUsername"], tenant["email"], tenant["status"]) == (
        "formsadmin",
        "ops@forms.example.com",
        "ACTIVE",
    )
    r = portal.submit("/admin/tenants", "", {"op": "deactivate"}, where={"domain": "forms.example.com"})
    accepted(r, "Tenant forms.example.com deactivated")
    assert get(api, "/tenants/forms.example.com")["status"] == "INACTIVE"


def test_a_refused_tenant_shows_the_apis_message_by_its_field(portal: PortalBrowser) -> None:
    r = portal.submit(
        "/admin/tenants",
        "tenant-form",
        {"domain": "Not_A_Domain", "adminUsername": "x", "adminPassword": "long-enough"},
    )
    refused(r, 400, "domain", field="String should match pattern")


# API categories


def test_an_api_category_is_added(portal: PortalBrowser, api: httpx.Client) -> None:
    r = portal.submit("/admin/categories", "category-form", {"name": "Forms Finance", "description": "money"})
    accepted(r, "Category Forms Finance added")
    category = named(get(api, "/api-categories")["list"], "name", "Forms Finance")
    assert category["description"] == "money"


def test_a_refused_category_shows_the_apis_message_by_its_field(portal: PortalBrowser) -> None:
    r = portal.submit("/admin/categories", "category-form", {"name": "a/b"})
    refused(r, 400, "name", field="String should match pattern")


# Workflow tasks


@pytest.fixture
def creation_approvals(portal: PortalBrowser) -> Iterator[None]:
    accepted(set_switches(portal, {"AM_APPLICATION_CREATION"}), "Tenant configuration saved")
    yield
    accepted(set_switches(portal, set(), {"AM_APPLICATION_CREATION"}), "Tenant configuration saved")


def pending_application(devportal: httpx.Client, api: httpx.Client, name: str) -> tuple[str, str]:
    """An application awaiting approval and the reference of its AM_APPLICATION_CREATION task."""
    deadline = time.monotonic() + 15
    app: dict[str, Any] = {}
    attempt = 0
    while time.monotonic() < deadline:
        attempt += 1
        r = devportal.post(
            "/applications", json={"name": f"{name}{attempt}", "throttlingPolicy": "Unlimited"}
        )
        assert r.status_code in (201, 202), r.text
        app = r.json()
        if app["status"] == "CREATED":
            break
        time.sleep(0.3)  # the tenant configuration has not reached the devportal yet
    assert app.get("status") == "CREATED", app
    while time.monotonic() < deadline:
        for task in get(api, "/workflows?workflowType=AM_APPLICATION_CREATION")["list"]:
            if task["properties"].get("applicationId") == app["applicationId"]:
                return app["applicationId"], task["referenceId"]
        time.sleep(0.2)
    raise AssertionError(f"no pending task for application {app['applicationId']}")


def application_status(devportal: httpx.Client, app_id: str, expected: str) -> str:
    deadline = time.monotonic() + 10
    status = ""
    while time.monotonic() < deadline:
        status = devportal.get(f"/applications/{app_id}").json().get("status", "")
        if status == expected:
            break
        time.sleep(0.2)
    return status


@pytest.mark.usefixtures("creation_approvals")
def test_an_application_creation_task_is_approved(
    portal: PortalBrowser, api: httpx.Client, devportal: httpx.Client
) -> None:
    app_id, reference = pending_application(devportal, api, "FormsApproved")
    r = portal.submit(
        "/admin/workflows", "", {"decision": "approve", "comment": "fine"}, where={"referenceId": reference}
    )
    accepted(r, "Task approved")
    task = get(api, f"/workflows/{reference}")
    assert task["workflowStatus"] == "APPROVED"
    assert application_status(devportal, app_id, "APPROVED") == "APPROVED"


@pytest.mark.usefixtures("creation_approvals")
def test_an_application_creation_task_is_rejected(
    portal: PortalBrowser, api: httpx.Client, devportal: httpx.Client
) -> None:
    app_id, reference = pending_application(devportal, api, "FormsRejected")
    r = portal.submit(
        "/admin/workflows", "", {"decision": "reject", "comment": "no"}, where={"referenceId": reference}
    )
    accepted(r, "Task rejected")
    assert get(api, f"/workflows/{reference}")["workflowStatus"] == "REJECTED"
    assert application_status(devportal, app_id, "REJECTED") == "REJECTED"


@pytest.mark.usefixtures("creation_approvals")
def test_a_decision_on_a_task_already_decided_shows_the_apis_message(
    portal: PortalBrowser, api: httpx.Client, devportal: httpx.Client
) -> None:
    _, reference = pending_application(devportal, api, "FormsTwice")
    form = portal.form("/admin/workflows", "", where={"referenceId": reference})
    data = dict(form["fields"]) | {"decision": "approve"}
    accepted(portal.http.post("/admin/workflows", data=data), "Task approved")
    r = portal.http.post("/admin/workflows", data=data | {"decision": "reject"})
    assert r.status_code in (400, 404, 409), _error_of(r)
    refused(r, r.status_code, reference)


# Application owners


def test_an_application_changes_owner(
    portal: PortalBrowser, api: httpx.Client, devportal: httpx.Client, control: httpx.Client
) -> None:
    r = control.post(
        "/scim2/Users",
        json={
            "userName": "formsowner",
            "password": "forms-pass-1",
            "roles": [{"value": "Internal/subscriber"}],
        },
        headers=basic("admin", "admin"),
    )
    assert r.status_code == 201, r.text
    r = devportal.post("/applications", json={"name": "FormsOwned", "throttlingPolicy": "Unlimited"})
    assert r.status_code == 201, r.text
    app_id = r.json()["applicationId"]
    r = portal.submit("/admin/applications", "", {"owner": "formsowner"}, where={"applicationId": app_id})
    accepted(r, "Owner changed to formsowner")
    assert (
        named(get(api, "/applications?limit=100")["list"], "applicationId", app_id)["owner"] == "formsowner"
    )


def test_a_refused_owner_change_shows_the_apis_message_by_its_field(
    portal: PortalBrowser, devportal: httpx.Client
) -> None:
    r = devportal.post("/applications", json={"name": "FormsKeepsOwner", "throttlingPolicy": "Unlimited"})
    assert r.status_code == 201, r.text
    app_id = r.json()["applicationId"]
    r = portal.submit("/admin/applications", "", {"owner": ""}, where={"applicationId": app_id})
    refused(r, 400, "owner", field="String should have at least 1 character")


# The rows' own forms: delete and remove


def test_a_tier_is_deleted_from_its_row(portal: PortalBrowser, api: httpx.Client) -> None:
    accepted(
        portal.submit("/admin/tiers", "tier-form", {"kind": "application", "policyName": "FormsDoomed"}),
        "Application tier FormsDoomed added",
    )
    tier = named(get(api, "/throttling/policies/application")["list"], "policyName", "FormsDoomed")
    accepted(portal.submit("/admin/tiers", "", {}, where={"policyId": tier["policyId"]}), "Tier deleted")
    names = [t["policyName"] for t in get(api, "/throttling/policies/application")["list"]]
    assert "FormsDoomed" not in names
    assert "FormsApp20" in names


def test_a_deny_policy_is_removed_from_its_row(portal: PortalBrowser, api: httpx.Client) -> None:
    r = portal.submit(
        "/admin/deny-policies", "deny-form", {"conditionType": "USER", "conditionValue": "forms-brief"}
    )
    accepted(r, "Deny policy added")
    denial = named(get(api, "/throttling/deny-policies")["list"], "conditionValue", "forms-brief")
    r = portal.submit("/admin/deny-policies", "", {}, where={"conditionId": denial["conditionId"]})
    accepted(r, "Deny policy removed")
    values = [d["conditionValue"] for d in get(api, "/throttling/deny-policies")["list"]]
    assert "forms-brief" not in values


def test_a_category_is_deleted_from_its_row(portal: PortalBrowser, api: httpx.Client) -> None:
    accepted(
        portal.submit("/admin/categories", "category-form", {"name": "Forms Gone"}),
        "Category Forms Gone added",
    )
    category = named(get(api, "/api-categories")["list"], "name", "Forms Gone")
    accepted(
        portal.submit("/admin/categories", "", {}, where={"categoryId": category["id"]}), "Category deleted"
    )
    assert "Forms Gone" not in [c["name"] for c in get(api, "/api-categories")["list"]]


def test_a_refused_vhost_is_shown_by_the_host(portal: PortalBrowser) -> None:
    r = portal.submit("/admin/environments", "env-form", {"name": "forms-west", "host": "bad host!"})
    refused(r, 400, "vhosts.0.host", field="vhosts.0.host: String should match pattern")


def test_a_key_manager_without_keys_to_check_tokens_is_shown_by_the_jwks_input(portal: PortalBrowser) -> None:
    r = portal.submit(
        "/admin/key-managers", "km-form", {"name": "FormsNoKeys", "type": "custom-idp", "issuer": "x"}
    )
    refused(r, 400, "needs certificates", field="needs certificates")
