"""Tenants live in the key manager (users) and here (status, defaults); creation seeds the defaults."""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apim_admin.events import announce
from apim_admin.scopes import SUPER_TENANT
from apim_admin.tenants.models import Tenant
from apim_admin.tenants.repository import TenantRepository
from apim_admin.tenants.schemas import CustomUrlInfo, TenantCreate, TenantInfo, TenantPublic
from apim_common.errors import Conflict, Forbidden, NotFound
from apim_common.events.topics import Topic

SUPER_TENANT_ID = -1234

CreateAdmin = Callable[[dict[str, Any]], Awaitable[Any]]
# Tells the key manager the tenant's status: it refuses an inactive tenant's sign-ins and tokens.
SetKeyManagerStatus = Callable[[str, str], Awaitable[Any]]
Seed = Callable[[AsyncSession, str], Awaitable[None]]


def only_super_tenant(tenant: str) -> None:
    if tenant != SUPER_TENANT:
        raise Forbidden("Only the super tenant's administrators manage tenants")


def public(tenant: Tenant) -> TenantPublic:
    return TenantPublic(
        domain=tenant.domain,
        tenantId=tenant.tenant_id,
        status=tenant.status,
        adminUsername=tenant.admin_username,
        firstName=tenant.first_name,
        lastName=tenant.last_name,
        email=tenant.email,
        createdTime=tenant.created_at,
    )


async def _announce(session: AsyncSession, action: str, tenant: Tenant) -> None:
    await announce(
        session,
        Topic.TENANTS,
        f"tenant.{action}",
        tenant.domain,
        {"domain": tenant.domain, "status": tenant.status, "adminUsername": tenant.admin_username},
        tenant=tenant.domain,
    )


async def create(session: AsyncSession, dto: TenantCreate, create_admin: CreateAdmin, seed: Seed) -> Tenant:
    repository = TenantRepository(session)
    if dto.domain == SUPER_TENANT or await repository.get(dto.domain) is not None:
        raise Conflict(f"Tenant {dto.domain} already exists")
    await create_admin(
        {
            "domain": dto.domain,
            "adminUsername": dto.adminUsername,
            "adminPassword": dto.adminPassword.get_secret_value(),
            "firstName": dto.firstName or None,
            "lastName": dto.lastName or None,
            "email": dto.email or None,
        }
    )
    tenant = await repository.add(
        Tenant(
            domain=dto.domain,
            tenant_id=await repository.next_tenant_id(),
            admin_username=dto.adminUsername,
            first_name=dto.firstName,
            last_name=dto.lastName,
            email=dto.email,
        )
    )
    await seed(session, dto.domain)
    await _announce(session, "created", tenant)
    return tenant


async def list_page(session: AsyncSession, *, limit: int, offset: int) -> tuple[Sequence[Tenant], int]:
    return await TenantRepository(session).list_page(limit=limit, offset=offset)


async def get(session: AsyncSession, domain: str) -> Tenant:
    tenant = await TenantRepository(session).get(domain)
    if tenant is None:
        raise NotFound(f"Tenant {domain} was not found")
    return tenant


async def set_status(
    session: AsyncSession, domain: str, status: str, set_key_manager_status: SetKeyManagerStatus
) -> Tenant:
    """The key manager is told first, every time (a retry repairs an earlier partial failure): if
    it cannot be reached, nothing changes and the caller gets 503."""
    tenant = await get(session, domain)
    await set_key_manager_status(tenant.domain, status)
    if tenant.status != status:
        tenant.status = status
        await session.flush()
        await _announce(session, "updated", tenant)
    return tenant


async def _tenant_id(session: AsyncSession, domain: str) -> int:
    if domain == SUPER_TENANT:
        return SUPER_TENANT_ID
    return (await get(session, domain)).tenant_id


async def tenant_info(session: AsyncSession, caller_tenant: str, username: str) -> TenantInfo:
    name, _, domain = username.rpartition("@") if "@" in username else (username, "", SUPER_TENANT)
    domain = domain or SUPER_TENANT
    if caller_tenant not in (SUPER_TENANT, domain):
        raise NotFound(f"User {username} was not found")
    return TenantInfo(username=name, tenantDomain=domain, tenantId=await _tenant_id(session, domain))


async def custom_url(session: AsyncSession, caller_tenant: str, domain: str) -> CustomUrlInfo:
    if caller_tenant not in (SUPER_TENANT, domain):
        raise NotFound(f"Tenant {domain} was not found")
    admin = "admin" if domain == SUPER_TENANT else (await get(session, domain)).admin_username
    return CustomUrlInfo(tenantDomain=domain, tenantAdminUsername=admin, enabled=False, devPortal={"url": ""})
