"""``/operation-policies`` (common) and ``/apis/{apiId}/operation-policies`` (API-specific)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Request, Response, UploadFile

from apim_common.db import SessionDep
from apim_common.errors import NotFound
from apim_common.pagination import Page, PageDep
from apim_publisher import scopes
from apim_publisher.apis import service as apis
from apim_publisher.apis.repository import APIRepository
from apim_publisher.policies import service
from apim_publisher.policies.service import KnownPolicy

router = APIRouter(tags=["Operation Policies"])
ZIP = "application/zip"


def _page(
    request: Request, policies: list[KnownPolicy], page: Any, query: str | None
) -> Page[dict[str, Any]]:
    if query:
        # WSO2's query is "name:<text>" (or just the text); "version:" narrows further.
        terms = dict(part.partition(":")[::2] if ":" in part else ("name", part) for part in query.split())
        policies = [
            p
            for p in policies
            if terms.get("name", "").lower() in p.spec["name"].lower()
            and terms.get("version", p.spec["version"]) == p.spec["version"]
        ]
    window = [service.public(p) for p in policies[page.offset : page.offset + page.limit]]
    return Page[dict[str, Any]].of(
        window, total=len(policies), limit=page.limit, offset=page.offset, path=request.url.path
    )


async def _files(
    spec_file: UploadFile, synapse: UploadFile | None, choreo: UploadFile | None
) -> tuple[dict[str, Any], dict[str, str]]:
    definitions = {}
    for upload in (synapse, choreo):
        if upload is not None:
            definitions[upload.filename or "policy.j2"] = (await upload.read()).decode("utf-8", "replace")
    return service.parse_spec_file(await spec_file.read()), definitions


def _zip(policy: KnownPolicy) -> Response:
    name = f"{policy.spec['name']}_{policy.spec['version']}.zip"
    return Response(
        service.archive(policy),
        media_type=ZIP,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/operation-policies")
async def list_common(
    request: Request,
    session: SessionDep,
    principal: scopes.CommonPolicyRead,
    page: PageDep,
    query: str | None = None,
) -> Page[dict[str, Any]]:
    return _page(request, await service.common(session, principal.tenant), page, query)


@router.post("/operation-policies", status_code=201)
async def add_common(
    response: Response,
    session: SessionDep,
    principal: scopes.CommonPolicyCreate,
    policySpecFile: Annotated[UploadFile, File()],
    synapsePolicyDefinitionFile: Annotated[UploadFile | None, File()] = None,
    ccPolicyDefinitionFile: Annotated[UploadFile | None, File()] = None,
) -> dict[str, Any]:
    spec, definitions = await _files(policySpecFile, synapsePolicyDefinitionFile, ccPolicyDefinitionFile)
    policy = await service.add(session, principal, spec, definitions, api_id=None)
    response.headers["Location"] = f"/api/am/publisher/v4/operation-policies/{policy.id}"
    return service.public(policy)


@router.get("/operation-policies/export")
async def export_common(
    session: SessionDep,
    principal: scopes.PoliciesImportExport,
    name: str,
    version: str = "v1",
    format: str = "YAML",
) -> Response:
    policy = await service.find(session, principal.tenant, None, name, version)
    if policy is None:
        raise NotFound(f"Operation policy '{name}' {version} not found", message="Operation Policy Not Found")
    return _zip(policy)


@router.post("/operation-policies/import", status_code=200)
async def import_common(
    session: SessionDep, principal: scopes.PoliciesImportExport, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    spec, definitions = service.read_archive(await file.read())
    return service.public(await service.add(session, principal, spec, definitions, api_id=None))


@router.get("/operation-policies/{operationPolicyId}")
async def get_common(
    operationPolicyId: str, session: SessionDep, principal: scopes.CommonPolicyRead
) -> dict[str, Any]:
    return service.public(await service.get_common(session, principal.tenant, operationPolicyId))


@router.delete("/operation-policies/{operationPolicyId}", status_code=200)
async def delete_common(
    operationPolicyId: str, session: SessionDep, principal: scopes.CommonPolicyDelete
) -> Response:
    policy = await service.get_common(session, principal.tenant, operationPolicyId)
    await service.remove(
        session, principal.tenant, policy, list(await APIRepository(session).of_tenant(principal.tenant))
    )
    return Response(status_code=200)


@router.get("/operation-policies/{operationPolicyId}/content")
async def common_content(
    operationPolicyId: str, session: SessionDep, principal: scopes.CommonPolicyContent
) -> Response:
    return _zip(await service.get_common(session, principal.tenant, operationPolicyId))


@router.get("/apis/{apiId}/operation-policies")
async def list_of_api(
    apiId: str,
    request: Request,
    session: SessionDep,
    principal: scopes.ApiPolicyRead,
    page: PageDep,
    query: str | None = None,
) -> Page[dict[str, Any]]:
    api = await apis.get(session, principal, apiId)
    return _page(request, await service.of_api(session, api.id), page, query)


@router.post("/apis/{apiId}/operation-policies", status_code=201)
async def add_to_api(
    apiId: str,
    response: Response,
    session: SessionDep,
    principal: scopes.ApiPolicyWrite,
    policySpecFile: Annotated[UploadFile, File()],
    synapsePolicyDefinitionFile: Annotated[UploadFile | None, File()] = None,
    ccPolicyDefinitionFile: Annotated[UploadFile | None, File()] = None,
) -> dict[str, Any]:
    api = await apis.get(session, principal, apiId)
    spec, definitions = await _files(policySpecFile, synapsePolicyDefinitionFile, ccPolicyDefinitionFile)
    policy = await service.add(session, principal, spec, definitions, api_id=api.id)
    response.headers["Location"] = f"/api/am/publisher/v4/apis/{api.id}/operation-policies/{policy.id}"
    return service.public(policy)


@router.get("/apis/{apiId}/operation-policies/{operationPolicyId}")
async def get_of_api(
    apiId: str, operationPolicyId: str, session: SessionDep, principal: scopes.ApiPolicyRead
) -> dict[str, Any]:
    api = await apis.get(session, principal, apiId)
    return service.public(await service.get_of_api(session, api.id, operationPolicyId))


@router.delete("/apis/{apiId}/operation-policies/{operationPolicyId}", status_code=200)
async def delete_of_api(
    apiId: str, operationPolicyId: str, session: SessionDep, principal: scopes.ApiPolicyWrite
) -> Response:
    api = await apis.get(session, principal, apiId)
    policy = await service.get_of_api(session, api.id, operationPolicyId)
    await service.remove(session, principal.tenant, policy, [api])
    return Response(status_code=200)


@router.get("/apis/{apiId}/operation-policies/{operationPolicyId}/content")
async def content_of_api(
    apiId: str, operationPolicyId: str, session: SessionDep, principal: scopes.ApiPolicyRead
) -> Response:
    api = await apis.get(session, principal, apiId)
    return _zip(await service.get_of_api(session, api.id, operationPolicyId))
