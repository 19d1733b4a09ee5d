"""A file uploaded to a document in the Publisher is downloaded from the Developer Portal."""

from __future__ import annotations

import pytest

from tests.support.standalone import DEVPORTAL, PUBLISHER, bearer, shared_platform

pytestmark = pytest.mark.timeout(120)


def test_a_file_document_uploaded_in_the_publisher_downloads_from_the_devportal(
    request: pytest.FixtureRequest,
) -> None:
    shared = shared_platform(request)
    s, auth = shared.platform, bearer(shared.admin_token)
    api_id = s.published_api(shared.admin_token, shared.backend, "FileDocsAPI", "/filedocs")
    made = s.control.post(
        f"{PUBLISHER}/apis/{api_id}/documents",
        json={"name": "Menu", "type": "HOWTO", "sourceType": "FILE", "visibility": "API_LEVEL"},
        headers=auth,
    )
    assert made.status_code == 201, made.text
    doc_id = made.json()["documentId"]
    pdf = b"%PDF-1.4 menu\x00\xff"
    uploaded = s.control.post(
        f"{PUBLISHER}/apis/{api_id}/documents/{doc_id}/content",
        files={"file": ("menu.pdf", pdf, "application/pdf")},
        headers=auth,
    )
    assert uploaded.status_code == 200, uploaded.text

    content = s.control.get(f"{DEVPORTAL}/apis/{api_id}/documents/{doc_id}/content", headers=auth)
    assert content.status_code == 200, content.text
    assert content.content == pdf
    assert content.headers["content-type"] == "application/pdf"
    assert "menu.pdf" in content.headers["content-disposition"]
    anonymous = s.control.get(f"{DEVPORTAL}/apis/{api_id}/documents/{doc_id}/content")
    assert anonymous.content == pdf  # a public API's documents are public, as its other documents


def test_the_publishers_internal_file_endpoint_refuses_user_tokens(request: pytest.FixtureRequest) -> None:
    shared = shared_platform(request)
    r = shared.platform.control.get(
        f"{PUBLISHER}/internal/apis/x/documents/y/file", headers=bearer(shared.admin_token)
    )
    assert r.status_code in (401, 403)
