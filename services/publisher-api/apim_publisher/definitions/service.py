"""Reading definitions from an upload, a URL or inline text, and importing them as APIs."""

from __future__ import annotations

import asyncio
import io
import zipfile
from concurrent.futures import ThreadPoolExecutor

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import BadRequest, ErrorListItem
from apim_common.security import Principal
from apim_publisher.apis import service as apis
from apim_publisher.apis import views
from apim_publisher.apis.models import API
from apim_publisher.apis.schemas import APIBody
from apim_publisher.definitions import implementations, openapi
from apim_publisher.definitions.openapi import DefinitionError, Document, RemoteReference
from apim_publisher.definitions.sources import additional_properties, default_context

VALIDATION_SECONDS = 10.0
# Few workers: a definition that hits the time budget keeps its thread until it finishes, and
# cannot take more than these from the rest.
_VALIDATORS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="openapi-validation")


def invalid(errors: list[str], message: str = "Invalid OpenAPI definition") -> BadRequest:
    return BadRequest(
        "; ".join(errors),
        message=message,
        errors=[ErrorListItem(code="900754", message=message, description=e) for e in errors],
    )


def _parsed_and_checked(raw: bytes | str) -> tuple[Document | None, list[str]]:
    try:
        document = openapi.parse(raw)
    except DefinitionError as exc:
        return None, exc.errors
    try:
        openapi.validate(document)
    except RemoteReference as exc:
        raise invalid(exc.errors, "Unsupported reference") from exc
    except DefinitionError as exc:
        return document, exc.errors
    try:
        openapi.inline_path_items(document)
    except DefinitionError as exc:
        return document, exc.errors
    return document, implementations.problems(document)


async def parse_and_validate(raw: bytes | str) -> tuple[Document | None, list[str]]:
    """The document (when it parses) and its problems, worked out on a worker thread within
    ``VALIDATION_SECONDS``: parsing and validating a large definition is CPU work that would
    otherwise stall the event loop every service shares in standalone mode."""
    work = asyncio.get_running_loop().run_in_executor(_VALIDATORS, _parsed_and_checked, raw)
    try:
        return await asyncio.wait_for(work, VALIDATION_SECONDS)
    except TimeoutError:
        return None, [f"The definition could not be validated within {VALIDATION_SECONDS:g} seconds"]


async def load_valid(raw: bytes | str) -> tuple[Document, str]:
    """The parsed document and its version, or 400 naming every problem found."""
    document, errors = await parse_and_validate(raw)
    if errors or document is None:
        raise invalid(errors or ["The definition is empty"])
    return document, openapi.spec_version(document)


async def check(raw: bytes | str) -> tuple[Document | None, list[str]]:
    """For validate-openapi: the document (when it parses) and its problems, without raising."""
    return await parse_and_validate(raw)


async def import_api(
    session: AsyncSession, principal: Principal, document: Document, raw_properties: str | None
) -> API:
    """A new API from a valid definition: fields from ``additionalProperties``, the rest from the document."""
    fields = additional_properties(raw_properties)
    described = openapi.describe(document)
    fields.setdefault("name", openapi.usable_name(described["name"]))
    fields.setdefault("version", described["version"] or "1.0.0")
    fields.setdefault("context", described["context"] or default_context(str(fields["name"])))
    if "description" not in fields and described["description"]:
        fields["description"] = described["description"]
    schemes, api_key_header = openapi.security_from(document)
    if schemes and "securityScheme" not in fields:
        fields["securityScheme"] = schemes
    if api_key_header and "apiKeyHeader" not in fields:
        fields["apiKeyHeader"] = api_key_header
    if "endpointConfig" not in fields:
        endpoints = openapi.endpoints_from(document)
        if endpoints is not None:
            fields["endpointConfig"] = endpoints.model_dump(mode="json", exclude_none=True)
    fields.pop("operations", None)
    try:
        body = APIBody.model_validate(fields)
    except ValidationError as exc:
        errors = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise invalid(errors, "Invalid API properties") from exc
    return await apis.create(session, principal, body, definition=document)


def export_archive(api: API, fmt: str) -> bytes:
    """An apictl-style project: ``api.yaml|json`` and ``Definitions/swagger.yaml|json`` in a folder."""
    ext = "yaml" if fmt.upper() == "YAML" else "json"
    root = f"{api.name.replace(' ', '')}-{api.version}"
    descriptor = {"type": "api", "version": "v4.3.0", "data": views.public(api).model_dump(mode="json")}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{root}/api.{ext}", openapi.dump(descriptor, fmt))
        archive.writestr(f"{root}/Definitions/swagger.{ext}", openapi.dump(api.definition or {}, fmt))
    return buffer.getvalue()
