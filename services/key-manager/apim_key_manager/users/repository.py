"""SQL of users, their roles and groups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete, func, or_, select

from apim_common.repository import Repository
from apim_key_manager.users.models import Group, GroupMember, User, UserRole


class UserRepository(Repository[User]):
    model = User

    async def by_name(self, tenant: str, username: str) -> User | None:
        # SQLite's lower() folds ASCII only: "Ölaf" is found by its exact name, never missed and
        # stored twice against the unique index.
        same = or_(User.username == username, func.lower(User.username) == username.lower())
        return await self.one_or_none(self.select().where(User.tenant == tenant, same))

    def in_tenant(self, tenant: str) -> Select[Any]:
        return self.select().where(User.tenant == tenant).order_by(User.created_at, User.id)

    async def direct_roles(self, user_id: str) -> list[str]:
        result = await self.session.execute(
            select(UserRole.role).where(UserRole.user_id == user_id).order_by(UserRole.role)
        )
        return list(result.scalars().all())

    async def role_held(self, tenant: str, role: str) -> bool:
        """Whether some user of ``tenant`` holds ``role`` directly."""
        found = await self.session.execute(
            select(UserRole.user_id)
            .join(User, User.id == UserRole.user_id)
            .where(User.tenant == tenant, UserRole.role == role)
            .limit(1)
        )
        return found.first() is not None

    async def set_roles(self, user_id: str, roles: Sequence[str]) -> None:
        await self.session.execute(delete(UserRole).where(UserRole.user_id == user_id))
        self.session.add_all(UserRole(user_id=user_id, role=role) for role in dict.fromkeys(roles))
        await self.session.flush()

    async def groups_of(self, user_id: str) -> Sequence[Group]:
        result = await self.session.execute(
            select(Group)
            .join(GroupMember, GroupMember.group_id == Group.id)
            .where(GroupMember.user_id == user_id)
            .order_by(Group.display_name)
        )
        return result.scalars().all()

    async def by_ids(self, tenant: str, ids: Sequence[str]) -> Sequence[User]:
        if not ids:
            return []
        return await self.all(self.select().where(User.tenant == tenant, User.id.in_(ids)))


class GroupRepository(Repository[Group]):
    model = Group

    async def by_name(self, tenant: str, name: str) -> Group | None:
        return await self.one_or_none(self.select().where(Group.tenant == tenant, Group.display_name == name))

    def in_tenant(self, tenant: str) -> Select[Any]:
        return self.select().where(Group.tenant == tenant).order_by(Group.created_at, Group.id)

    async def member_ids(self, group_id: str) -> list[str]:
        result = await self.session.execute(
            select(GroupMember.user_id).where(GroupMember.group_id == group_id)
        )
        return list(result.scalars().all())

    async def members(self, group_id: str) -> Sequence[User]:
        result = await self.session.execute(
            select(User)
            .join(GroupMember, GroupMember.user_id == User.id)
            .where(GroupMember.group_id == group_id)
            .order_by(User.username)
        )
        return result.scalars().all()

    async def set_members(self, group_id: str, user_ids: Sequence[str]) -> None:
        await self.session.execute(delete(GroupMember).where(GroupMember.group_id == group_id))
        self.session.add_all(GroupMember(group_id=group_id, user_id=uid) for uid in dict.fromkeys(user_ids))
        await self.session.flush()
