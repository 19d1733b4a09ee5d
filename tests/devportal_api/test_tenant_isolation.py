"""Tenants stay apart in the devportal: applications change owner only within their tenant, an API
takes subscriptions from other tenants only as its availability says, and comments are moderated
by the API's own tenant."""

from __future__ import annotations

from typing import Any

import pytest

from tests.devportal_api.conftest import BASE, PORTAL_SCOPES, Portal
from tests.devportal_api.helpers import create_app, subscribe

ACME = {"tenant": "acme.com"}
BROWSE_CARBON_SUPER = {"X-WSO2-Tenant": "carbon.super"}


def _service(portal: Portal) -> dict[str, str]:
    return portal.tokens.headers("apim-internal-services", "apim:internal")


def _acme(portal: Portal, user: str = "bob@acme.com", **kwargs: Any) -> dict[str, str]:
    return {**portal.headers(user, **ACME, **kwargs), **BROWSE_CARBON_SUPER}


async def _change_owner(portal: Portal, app_id: str, **params: str) -> Any:
    return await portal.client.post(
        f"{BASE}/internal/applications/{app_id}/change-owner", params=params, headers=_service(portal)
    )


# Change of owner (the admin API hands over the tenant of its caller)


async def test_an_admin_of_another_tenant_cannot_move_an_application_of_carbon_super(portal: Portal) -> None:
    app = await create_app(portal, portal.headers("alice"))
    r = await _change_owner(portal, app["applicationId"], owner="mallory@acme.com", tenant="acme.com")
    assert r.status_code == 404
    assert r.json()["code"] == 900306
    kept = await portal.client.get(
        f"{BASE}/applications/{app['applicationId']}", headers=portal.headers("alice")
    )
    assert kept.json()["owner"] == "alice"


async def test_a_change_of_owner_without_the_callers_tenant_is_refused(portal: Portal) -> None:
    app = await create_app(portal, portal.headers("alice"))
    r = await _change_owner(portal, app["applicationId"], owner="mallory")
    assert r.status_code == 400
    kept = await portal.client.get(
        f"{BASE}/applications/{app['applicationId']}", headers=portal.headers("alice")
    )
    assert kept.json()["owner"] == "alice"


async def test_an_application_of_a_tenant_goes_only_to_a_user_of_that_tenant(portal: Portal) -> None:
    app = await create_app(portal, portal.headers("bob@acme.com", **ACME))
    outsider = await _change_owner(portal, app["applicationId"], owner="mallory", tenant="acme.com")
    assert outsider.status_code == 400
    moved = await _change_owner(portal, app["applicationId"], owner="carol@acme.com", tenant="acme.com")
    assert moved.status_code == 200
    assert moved.json()["owner"] == "carol@acme.com"


# Subscription availability


@pytest.mark.parametrize("availability", [{}, {"subscriptionAvailability": "CURRENT_TENANT"}])
async def test_an_application_of_another_tenant_cannot_subscribe_to_a_current_tenant_api(
    portal: Portal, availability: dict[str, Any]
) -> None:
    api = await portal.publish_api(name="Pizza", **availability)
    app = await create_app(portal, _acme(portal))
    r = await subscribe(portal, _acme(portal), app["applicationId"], api["id"])
    assert r.status_code == 403
    assert r.json()["code"] == 900309
    listed = await portal.client.get(
        f"{BASE}/subscriptions", params={"applicationId": app["applicationId"]}, headers=_acme(portal)
    )
    assert listed.json()["count"] == 0


async def test_an_api_available_to_all_tenants_takes_another_tenants_application(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza", subscriptionAvailability="ALL_TENANTS")
    app = await create_app(portal, _acme(portal))
    r = await subscribe(portal, _acme(portal), app["applicationId"], api["id"])
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(("named", "status"), [(["acme.com"], 201), (["beta.org"], 403)])
async def test_an_api_available_to_specific_tenants_takes_only_their_applications(
    portal: Portal, named: list[str], status: int
) -> None:
    api = await portal.publish_api(
        name="Pizza", subscriptionAvailability="SPECIFIC_TENANTS", subscriptionAvailableTenants=named
    )
    app = await create_app(portal, _acme(portal))
    r = await subscribe(portal, _acme(portal), app["applicationId"], api["id"])
    assert r.status_code == status, r.text


# Comments


async def test_an_admin_of_another_tenant_cannot_delete_comments_on_an_api(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza")
    url = f"{BASE}/apis/{api['id']}/comments"
    comment = (
        await portal.client.post(url, json={"content": "Nice"}, headers=portal.headers("alice"))
    ).json()
    acme_admin = _acme(portal, "root@acme.com", scopes=f"{PORTAL_SCOPES} apim:admin", roles=["admin"])
    r = await portal.client.delete(f"{url}/{comment['id']}", headers=acme_admin)
    assert r.status_code == 403
    assert (await portal.client.get(url)).json()["count"] == 1


async def test_an_admin_of_the_apis_tenant_moderates_its_comments(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza")
    url = f"{BASE}/apis/{api['id']}/comments"
    comment = (
        await portal.client.post(url, json={"content": "Spam"}, headers=portal.headers("alice"))
    ).json()
    admin = portal.headers("root", scopes=f"{PORTAL_SCOPES} apim:admin", roles=["admin"])
    assert (await portal.client.delete(f"{url}/{comment['id']}", headers=admin)).status_code == 200
    assert (await portal.client.get(url)).json()["count"] == 0
