"""Environments as admin-api announces them (``environment.*`` events), plus the built-in Default."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import BadRequest
from apim_common.events import CloudEvent
from apim_publisher.common import utcnow
from apim_publisher.environments.models import Environment, PolicyImplementations
from apim_publisher.environments.repository import EnvironmentRepository, PolicyImplementationsRepository

# A policy implementation's name: an entry point name of the gateway's ``apim.policies`` group.
IMPLEMENTATION_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$"
IMPLEMENTATION_NAME = re.compile(IMPLEMENTATION_PATTERN)


def public(environment: Environment) -> dict[str, Any]:
    return {
        "id": environment.id,
        "name": environment.name,
        "displayName": environment.display_name,
        "type": environment.type,
        "serverUrl": "",
        "provider": environment.provider,
        "showInApiConsole": True,
        "vhosts": environment.vhosts,
        "description": environment.description,
    }


def first_host(environment: Environment) -> str:
    hosts = [str(v.get("host")) for v in environment.vhosts if v.get("host")]
    return hosts[0] if hosts else "localhost"


async def resolve(
    session: AsyncSession, tenant: str, name: str, vhost: str | None
) -> tuple[Environment, str]:
    """The environment called ``name`` and the vhost to deploy on; 400 for unknown ones, as WSO2."""
    environment = await EnvironmentRepository(session).named(tenant, name)
    if environment is None:
        raise BadRequest(
            f"Gateway environment '{name}' does not exist", message="Invalid gateway environment"
        )
    hosts = [str(v.get("host")) for v in environment.vhosts if v.get("host")]
    if vhost:
        if hosts and vhost not in hosts:
            raise BadRequest(
                f"Vhost '{vhost}' is not one of the environment '{name}': {', '.join(hosts)}",
                message="Invalid vhost",
            )
        return environment, vhost
    return environment, first_host(environment)


async def apply_event(session: AsyncSession, event: CloudEvent) -> None:
    data = event.data
    name = str(data.get("name") or "")
    if not name:
        return
    repository = EnvironmentRepository(session)
    existing = await repository.exact(event.tenant, name)
    if event.type == "environment.deleted":
        if existing is not None:
            await repository.delete(existing)
        return
    if existing is None:
        environment_id = str(data.get("id") or uuid.uuid4())
        if await repository.by_id(environment_id) is not None:
            environment_id = str(uuid.uuid4())
        existing = Environment(id=environment_id, tenant=event.tenant, name=name)
        session.add(existing)
    existing.display_name = str(data.get("displayName") or name)
    existing.type = str(data.get("type") or "hybrid")
    existing.description = data.get("description")
    existing.provider = str(data.get("provider") or "wso2")
    existing.vhosts = list(data.get("vhosts") or [])
    await session.flush()


async def report_implementations(session: AsyncSession, environment: str, implementations: list[str]) -> None:
    """A gateway of ``environment`` has these policy implementations (it reports on every sync)."""
    repository = PolicyImplementationsRepository(session)
    row = await repository.get(environment)
    if row is None:
        row = PolicyImplementations(environment=environment)
        session.add(row)
    row.implementations = sorted(set(implementations))
    row.reported_at = utcnow()
    await session.flush()


async def implementations_of(session: AsyncSession, environment: str) -> frozenset[str]:
    """What the gateways of ``environment`` reported; nothing when none has reported yet."""
    row = await PolicyImplementationsRepository(session).get(environment)
    return frozenset(row.implementations) if row is not None else frozenset()


async def implementations_anywhere(session: AsyncSession) -> dict[str, list[str]]:
    """Every reported implementation, with the environments that have it."""
    found: dict[str, list[str]] = {}
    for row in await PolicyImplementationsRepository(session).every():
        for name in row.implementations:
            found.setdefault(name, []).append(row.environment)
    return found
