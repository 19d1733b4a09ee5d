"""/api-categories."""

from fastapi import APIRouter

from apim_admin.categories import service
from apim_admin.categories.schemas import APICategory, APICategoryList
from apim_admin.scopes import Category
from apim_common.db import SessionDep

router = APIRouter(prefix="/api/am/admin/v4/api-categories", tags=["API Category (Collection)"])


@router.get("", response_model=APICategoryList)
async def list_api_categories(session: SessionDep, principal: Category) -> APICategoryList:
    rows = await service.list_categories(session, principal.tenant)
    return APICategoryList(count=len(rows), list=rows)


@router.post("", status_code=201, response_model=APICategory)
async def add_api_category(body: APICategory, session: SessionDep, principal: Category) -> APICategory:
    return await service.create(session, principal.tenant, body)


@router.put("/{apiCategoryId}", response_model=APICategory)
async def update_api_category(
    apiCategoryId: str, body: APICategory, session: SessionDep, principal: Category
) -> APICategory:
    return await service.update(session, principal.tenant, apiCategoryId, body)


@router.delete("/{apiCategoryId}")
async def delete_api_category(apiCategoryId: str, session: SessionDep, principal: Category) -> None:
    await service.delete(session, principal.tenant, apiCategoryId)
