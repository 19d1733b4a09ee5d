from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apim_admin.environments.models import Environment
from apim_admin.environments.repository import EnvironmentRepository
from apim_admin.environments.schemas import Environment as EnvironmentDTO
from apim_admin.events import announce
from apim_common.errors import BadRequest, Conflict, NotFound
from apim_common.events.topics import Topic

DEFAULT_ENVIRONMENT: dict[str, Any] = {
    "name": "Default",
    "displayName": "Default",
    "type": "hybrid",
    "description": "The gateway every installation starts with",
    "vhosts": [{"host": "localhost", "httpContext": "", "httpPort": 8280, "httpsPort": 8243}],
}


def public(environment: Environment) -> EnvironmentDTO:
    return EnvironmentDTO.model_validate(
        {
            **environment.body,
            "id": environment.id,
            "name": environment.name,
            "isReadOnly": environment.read_only,
        }
    )


def _body(dto: EnvironmentDTO) -> dict[str, Any]:
    body = dto.model_dump(mode="json", exclude={"id", "isReadOnly"})
    body["displayName"] = dto.displayName or dto.name
    return body


async def _announce(session: AsyncSession, action: str, environment: Environment) -> None:
    data = public(environment).model_dump(mode="json")
    await announce(
        session, Topic.ENVIRONMENTS, f"environment.{action}", environment.id, data, tenant=environment.tenant
    )


async def list_environments(session: AsyncSession, tenant: str) -> Sequence[Environment]:
    return await EnvironmentRepository(session).list(tenant)


async def get(session: AsyncSession, tenant: str, environment_id: str) -> Environment:
    environment = await EnvironmentRepository(session).by_id(tenant, environment_id)
    if environment is None:
        raise NotFound(f"Gateway environment {environment_id} was not found")
    return environment


async def create(session: AsyncSession, tenant: str, dto: EnvironmentDTO) -> Environment:
    repository = EnvironmentRepository(session)
    if await repository.by_name(tenant, dto.name) is not None:
        raise Conflict(f"Gateway environment {dto.name} already exists")
    environment = await repository.add(Environment(tenant=tenant, name=dto.name, body=_body(dto)))
    await _announce(session, "created", environment)
    return environment


def _writable(environment: Environment) -> None:
    if environment.read_only:
        raise BadRequest(f"Gateway environment {environment.name} is read-only (defined by the installation)")


async def update(session: AsyncSession, tenant: str, environment_id: str, dto: EnvironmentDTO) -> Environment:
    environment = await get(session, tenant, environment_id)
    _writable(environment)
    if dto.name != environment.name:
        raise BadRequest("a gateway environment's name cannot be changed")
    environment.body = _body(dto)
    await session.flush()
    await _announce(session, "updated", environment)
    return environment


async def delete(session: AsyncSession, tenant: str, environment_id: str) -> None:
    environment = await get(session, tenant, environment_id)
    _writable(environment)
    await _announce(session, "deleted", environment)
    await EnvironmentRepository(session).delete(environment)


async def seed(session: AsyncSession, tenant: str) -> None:
    repository = EnvironmentRepository(session)
    if await repository.by_name(tenant, DEFAULT_ENVIRONMENT["name"]) is None:
        dto = EnvironmentDTO.model_validate(DEFAULT_ENVIRONMENT)
        await repository.add(Environment(tenant=tenant, name=dto.name, body=_body(dto), read_only=True))
