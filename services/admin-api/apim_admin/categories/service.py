from sqlalchemy.ext.asyncio import AsyncSession

from apim_admin.categories.models import ApiCategory
from apim_admin.categories.repository import ApiCategoryRepository
from apim_admin.categories.schemas import APICategory
from apim_admin.events import announce
from apim_admin.usage.repository import KnownApiRepository
from apim_common.errors import Conflict, NotFound
from apim_common.events.topics import Topic


def public(category: ApiCategory, api_count: int = 0) -> APICategory:
    return APICategory(
        id=category.id, name=category.name, description=category.description or None, numberOfAPIs=api_count
    )


async def _announce(session: AsyncSession, action: str, category: ApiCategory) -> None:
    await announce(
        session,
        Topic.API_CATEGORIES,
        f"api-category.{action}",
        category.id,
        public(category).model_dump(mode="json", exclude={"numberOfAPIs"}),
        tenant=category.tenant,
    )


async def list_categories(session: AsyncSession, tenant: str) -> list[APICategory]:
    counts = await KnownApiRepository(session).category_counts(tenant)
    return [public(c, counts.get(c.name, 0)) for c in await ApiCategoryRepository(session).list(tenant)]


async def _get(session: AsyncSession, tenant: str, category_id: str) -> ApiCategory:
    category = await ApiCategoryRepository(session).by_id(tenant, category_id)
    if category is None:
        raise NotFound(f"API category {category_id} was not found")
    return category


async def create(session: AsyncSession, tenant: str, dto: APICategory) -> APICategory:
    repository = ApiCategoryRepository(session)
    if await repository.by_name(tenant, dto.name) is not None:
        raise Conflict(f"API category {dto.name} already exists")
    category = await repository.add(
        ApiCategory(tenant=tenant, name=dto.name, description=dto.description or "")
    )
    await _announce(session, "created", category)
    return public(category)


async def update(session: AsyncSession, tenant: str, category_id: str, dto: APICategory) -> APICategory:
    repository = ApiCategoryRepository(session)
    category = await _get(session, tenant, category_id)
    if dto.name != category.name:
        if await repository.by_name(tenant, dto.name) is not None:
            raise Conflict(f"API category {dto.name} already exists")
        if (await KnownApiRepository(session).category_counts(tenant)).get(category.name):
            raise Conflict(f"API category {category.name} is attached to APIs; it cannot be renamed")
    category.name = dto.name
    category.description = dto.description or ""
    await session.flush()
    await _announce(session, "updated", category)
    counts = await KnownApiRepository(session).category_counts(tenant)
    return public(category, counts.get(category.name, 0))


async def delete(session: AsyncSession, tenant: str, category_id: str) -> None:
    category = await _get(session, tenant, category_id)
    used = (await KnownApiRepository(session).category_counts(tenant)).get(category.name, 0)
    if used:
        raise Conflict(
            f"API category {category.name} is attached to {used} API(s)", message="Category in use"
        )
    await _announce(session, "deleted", category)
    await ApiCategoryRepository(session).delete(category)
