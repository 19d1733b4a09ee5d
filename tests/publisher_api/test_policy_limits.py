"""What the publisher refuses when a policy is attached, so the gateway never runs it.

A regexPolicy pattern RE2 cannot compile (look-arounds, back-references: only a backtracking
engine runs them, and a crafted body stalls one) is 400 naming the parameter; so is a
requestSizeLimit that is no positive number of bytes.
"""

from __future__ import annotations

from typing import Any

from tests.publisher_api.conftest import Publisher
from tests.publisher_api.test_policies import put_api


def attachment(name: str, **parameters: Any) -> dict[str, Any]:
    return {"policyName": name, "policyVersion": "v1", "parameters": parameters}


async def test_a_regex_policy_pattern_re2_cannot_compile_is_400_naming_the_parameter(
    publisher: Publisher,
) -> None:
    api = await publisher.create_api()
    bad = attachment("regexPolicy", regex=r"(?=.*select).*from")
    response = await put_api(publisher, api, apiPolicies={"request": [bad]})
    assert response.status_code == 400
    assert response.json()["error"][0]["message"] == "regex"
    assert "linear time" in response.json()["description"]


async def test_a_regex_policy_pattern_re2_compiles_is_accepted(publisher: Publisher) -> None:
    api = await publisher.create_api()
    good = attachment("regexPolicy", regex=r".*'.*|.*DROP.*|.*SELECT.*", threatType="SQL-Injection")
    response = await put_api(publisher, api, apiPolicies={"request": [good]})
    assert response.status_code == 200, response.text


async def test_a_request_size_limit_that_is_no_positive_byte_count_is_400_naming_it(
    publisher: Publisher,
) -> None:
    api = await publisher.create_api()
    for size in ("0", "10MB", "-5"):
        bad = attachment("requestSizeLimit", maxRequestBodySize=size)
        response = await put_api(publisher, api, apiPolicies={"request": [bad]})
        assert response.status_code == 400, size
        assert response.json()["error"][0]["message"] == "maxRequestBodySize"


async def test_a_request_size_limit_in_bytes_is_accepted(publisher: Publisher) -> None:
    api = await publisher.create_api()
    good = attachment("requestSizeLimit", maxRequestBodySize="1048576")
    response = await put_api(publisher, api, apiPolicies={"request": [good]})
    assert response.status_code == 200, response.text


async def test_a_json_schema_pattern_re2_cannot_compile_is_400_naming_the_parameter(
    publisher: Publisher,
) -> None:
    api = await publisher.create_api()
    schema = {"type": "object", "properties": {"user": {"type": "string", "pattern": "^(?!admin)"}}}
    bad = attachment("jsonValidator", jsonSchema=schema)
    response = await put_api(publisher, api, apiPolicies={"request": [bad]})
    assert response.status_code == 400
    assert response.json()["error"][0]["message"] == "jsonSchema"
