"""``/apis/{apiId}/client-certificates`` (mutual TLS) and ``/endpoint-certificates`` (backend TLS)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Response, UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.db import SessionDep
from apim_common.security import Principal
from apim_publisher import scopes
from apim_publisher.apis import service as apis
from apim_publisher.apis import views
from apim_publisher.apis.models import API, PRODUCT_TYPE
from apim_publisher.apis.repository import APIRepository
from apim_publisher.certificates import service
from apim_publisher.certificates.service import CLIENT, ENDPOINT, CertificateRepository
from apim_publisher.products import service as products

router = APIRouter(tags=["Client Certificates", "Endpoint Certificates"])


async def _secured(session: AsyncSession, principal: Principal, api_id: str) -> API:
    """The API or API product the client certificates are of: WSO2 serves a product's here too."""
    row = await APIRepository(session).in_tenant(principal.tenant, api_id)
    if row is not None and row.type == PRODUCT_TYPE:
        return await products.get(session, principal, api_id)
    return await apis.get(session, principal, api_id)


def _pem(alias: str, pem: str) -> Response:
    return Response(
        pem,
        media_type="application/x-pem-file",
        headers={"Content-Disposition": f'attachment; filename="{alias}.crt"'},
    )


@router.get("/apis/{apiId}/client-certificates")
async def list_client_certificates(
    apiId: str, session: SessionDep, principal: scopes.ClientCertRead, alias: str | None = None
) -> dict[str, Any]:
    api = await _secured(session, principal, apiId)
    rows = [
        r
        for r in await CertificateRepository(session).of_kind(principal.tenant, CLIENT)
        if r.api_id == api.id and (alias is None or r.alias == alias)
    ]
    items = [{"alias": r.alias, "apiId": r.api_id, "tier": r.tier} for r in rows]
    return {
        "count": len(items),
        "certificates": items,
        "pagination": {"offset": 0, "limit": len(items), "total": len(items)},
    }


@router.post("/apis/{apiId}/client-certificates", status_code=201)
async def add_client_certificate(
    apiId: str,
    session: SessionDep,
    principal: scopes.ClientCertAdd,
    certificate: Annotated[UploadFile, File()],
    alias: Annotated[str, Form()],
    tier: Annotated[str, Form()] = "Unlimited",
) -> dict[str, Any]:
    api = await _secured(session, principal, apiId)
    row = await service.add(
        session, principal.tenant, CLIENT, alias, await certificate.read(), api_id=api.id, tier=tier
    )
    return {"alias": row.alias, "apiId": row.api_id, "tier": row.tier}


@router.get("/apis/{apiId}/client-certificates/{alias}")
async def get_client_certificate(
    apiId: str, alias: str, session: SessionDep, principal: scopes.ClientCertRead
) -> dict[str, Any]:
    api = await _secured(session, principal, apiId)
    return service.info(await service.get(session, principal.tenant, CLIENT, alias, api.id))


@router.put("/apis/{apiId}/client-certificates/{alias}")
async def update_client_certificate(
    apiId: str,
    alias: str,
    session: SessionDep,
    principal: scopes.ClientCertUpdate,
    certificate: Annotated[UploadFile | None, File()] = None,
    tier: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:
    api = await _secured(session, principal, apiId)
    row = await service.get(session, principal.tenant, CLIENT, alias, api.id)
    row = await service.replace(session, row, await certificate.read() if certificate else None, tier)
    return {"alias": row.alias, "apiId": row.api_id, "tier": row.tier}


@router.delete("/apis/{apiId}/client-certificates/{alias}", status_code=200)
async def delete_client_certificate(
    apiId: str, alias: str, session: SessionDep, principal: scopes.ClientCertUpdate
) -> Response:
    api = await _secured(session, principal, apiId)
    await CertificateRepository(session).delete(
        await service.get(session, principal.tenant, CLIENT, alias, api.id)
    )
    return Response(status_code=200)


@router.get("/apis/{apiId}/client-certificates/{alias}/content")
async def client_certificate_content(
    apiId: str, alias: str, session: SessionDep, principal: scopes.ClientCertRead
) -> Response:
    api = await _secured(session, principal, apiId)
    return _pem(alias, (await service.get(session, principal.tenant, CLIENT, alias, api.id)).pem)


@router.get("/endpoint-certificates")
async def list_endpoint_certificates(
    session: SessionDep,
    principal: scopes.EndpointCertRead,
    alias: str | None = None,
    endpoint: str | None = None,
) -> dict[str, Any]:
    rows = [
        r
        for r in await CertificateRepository(session).of_kind(principal.tenant, ENDPOINT)
        if (alias is None or r.alias == alias) and (endpoint is None or r.endpoint == endpoint)
    ]
    items = [{"alias": r.alias, "endpoint": r.endpoint} for r in rows]
    return {
        "count": len(items),
        "certificates": items,
        "pagination": {"offset": 0, "limit": len(items), "total": len(items)},
    }


@router.post("/endpoint-certificates", status_code=201)
async def add_endpoint_certificate(
    session: SessionDep,
    principal: scopes.EndpointCertAdd,
    certificate: Annotated[UploadFile, File()],
    alias: Annotated[str, Form()],
    endpoint: Annotated[str, Form(pattern=r"^https?://")],
) -> dict[str, Any]:
    row = await service.add(
        session, principal.tenant, ENDPOINT, alias, await certificate.read(), endpoint=endpoint
    )
    return {"alias": row.alias, "endpoint": row.endpoint}


@router.get("/endpoint-certificates/{alias}")
async def get_endpoint_certificate(
    alias: str, session: SessionDep, principal: scopes.EndpointCertRead
) -> dict[str, Any]:
    return service.info(await service.get(session, principal.tenant, ENDPOINT, alias))


@router.put("/endpoint-certificates/{alias}")
async def update_endpoint_certificate(
    alias: str,
    session: SessionDep,
    principal: scopes.EndpointCertUpdate,
    certificate: Annotated[UploadFile, File()],
) -> dict[str, Any]:
    row = await service.get(session, principal.tenant, ENDPOINT, alias)
    row = await service.replace(session, row, await certificate.read(), None)
    return {"alias": row.alias, "endpoint": row.endpoint}


@router.delete("/endpoint-certificates/{alias}", status_code=200)
async def delete_endpoint_certificate(
    alias: str, session: SessionDep, principal: scopes.EndpointCertUpdate
) -> Response:
    await CertificateRepository(session).delete(await service.get(session, principal.tenant, ENDPOINT, alias))
    return Response(status_code=200)


@router.get("/endpoint-certificates/{alias}/content")
async def endpoint_certificate_content(
    alias: str, session: SessionDep, principal: scopes.EndpointCertRead
) -> Response:
    return _pem(alias, (await service.get(session, principal.tenant, ENDPOINT, alias)).pem)


def _urls(config: Any) -> list[str]:
    if not isinstance(config, dict):
        return []
    found: list[str] = []
    for key in ("production_endpoints", "sandbox_endpoints", "production_failovers", "sandbox_failovers"):
        value = config.get(key)
        for endpoint in value if isinstance(value, list) else [value]:
            if isinstance(endpoint, dict) and endpoint.get("url"):
                found.append(str(endpoint["url"]))
    return found


@router.get("/endpoint-certificates/{alias}/usage")
async def endpoint_certificate_usage(
    alias: str, session: SessionDep, principal: scopes.EndpointCertRead
) -> dict[str, Any]:
    """The APIs calling an endpoint under the certificate's URL."""
    row = await service.get(session, principal.tenant, ENDPOINT, alias)
    prefix = (row.endpoint or "").rstrip("/")
    users = [
        views.info(a).model_dump(mode="json", exclude_none=True)
        for a in await apis.of_caller(session, principal)
        if any(u == prefix or u.startswith(prefix + "/") for u in _urls(a.spec.get("endpointConfig")))
    ]
    return {"count": len(users), "list": users}
