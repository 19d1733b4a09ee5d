"""Project and policy archives are refused by their zip directory before anything is inflated."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

from tests.publisher_api.conftest import BASE, Publisher

MiB = 1024 * 1024
IMPORT_SCOPES = ["apim:api_import_export", "apim:api_view"]
POLICY_SCOPES = ["apim:api_view", "apim:common_operation_policy_manage", "apim:policies_import_export"]


def bomb(name: str, uncompressed: int, others: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for other, content in (others or {}).items():
            archive.writestr(other, content)
        with archive.open(name, "w") as member:
            for _ in range(uncompressed // MiB):
                member.write(bytes(MiB))
    return buffer.getvalue()


async def test_a_project_zip_bomb_is_refused_before_it_is_inflated(publisher: Publisher) -> None:
    archive = bomb(
        "PizzaShack-1.0.0/Definitions/swagger.yaml", 300 * MiB, {"PizzaShack-1.0.0/api.yaml": b"x: 1"}
    )
    assert len(archive) < 400 * 1024
    tracemalloc.start()
    try:
        response = await publisher.client.post(
            f"{BASE}/apis/import",
            files={"file": ("project.zip", archive, "application/zip")},
            headers=publisher.auth(IMPORT_SCOPES),
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"][0]["code"] == "900756"
    assert "swagger.yaml" in body["description"]
    assert peak < 50 * MiB


async def test_a_project_member_inflating_far_beyond_its_size_is_refused(publisher: Publisher) -> None:
    archive = bomb("PizzaShack-1.0.0/Docs/Guide/guide.pdf", 8 * MiB, {"PizzaShack-1.0.0/api.yaml": b"x: 1"})
    response = await publisher.client.post(
        f"{BASE}/apis/import",
        files={"file": ("project.zip", archive, "application/zip")},
        headers=publisher.auth(IMPORT_SCOPES),
    )
    assert response.status_code == 400, response.text
    assert "zip bomb" in response.json()["description"]


async def test_a_project_with_too_many_members_is_refused(publisher: Publisher) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("P-1/api.yaml", "x: 1")
        for i in range(2001):
            archive.writestr(f"P-1/Docs/d{i}/document.yaml", "")
    response = await publisher.client.post(
        f"{BASE}/apis/import",
        files={"file": ("project.zip", buffer.getvalue(), "application/zip")},
        headers=publisher.auth(IMPORT_SCOPES),
    )
    assert response.status_code == 400, response.text
    assert "more than 2000 entries" in response.json()["description"]


async def test_a_policy_archive_zip_bomb_is_refused(publisher: Publisher) -> None:
    archive = bomb("stamp_v1/stamp.j2", 200 * MiB, {"stamp_v1/stamp_v1.yaml": b"name: stamp"})
    tracemalloc.start()
    try:
        response = await publisher.client.post(
            f"{BASE}/operation-policies/import",
            files={"file": ("p.zip", archive, "application/zip")},
            headers=publisher.auth(POLICY_SCOPES),
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 400, response.text
    assert peak < 50 * MiB
    assert response.json()["message"] == "Invalid policy archive"
