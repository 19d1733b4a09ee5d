"""Tenants: a domain and its first administrator."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import Conflict
from apim_common.events.envelope import DEFAULT_TENANT
from apim_key_manager.scopes.defaults import ADMIN
from apim_key_manager.tenants.models import Tenant
from apim_key_manager.tenants.repository import TenantRepository
from apim_key_manager.tenants.schemas import TenantCreate
from apim_key_manager.users.service import UserService


async def create_tenant(session: AsyncSession, users: UserService, body: TenantCreate) -> Tenant:
    domain = body.domain.lower()
    repo = TenantRepository(session)
    if domain == DEFAULT_TENANT or await repo.get(domain) is not None:
        raise Conflict(f"Tenant {domain} already exists")
    tenant = await repo.add(Tenant(domain=domain, status="ACTIVE", created_at=datetime.now(UTC)))
    await users.create(
        session,
        tenant=domain,
        username=body.adminUsername,
        password=body.adminPassword,
        roles=[ADMIN],
        given_name=body.firstName,
        family_name=body.lastName,
        emails=[body.email] if body.email else [],
    )
    return tenant
