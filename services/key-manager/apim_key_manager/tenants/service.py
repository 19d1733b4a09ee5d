"""Tenants: a domain and its first administrator, and whether it is active.

An inactive tenant's users get no tokens, and its tokens are refused here (``revocation.service``)
and, through the token-revocations events, by every other service and gateway.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import BadRequest, Conflict
from apim_common.events.envelope import DEFAULT_TENANT, new_event
from apim_common.events.outbox import emit
from apim_common.events.topics import Topic
from apim_common.revocations import TENANT_ACTIVATED, TENANT_DEACTIVATED
from apim_key_manager.models import outbox
from apim_key_manager.scopes.defaults import ADMIN
from apim_key_manager.tenants.models import ACTIVE, INACTIVE, Tenant
from apim_key_manager.tenants.repository import TenantRepository
from apim_key_manager.tenants.schemas import TenantCreate
from apim_key_manager.users.service import UserService


async def create_tenant(session: AsyncSession, users: UserService, body: TenantCreate) -> Tenant:
    domain = body.domain.lower()
    repo = TenantRepository(session)
    if domain == DEFAULT_TENANT or await repo.get(domain) is not None:
        raise Conflict(f"Tenant {domain} already exists")
    tenant = await repo.add(Tenant(domain=domain, status=ACTIVE, created_at=datetime.now(UTC)))
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


async def set_status(session: AsyncSession, domain: str, status: str) -> Tenant:
    """Activate or deactivate ``domain``; a change is announced on the token-revocations topic."""
    domain = domain.lower()
    if domain == DEFAULT_TENANT:
        raise BadRequest(f"The tenant {DEFAULT_TENANT} cannot be deactivated")
    repo = TenantRepository(session)
    tenant = await repo.get(domain)
    if tenant is None:
        # A tenant made before the key manager kept tenants: admin-api knows it, so it exists.
        tenant = await repo.add(Tenant(domain=domain, status=ACTIVE, created_at=datetime.now(UTC)))
    if tenant.status != status:
        tenant.status = status
        await session.flush()
        kind = TENANT_DEACTIVATED if status == INACTIVE else TENANT_ACTIVATED
        event = new_event("key-manager", kind, domain, {"domain": domain}, tenant=domain)
        await emit(session, outbox, Topic.TOKEN_REVOCATIONS, event)
    return tenant
