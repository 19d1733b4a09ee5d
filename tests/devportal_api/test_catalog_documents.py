"""Documents reach the catalog through the publisher's ``document.*`` events."""

from typing import Any

from tests.devportal_api.conftest import BASE, Portal


def _document(api_id: str, document_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "apiId": api_id,
        "documentId": document_id,
        "name": fields.pop("name", "Guide"),
        "type": "HOWTO",
        "summary": "How to order",
        "sourceType": "INLINE",
        "sourceUrl": None,
        "otherTypeName": None,
        "visibility": "API_LEVEL",
        "inlineContent": None,
        "fileName": None,
        **fields,
    }


async def test_a_created_inline_document_is_listed_and_its_content_served(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza")
    doc = _document(api["id"], "doc-1", inlineContent="Call /menu first")
    await portal.publish("apis", "document.created", api["id"], doc)
    listed = (await portal.client.get(f"{BASE}/apis/{api['id']}/documents")).json()
    assert [(d["documentId"], d["name"], d["sourceType"]) for d in listed["list"]] == [
        ("doc-1", "Guide", "INLINE")
    ]
    one = await portal.client.get(f"{BASE}/apis/{api['id']}/documents/doc-1")
    assert one.status_code == 200
    assert one.json()["summary"] == "How to order"
    content = await portal.client.get(f"{BASE}/apis/{api['id']}/documents/doc-1/content")
    assert content.status_code == 200
    assert content.text == "Call /menu first"
    assert content.headers["content-type"].startswith("text/plain")


async def test_a_markdown_document_is_served_as_markdown(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza")
    doc = _document(api["id"], "doc-md", sourceType="MARKDOWN", inlineContent="# Menu\n* Margherita")
    await portal.publish("apis", "document.created", api["id"], doc)
    content = await portal.client.get(f"{BASE}/apis/{api['id']}/documents/doc-md/content")
    assert content.text == "# Menu\n* Margherita"
    assert content.headers["content-type"].startswith("text/markdown")


async def test_a_url_document_redirects_to_its_url(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza")
    doc = _document(api["id"], "doc-url", sourceType="URL", sourceUrl="https://example.com/pizza")
    await portal.publish("apis", "document.created", api["id"], doc)
    content = await portal.client.get(f"{BASE}/apis/{api['id']}/documents/doc-url/content")
    assert content.status_code == 303
    assert content.headers["location"] == "https://example.com/pizza"


async def test_an_updated_document_replaces_the_old_one(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza")
    await portal.publish("apis", "document.created", api["id"], _document(api["id"], "d", inlineContent="v1"))
    updated = _document(api["id"], "d", name="Ordering guide", inlineContent="v2")
    await portal.publish("apis", "document.updated", api["id"], updated)
    listed = (await portal.client.get(f"{BASE}/apis/{api['id']}/documents")).json()
    assert [d["name"] for d in listed["list"]] == ["Ordering guide"]
    assert (await portal.client.get(f"{BASE}/apis/{api['id']}/documents/d/content")).text == "v2"


async def test_a_deleted_document_is_gone(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza")
    doc = _document(api["id"], "d", inlineContent="v1")
    await portal.publish("apis", "document.created", api["id"], doc)
    await portal.publish("apis", "document.deleted", api["id"], doc)
    assert (await portal.client.get(f"{BASE}/apis/{api['id']}/documents")).json()["list"] == []
    assert (await portal.client.get(f"{BASE}/apis/{api['id']}/documents/d")).status_code == 404
    assert (await portal.client.get(f"{BASE}/apis/{api['id']}/documents/d/content")).status_code == 404


async def test_a_replayed_document_event_changes_nothing(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza")
    created = await portal.publish(
        "apis", "document.created", api["id"], _document(api["id"], "d", inlineContent="first")
    )
    await portal.publish(
        "apis",
        "document.updated",
        api["id"],
        _document(api["id"], "d", name="Guide v2", inlineContent="second"),
    )
    await portal.publish(
        "apis",
        "document.created",
        api["id"],
        _document(api["id"], "d", inlineContent="first"),
        event_id=created.id,
    )
    listed = (await portal.client.get(f"{BASE}/apis/{api['id']}/documents")).json()
    assert [d["name"] for d in listed["list"]] == ["Guide v2"]
    assert (await portal.client.get(f"{BASE}/apis/{api['id']}/documents/d/content")).text == "second"


async def test_private_documents_stay_off_the_portal(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza")
    doc = _document(api["id"], "d", visibility="PRIVATE", inlineContent="internal")
    await portal.publish("apis", "document.created", api["id"], doc)
    assert (await portal.client.get(f"{BASE}/apis/{api['id']}/documents")).json()["list"] == []
    assert (await portal.client.get(f"{BASE}/apis/{api['id']}/documents/d/content")).status_code == 404


async def test_documents_of_an_api_the_caller_cannot_see_are_not_served(portal: Portal) -> None:
    api = await portal.publish_api(name="Hidden", visibility="PRIVATE")
    await portal.publish("apis", "document.created", api["id"], _document(api["id"], "d", inlineContent="x"))
    assert (await portal.client.get(f"{BASE}/apis/{api['id']}/documents")).status_code == 404
    assert (await portal.client.get(f"{BASE}/apis/{api['id']}/documents/d/content")).status_code == 404


async def test_list_items_carry_tags_and_categories(portal: Portal) -> None:
    await portal.publish_api(name="Pizza", tags=["food", "delivery"], categories=["Lifestyle"])
    listed = (await portal.client.get(f"{BASE}/apis")).json()["list"]
    assert [(a["name"], a["tags"], a["categories"]) for a in listed] == [
        ("Pizza", ["food", "delivery"], ["Lifestyle"])
    ]
    found = (await portal.client.get(f"{BASE}/apis", params={"query": "api-category:Lifestyle"})).json()
    assert [a["name"] for a in found["list"]] == ["Pizza"]


async def test_a_type_filter_narrows_the_list_by_api_type(portal: Portal) -> None:
    await portal.publish_api(name="Pizza")
    await portal.publish_api(name="Chat", type="WS")
    found = (await portal.client.get(f"{BASE}/apis", params={"query": "type:ws"})).json()
    assert [a["name"] for a in found["list"]] == ["Chat"]
    assert found["pagination"]["total"] == 1
