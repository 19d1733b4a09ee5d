"""Every Admin v4 operation enforces its WSO2 scopes, and we serve at least 90% of WSO2's operations."""

import re

from apim_admin.app import create_app
from apim_admin.settings import Settings
from tests.admin_api.harness import Admin
from tests.support.wso2_reference import api_routes, assert_coverage, served_operations, wso2_operations

PREFIX = "/api/am/admin/v4"


def test_at_least_97_percent_of_wso2_admin_operations_are_served_each_with_its_scopes() -> None:
    ours = served_operations(create_app(Settings(mode="development")), PREFIX)
    assert_coverage("Admin v4", ours, wso2_operations("admin-v4"), 0.97)


def _example_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


async def test_every_endpoint_refuses_a_token_without_its_scope(admin: Admin) -> None:
    routes = [r for r in api_routes(admin.app) if r.include_in_schema and "/internal/" not in r.path]
    assert len(routes) > 70
    headers = admin.auth("apim:subscribe apim:api_view")
    for route in routes:
        for method in route.methods:
            response = await admin.client.request(method, _example_path(route.path), headers=headers)
            assert response.status_code == 403, f"{method} {route.path}: {response.status_code}"
            if method != "HEAD":  # a HEAD answer has no body
                assert response.json()["code"] == 900910


async def test_internal_endpoints_refuse_user_tokens(admin: Admin) -> None:
    internal = [r for r in api_routes(admin.app) if "/internal/" in r.path]
    assert internal
    for route in internal:
        for method in route.methods:
            response = await admin.client.request(method, route.path, headers=admin.auth())
            assert response.status_code == 403, f"{method} {route.path}"
