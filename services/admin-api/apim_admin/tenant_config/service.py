from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from apim_admin.events import announce
from apim_admin.tenant_config.models import TenantConfig
from apim_admin.tenant_config.repository import TenantConfigRepository
from apim_admin.tenant_config.schemas import TenantConfigDocument
from apim_common.errors import BadRequest, ErrorListItem
from apim_common.events.topics import Topic


def schema() -> dict[str, Any]:
    return TenantConfigDocument.model_json_schema()


def _default() -> dict[str, Any]:
    return TenantConfigDocument().model_dump(mode="json")


async def get(session: AsyncSession, tenant: str) -> dict[str, Any]:
    stored = await TenantConfigRepository(session).get(tenant)
    return dict(stored.config) if stored is not None else _default()


def validate(document: Any) -> dict[str, Any]:
    try:
        return TenantConfigDocument.model_validate(document).model_dump(mode="json")
    except ValidationError as exc:
        errors = [
            ErrorListItem(code="400", message=".".join(map(str, e["loc"])) or "config", description=e["msg"])
            for e in exc.errors()
        ]
        raise BadRequest(
            "the tenant configuration does not match GET /tenant-config-schema", errors=errors
        ) from exc


async def put(session: AsyncSession, tenant: str, document: Any) -> dict[str, Any]:
    config = validate(document)
    repository = TenantConfigRepository(session)
    stored = await repository.get(tenant)
    if stored is None:
        await repository.add(TenantConfig(tenant=tenant, config=config))
    else:
        stored.config = config
        await session.flush()
    await announce(session, Topic.TENANTS, "tenant-config.updated", tenant, {"config": config}, tenant=tenant)
    return config


async def seed(session: AsyncSession, tenant: str) -> None:
    repository = TenantConfigRepository(session)
    if await repository.get(tenant) is None:
        await repository.add(TenantConfig(tenant=tenant, config=_default()))
