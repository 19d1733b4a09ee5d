"""Documents of an API: inline, markdown, URL and file, with their scopes."""

from __future__ import annotations

from typing import Any

from tests.publisher_api.conftest import BASE, Publisher


async def _document(publisher: Publisher, api_id: str, **fields: Any) -> dict[str, Any]:
    body = {"name": "Guide", "type": "HOWTO", "sourceType": "INLINE", "visibility": "API_LEVEL", **fields}
    response = await publisher.client.post(
        f"{BASE}/apis/{api_id}/documents", json=body, headers=publisher.auth()
    )
    assert response.status_code == 201, response.text
    document: dict[str, Any] = response.json()
    return document


async def test_inline_and_markdown_content_is_stored_and_served(publisher: Publisher) -> None:
    api = await publisher.create_api()
    inline = await _document(publisher, api["id"], inlineContent="Order a pizza.")
    markdown = await _document(publisher, api["id"], name="Readme", sourceType="MARKDOWN")
    added = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/documents/{markdown['documentId']}/content",
        data={"inlineContent": "# Pizza"},
        headers=publisher.auth(),
    )
    assert added.status_code == 200
    text = await publisher.client.get(
        f"{BASE}/apis/{api['id']}/documents/{inline['documentId']}/content", headers=publisher.auth()
    )
    assert text.text == "Order a pizza."
    md = await publisher.client.get(
        f"{BASE}/apis/{api['id']}/documents/{markdown['documentId']}/content", headers=publisher.auth()
    )
    assert md.text == "# Pizza"
    assert md.headers["content-type"].startswith("text/markdown")


async def test_a_url_document_redirects_to_its_source(publisher: Publisher) -> None:
    api = await publisher.create_api()
    document = await _document(
        publisher, api["id"], sourceType="URL", sourceUrl="https://docs.example.com/pizza"
    )
    content = await publisher.client.get(
        f"{BASE}/apis/{api['id']}/documents/{document['documentId']}/content", headers=publisher.auth()
    )
    assert content.status_code == 303
    assert content.headers["location"] == "https://docs.example.com/pizza"
    no_url = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/documents",
        json={"name": "Bad", "type": "HOWTO", "sourceType": "URL", "visibility": "API_LEVEL"},
        headers=publisher.auth(),
    )
    assert no_url.status_code == 400


async def test_a_file_document_is_uploaded_and_downloaded(publisher: Publisher) -> None:
    api = await publisher.create_api()
    document = await _document(publisher, api["id"], sourceType="FILE")
    pdf = b"%PDF-1.4 pizza"
    uploaded = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/documents/{document['documentId']}/content",
        files={"file": ("menu.pdf", pdf, "application/pdf")},
        headers=publisher.auth(),
    )
    assert uploaded.json()["fileName"] == "menu.pdf"
    content = await publisher.client.get(
        f"{BASE}/apis/{api['id']}/documents/{document['documentId']}/content", headers=publisher.auth()
    )
    assert content.content == pdf
    assert content.headers["content-type"] == "application/pdf"


async def test_documents_are_listed_updated_deleted_and_unique_by_name(publisher: Publisher) -> None:
    api = await publisher.create_api()
    document = await _document(publisher, api["id"])
    duplicate = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/documents",
        json={"name": "Guide", "type": "HOWTO", "sourceType": "INLINE", "visibility": "API_LEVEL"},
        headers=publisher.auth(),
    )
    assert duplicate.status_code == 409
    url = f"{BASE}/apis/{api['id']}/documents/{document['documentId']}"
    updated = await publisher.client.put(
        url, json={**document, "summary": "How to order", "type": "SAMPLES"}, headers=publisher.auth()
    )
    assert (updated.json()["summary"], updated.json()["type"]) == ("How to order", "SAMPLES")
    listed = (
        await publisher.client.get(f"{BASE}/apis/{api['id']}/documents", headers=publisher.auth())
    ).json()
    assert [d["name"] for d in listed["list"]] == ["Guide"]
    assert (await publisher.client.delete(url, headers=publisher.auth())).status_code == 200
    assert (await publisher.client.get(url, headers=publisher.auth())).status_code == 404
    await publisher.settle()
    types = [e.type for _, e in publisher.events if e.type.startswith("document.")]
    assert types == ["document.created", "document.updated", "document.deleted"]


async def test_document_manage_scope_alone_may_write_documents_but_api_view_may_not(
    publisher: Publisher,
) -> None:
    api = await publisher.create_api()
    body = {"name": "Guide", "type": "HOWTO", "sourceType": "INLINE", "visibility": "API_LEVEL"}
    viewer = publisher.auth(["apim:api_view"])
    refused = await publisher.client.post(f"{BASE}/apis/{api['id']}/documents", json=body, headers=viewer)
    assert refused.status_code == 403
    writer = publisher.auth(["apim:document_manage"])
    allowed = await publisher.client.post(f"{BASE}/apis/{api['id']}/documents", json=body, headers=writer)
    assert allowed.status_code == 201
    assert (
        await publisher.client.get(f"{BASE}/apis/{api['id']}/documents", headers=viewer)
    ).status_code == 200
