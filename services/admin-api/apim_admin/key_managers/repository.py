from collections.abc import Sequence

from sqlalchemy import or_, select

from apim_admin.key_managers.models import KeyManager
from apim_common.repository import Repository


class KeyManagerRepository(Repository[KeyManager]):
    model = KeyManager

    async def visible_to(self, tenant: str) -> Sequence[KeyManager]:
        """The tenant's own key managers, then the global ones."""
        rows = await self.all(
            select(KeyManager)
            .where(or_(KeyManager.tenant == tenant, KeyManager.is_global.is_(True)))
            .order_by(KeyManager.created_at)
        )
        return sorted(rows, key=lambda k: k.is_global)

    async def own(self, tenant: str, key_manager_id: str) -> KeyManager | None:
        return await self.one_or_none(
            select(KeyManager).where(
                KeyManager.tenant == tenant, KeyManager.id == key_manager_id, KeyManager.is_global.is_(False)
            )
        )

    async def by_name(self, tenant: str, name: str) -> KeyManager | None:
        return await self.one_or_none(
            select(KeyManager).where(KeyManager.tenant == tenant, KeyManager.name == name)
        )

    async def global_ones(self) -> Sequence[KeyManager]:
        return await self.all(
            select(KeyManager).where(KeyManager.is_global.is_(True)).order_by(KeyManager.created_at)
        )

    async def global_one(self, key_manager_id: str) -> KeyManager | None:
        return await self.one_or_none(
            select(KeyManager).where(KeyManager.id == key_manager_id, KeyManager.is_global.is_(True))
        )

    async def every_tenant(self) -> Sequence[KeyManager]:
        return await self.all(select(KeyManager).order_by(KeyManager.tenant, KeyManager.created_at))
