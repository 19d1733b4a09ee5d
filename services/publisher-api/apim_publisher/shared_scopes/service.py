"""Shared scopes: a scope an API marks ``shared`` takes its roles from here; one in use stays."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import Conflict, NotFound
from apim_common.repository import Repository
from apim_publisher.apis.models import API
from apim_publisher.apis.repository import APIRepository
from apim_publisher.shared_scopes.models import SharedScope


class ScopeBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=255, pattern=r"^[^\s]+$")
    displayName: str | None = Field(default=None, max_length=255)
    description: str | None = Field(default=None, max_length=512)
    bindings: list[str] = Field(default_factory=list)


class ScopeRepository(Repository[SharedScope]):
    model = SharedScope

    async def of_tenant(self, tenant: str) -> list[SharedScope]:
        return list(
            await self.all(select(SharedScope).where(SharedScope.tenant == tenant).order_by(SharedScope.name))
        )

    async def named(self, tenant: str, name: str) -> SharedScope | None:
        return await self.one_or_none(
            select(SharedScope).where(SharedScope.tenant == tenant, SharedScope.name == name)
        )


def public(scope: SharedScope, usage: int = 0) -> dict[str, Any]:
    return {
        "id": scope.id,
        "name": scope.name,
        "displayName": scope.display_name or scope.name,
        "description": scope.description,
        "bindings": list(scope.bindings),
        "usageCount": usage,
    }


async def get(session: AsyncSession, tenant: str, scope_id: str) -> SharedScope:
    scope = await ScopeRepository(session).get(scope_id)
    if scope is None or scope.tenant != tenant:
        raise NotFound(f"Shared scope '{scope_id}' not found", message="Scope Not Found")
    return scope


def _uses(api: API, name: str) -> list[dict[str, str]]:
    """The operations of ``api`` that need the shared scope ``name``."""
    declared = any(s.get("shared") and s["scope"]["name"] == name for s in api.spec.get("scopes") or [])
    if not declared:
        return []
    return [
        {"target": str(o.get("target")), "verb": str(o.get("verb"))}
        for o in api.spec.get("operations") or []
        if name in (o.get("scopes") or [])
    ]


async def usage(session: AsyncSession, scope: SharedScope) -> list[dict[str, Any]]:
    found = []
    for api in await APIRepository(session).of_tenant(scope.tenant):
        used = _uses(api, scope.name)
        declared = any(
            s.get("shared") and s["scope"]["name"] == scope.name for s in api.spec.get("scopes") or []
        )
        if declared:
            found.append(
                {
                    "id": api.id,
                    "name": api.name,
                    "context": api.context,
                    "version": api.version,
                    "provider": api.provider,
                    "usedResourceList": used,
                }
            )
    return found


async def create(session: AsyncSession, tenant: str, body: ScopeBody) -> SharedScope:
    if await ScopeRepository(session).named(tenant, body.name) is not None:
        raise Conflict(f"A scope named '{body.name}' already exists", message="Scope already exists")
    scope = SharedScope(
        id=str(uuid.uuid4()),
        tenant=tenant,
        name=body.name,
        display_name=body.displayName,
        description=body.description,
        bindings=body.bindings,
    )
    return await ScopeRepository(session).add(scope)


async def update(session: AsyncSession, scope: SharedScope, body: ScopeBody) -> SharedScope:
    """The name stays (APIs refer to it); roles and texts change for every API using the scope."""
    scope.display_name, scope.description, scope.bindings = body.displayName, body.description, body.bindings
    for api in await APIRepository(session).of_tenant(scope.tenant):
        scopes = api.spec.get("scopes") or []
        if any(s.get("shared") and s["scope"]["name"] == scope.name for s in scopes):
            api.spec = {
                **api.spec,
                "scopes": [
                    {**s, "scope": {**s["scope"], **_scope_fields(scope)}}
                    if s["scope"]["name"] == scope.name
                    else s
                    for s in scopes
                ],
            }
    await session.flush()
    return scope


def _scope_fields(scope: SharedScope) -> dict[str, Any]:
    return {
        "id": scope.id,
        "displayName": scope.display_name or scope.name,
        "description": scope.description,
        "bindings": list(scope.bindings),
    }


async def delete(session: AsyncSession, scope: SharedScope) -> None:
    users = await usage(session, scope)
    if users:
        names = ", ".join(sorted(u["name"] for u in users))
        raise Conflict(f"Scope '{scope.name}' is used by {names}", message="Shared scope in use")
    await ScopeRepository(session).delete(scope)
