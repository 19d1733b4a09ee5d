"""Scope -> roles per tenant; every change is a ``system-scopes.updated`` event the key manager applies."""

from sqlalchemy.ext.asyncio import AsyncSession

from apim_admin.events import announce
from apim_admin.system_scopes.defaults import DEFAULT_SCOPES
from apim_admin.system_scopes.models import ScopeMapping
from apim_admin.system_scopes.repository import ScopeMappingRepository
from apim_admin.system_scopes.schemas import RoleAlias, Scope
from apim_common.errors import BadRequest, NotFound
from apim_common.events.topics import Topic


def _tag(name: str) -> str:
    return name.removeprefix("apim:").split("_", 1)[0]


async def _mapping(session: AsyncSession, tenant: str) -> ScopeMapping:
    repository = ScopeMappingRepository(session)
    mapping = await repository.get(tenant)
    if mapping is None:
        mapping = await repository.add(
            ScopeMapping(
                tenant=tenant, scopes={k: list(v) for k, v in DEFAULT_SCOPES.items()}, role_aliases={}
            )
        )
    return mapping


async def scopes(session: AsyncSession, tenant: str) -> list[Scope]:
    mapping = await _mapping(session, tenant)
    return [Scope(tag=_tag(name), name=name, roles=roles) for name, roles in sorted(mapping.scopes.items())]


async def scope(session: AsyncSession, tenant: str, name: str) -> Scope:
    mapping = await _mapping(session, tenant)
    if name not in mapping.scopes:
        raise NotFound(f"Scope {name} was not found")
    return Scope(tag=_tag(name), name=name, roles=mapping.scopes[name])


async def role_aliases(session: AsyncSession, tenant: str) -> list[RoleAlias]:
    mapping = await _mapping(session, tenant)
    return [RoleAlias(role=role, aliases=aliases) for role, aliases in sorted(mapping.role_aliases.items())]


async def _announce(session: AsyncSession, mapping: ScopeMapping) -> None:
    await announce(
        session,
        Topic.SYSTEM_SCOPES,
        "system-scopes.updated",
        mapping.tenant,
        {
            "scopes": [{"name": n, "roles": r} for n, r in sorted(mapping.scopes.items())],
            "roleAliases": [{"role": r, "aliases": a} for r, a in sorted(mapping.role_aliases.items())],
        },
        tenant=mapping.tenant,
    )


async def update_scopes(session: AsyncSession, tenant: str, given: list[Scope]) -> list[Scope]:
    """Set the roles of each given scope; scopes not given keep theirs."""
    mapping = await _mapping(session, tenant)
    unknown = sorted({s.name for s in given} - set(mapping.scopes))
    if unknown:
        raise BadRequest(f"unknown scopes: {', '.join(unknown)}")
    updated = dict(mapping.scopes)
    for item in given:
        updated[item.name] = sorted(set(item.roles))
    mapping.scopes = updated
    await session.flush()
    await _announce(session, mapping)
    return await scopes(session, tenant)


async def update_role_aliases(session: AsyncSession, tenant: str, given: list[RoleAlias]) -> list[RoleAlias]:
    """Replace the alias list: a user holding an alias acts as the role it names."""
    mapping = await _mapping(session, tenant)
    mapping.role_aliases = {a.role: sorted(set(a.aliases)) for a in given if a.aliases}
    await session.flush()
    await _announce(session, mapping)
    return await role_aliases(session, tenant)


async def seed(session: AsyncSession, tenant: str) -> None:
    await _mapping(session, tenant)
