"""GET /apis, POST /apis/{apiId}/change-provider, GET /applications, POST /applications/{id}/change-owner."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from apim_admin.ownership import service
from apim_admin.ownership.schemas import ApplicationAdminView, ApplicationList, SearchResultList
from apim_admin.scopes import ADMIN, AppList, AppOwnerChange, ProviderChange
from apim_common.pagination import PageDep
from apim_common.security import Principal, require_scopes

router = APIRouter(prefix="/api/am/admin/v4", tags=["APIs", "Applications"])

AppRead = Annotated[
    Principal, Depends(require_scopes(ADMIN, "apim:app_import_export", "apim:admin_application_view"))
]
AppDelete = Annotated[Principal, Depends(require_scopes(ADMIN, "apim:app_import_export"))]


@router.get("/apis", response_model=SearchResultList)
async def list_apis(
    request: Request, principal: ProviderChange, page: PageDep, query: str | None = None
) -> SearchResultList:
    return await service.apis(request, principal.tenant, query, page.limit, page.offset)


@router.post("/apis/{apiId}/change-provider")
async def change_api_provider(
    apiId: str, provider: Annotated[str, Query(min_length=1)], request: Request, principal: ProviderChange
) -> None:
    await service.change_provider(request, principal.tenant, apiId, provider)


@router.get("/applications", response_model=ApplicationList)
async def list_applications(
    request: Request,
    principal: AppList,
    page: PageDep,
    user: str | None = None,
    name: str | None = None,
    tenantDomain: str | None = None,
    sortBy: Literal["name", "owner"] | None = None,
    sortOrder: Literal["asc", "desc"] | None = None,
) -> ApplicationList:
    # A tenant administrator lists only its own tenant, whatever tenantDomain says.
    tenant = tenantDomain if principal.tenant == "carbon.super" and tenantDomain else principal.tenant
    filters = {"user": user, "name": name, "sortBy": sortBy, "sortOrder": sortOrder}
    return await service.applications(request, tenant, filters, page.limit, page.offset)


@router.post("/applications/{applicationId}/change-owner")
async def change_application_owner(
    applicationId: str,
    owner: Annotated[str, Query(min_length=1)],
    request: Request,
    principal: AppOwnerChange,
) -> None:
    await service.change_owner(request, principal.tenant, applicationId, owner)


@router.get("/applications/{applicationId}", response_model=ApplicationAdminView)
async def get_application(applicationId: str, request: Request, principal: AppRead) -> ApplicationAdminView:
    """An application of the administrator's tenant; another tenant's is not found."""
    return await service.application(request, principal.tenant, applicationId)


@router.delete("/applications/{applicationId}")
async def delete_application(applicationId: str, request: Request, principal: AppDelete) -> Response:
    """Removes the application with its subscriptions and keys, as its owner's delete does."""
    await service.delete_application(request, principal.tenant, applicationId)
    return Response(status_code=200)
