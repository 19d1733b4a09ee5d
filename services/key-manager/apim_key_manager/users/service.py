"""Users and roles: who may sign in, and which roles (hence scopes) they hold.

A user's roles are the ones assigned directly plus the display names of the groups they belong to;
every user also holds ``Internal/everyone``. Changing what a user holds revokes their tokens issued
so far, so no token outlives the roles it was granted for.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import BadRequest, Conflict, NotFound
from apim_common.events.envelope import DEFAULT_TENANT
from apim_key_manager.revocation.service import revoke_issued_before
from apim_key_manager.scopes.defaults import EVERYONE
from apim_key_manager.tenants.repository import TenantRepository
from apim_key_manager.users.lockout import SignInGuard, current_address
from apim_key_manager.users.models import Group, User
from apim_key_manager.users.passwords import Passwords
from apim_key_manager.users.repository import GroupRepository, UserRepository


def subject_of(user: User) -> str:
    """``sub`` of the user's tokens: ``name@tenant``, e.g. ``admin@carbon.super``."""
    return f"{user.username}@{user.tenant}"


def login_of(user: User) -> str:
    """The name the user signs in with: ``admin``, or ``bob@acme.com`` in a tenant."""
    return user.username if user.tenant == DEFAULT_TENANT else f"{user.username}@{user.tenant}"


async def resolve_login(
    session: AsyncSession, login: str, default_tenant: str = DEFAULT_TENANT
) -> tuple[str, str]:
    """``(username, tenant)`` of a sign-in name: ``bob@acme.com`` is bob of tenant acme.com if that
    tenant exists; otherwise the whole name is a user of ``default_tenant``."""
    name, at, domain = login.rpartition("@")
    if at and name:
        if domain == DEFAULT_TENANT:
            return name, DEFAULT_TENANT
        if await TenantRepository(session).get(domain) is not None:
            return name, domain
    return login, default_tenant


class UserService:
    def __init__(self, passwords: Passwords, token_lifetime: int, guard: SignInGuard | None = None) -> None:
        self.passwords = passwords
        # The longest life of a token a revocation rule must cover.
        self.token_lifetime = token_lifetime
        # Counts failed sign-ins per user name and client address; None checks passwords unbraked.
        self.guard = guard

    async def find(self, session: AsyncSession, login: str) -> User | None:
        username, tenant = await resolve_login(session, login)
        return await UserRepository(session).by_name(tenant, username)

    async def authenticate(self, session: AsyncSession, login: str, password: str) -> User | None:
        """The active user ``login`` names if ``password`` is theirs.

        Raises :class:`SignInLocked` while the name or the caller's address has failed too often.
        """
        address = current_address()
        username, tenant = await resolve_login(session, login)
        name = f"{username}@{tenant}"
        if self.guard is not None:
            await self.guard.check(name, address)
        user = await UserRepository(session).by_name(tenant, username)
        # A user of an inactive tenant does not sign in, as an inactive user does not.
        usable = user is not None and user.active and not await TenantRepository(session).is_inactive(tenant)
        stored = user.password_hash if user is not None and usable else None
        if not await self.passwords.verify(stored, password):
            if self.guard is not None:
                await self.guard.failed(name, address)
            return None
        if self.guard is not None:
            await self.guard.succeeded(name)
        assert user is not None  # a password verified against a stored hash
        await self.upgrade_hash(user, password)
        return user

    async def upgrade_hash(self, user: User, password: str) -> None:
        """After a right password: a hash the crypto provider no longer takes (argon2 in FIPS mode)
        is replaced by one it does; the caller's transaction stores it."""
        if self.passwords.needs_rehash(user.password_hash):
            user.password_hash = await self.passwords.hash(password)

    async def roles(self, session: AsyncSession, user: User) -> list[str]:
        repo = UserRepository(session)
        held = await repo.direct_roles(user.id)
        held.extend(group.display_name for group in await repo.groups_of(user.id))
        held.append(EVERYONE)
        return list(dict.fromkeys(held))

    async def create(
        self,
        session: AsyncSession,
        *,
        tenant: str,
        username: str,
        password: str,
        roles: Sequence[str] = (),
        given_name: str | None = None,
        family_name: str | None = None,
        emails: Sequence[str] = (),
        active: bool = True,
    ) -> User:
        if not username or not username.strip():
            raise BadRequest("userName is required")
        if not password:
            raise BadRequest("password is required")
        repo = UserRepository(session)
        if await repo.by_name(tenant, username) is not None:
            raise Conflict(f"User {username} already exists in tenant {tenant}")
        now = datetime.now(UTC)
        user = User(
            id=str(uuid.uuid4()),
            tenant=tenant,
            username=username,
            password_hash=await self.passwords.hash(password),
            given_name=given_name,
            family_name=family_name,
            emails=list(emails),
            active=active,
            created_at=now,
            updated_at=now,
        )
        await repo.add(user)
        await repo.set_roles(user.id, [r for r in roles if r != EVERYONE])
        return user

    async def get(self, session: AsyncSession, tenant: str, user_id: str) -> User:
        user = await UserRepository(session).get(user_id)
        if user is None or user.tenant != tenant:
            raise NotFound(f"User {user_id} not found")
        return user

    async def set_password(self, session: AsyncSession, user: User, password: str) -> None:
        if not password:
            raise BadRequest("password may not be empty")
        user.password_hash = await self.passwords.hash(password)
        user.updated_at = datetime.now(UTC)

    async def set_roles(self, session: AsyncSession, user: User, roles: Sequence[str]) -> None:
        repo = UserRepository(session)
        wanted = [r for r in dict.fromkeys(roles) if r != EVERYONE]
        if sorted(wanted) == await repo.direct_roles(user.id):
            return
        await repo.set_roles(user.id, wanted)
        user.updated_at = datetime.now(UTC)
        await self.revoke_tokens(session, user)

    async def set_active(self, session: AsyncSession, user: User, active: bool) -> None:
        if user.active == active:
            return
        user.active = active
        user.updated_at = datetime.now(UTC)
        if not active:
            await self.revoke_tokens(session, user)

    async def delete(self, session: AsyncSession, user: User) -> None:
        await self.revoke_tokens(session, user)
        await UserRepository(session).delete(user)

    async def revoke_tokens(self, session: AsyncSession, user: User) -> None:
        await revoke_issued_before(
            session, tenant=user.tenant, lifetime=self.token_lifetime, subject=subject_of(user)
        )

    # Groups: their display names are roles of their members.

    async def create_group(
        self, session: AsyncSession, tenant: str, display_name: str, member_ids: Sequence[str]
    ) -> Group:
        if not display_name or not display_name.strip():
            raise BadRequest("displayName is required")
        repo = GroupRepository(session)
        if await repo.by_name(tenant, display_name) is not None:
            raise Conflict(f"Group {display_name} already exists")
        now = datetime.now(UTC)
        group = Group(
            id=str(uuid.uuid4()), tenant=tenant, display_name=display_name, created_at=now, updated_at=now
        )
        await repo.add(group)
        await self.set_members(session, group, member_ids)
        return group

    async def get_group(self, session: AsyncSession, tenant: str, group_id: str) -> Group:
        group = await GroupRepository(session).get(group_id)
        if group is None or group.tenant != tenant:
            raise NotFound(f"Group {group_id} not found")
        return group

    async def set_members(self, session: AsyncSession, group: Group, member_ids: Sequence[str]) -> None:
        repo = GroupRepository(session)
        wanted = list(dict.fromkeys(member_ids))
        users = await UserRepository(session).by_ids(group.tenant, wanted)
        missing = set(wanted) - {u.id for u in users}
        if missing:
            raise BadRequest(f"No such users: {', '.join(sorted(missing))}")
        before = set(await repo.member_ids(group.id))
        await repo.set_members(group.id, wanted)
        group.updated_at = datetime.now(UTC)
        changed = before ^ set(wanted)
        if changed:
            for user in await UserRepository(session).by_ids(group.tenant, sorted(changed)):
                await self.revoke_tokens(session, user)

    async def rename_group(self, session: AsyncSession, group: Group, display_name: str) -> None:
        if display_name == group.display_name:
            return
        if not display_name.strip():
            raise BadRequest("displayName may not be empty")
        repo = GroupRepository(session)
        if await repo.by_name(group.tenant, display_name) is not None:
            raise Conflict(f"Group {display_name} already exists")
        group.display_name = display_name
        group.updated_at = datetime.now(UTC)
        for user in await repo.members(group.id):
            await self.revoke_tokens(session, user)

    async def delete_group(self, session: AsyncSession, group: Group) -> None:
        for user in await GroupRepository(session).members(group.id):
            await self.revoke_tokens(session, user)
        await GroupRepository(session).delete(group)
