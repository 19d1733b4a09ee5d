"""Every Publisher v4 operation of the API, lifecycle, revision and document groups is served and
checks WSO2's scopes; every endpoint refuses a token without them."""

from __future__ import annotations

import re

from apim_publisher.app import create_app
from apim_publisher.settings import Settings
from tests.publisher_api.conftest import BASE, Publisher
from tests.support.wso2_reference import api_routes, assert_coverage, served_operations, wso2_operations

# The WSO2 paths this service covers so far; policies and API products come with their own groups.
COVERED = re.compile(
    r"^/(settings|apis(/(copy-api|change-lifecycle|import-openapi|validate-openapi|export))?"
    r"|apis/\{apiId\}(/(swagger|thumbnail|subscription-policies|resource-paths|lifecycle-history|lifecycle-state"
    r"|revisions(/\{revisionId\})?|deployments|deploy-revision|undeploy-revision|restore-revision"
    r"|cancel-revision-workflow/\{revisionId\}/\{envName\}|documents(/\{documentId\}(/content)?)?))?)$"
)


def _full(path: str) -> str:
    # The service catalog's routes carry their own prefix (/api/am/service-catalog/v1).
    return path if path.startswith("/api/") else f"{BASE}{path}"


def test_every_covered_wso2_operation_is_served_with_its_scopes() -> None:
    ours = served_operations(create_app(Settings(mode="development")), BASE)
    theirs = wso2_operations("publisher-v4", exclude=lambda method, path: not COVERED.match(path))
    assert len(theirs) >= 35
    assert_coverage("Publisher v4 (APIs, lifecycle, revisions, documents)", ours, theirs, 1.0)


def test_at_least_97_percent_of_wso2s_publisher_v4_is_served_with_its_scopes() -> None:
    ours = served_operations(create_app(Settings(mode="development")), BASE)
    assert_coverage("Publisher v4", ours, wso2_operations("publisher-v4"), 0.97)


async def test_every_endpoint_refuses_a_token_without_its_scope(publisher: Publisher) -> None:
    routes = [r for r in api_routes(publisher.app) if r.include_in_schema and "/internal/" not in r.path]
    headers = publisher.auth(["apim:subscribe"])
    for route in routes:
        for method in route.methods:
            path = re.sub(r"\{[^}]+\}", "x", _full(route.path))
            response = await publisher.client.request(method, path, headers=headers)
            assert response.status_code == 403, f"{method} {path}: {response.status_code} {response.text}"
            if method != "HEAD":  # a HEAD answer has no body
                assert response.json()["code"] == 900910


async def test_internal_endpoints_refuse_user_tokens(publisher: Publisher) -> None:
    internal = [r for r in api_routes(publisher.app) if "/internal/" in r.path]
    assert len(internal) == 6
    for route in internal:
        for method in route.methods:
            response = await publisher.client.request(method, _full(route.path), headers=publisher.auth())
            assert response.status_code == 403, f"{method} {route.path}"
