from collections.abc import Sequence

from sqlalchemy import or_

from apim_common.repository import Repository
from apim_devportal.key_managers.models import KeyManagerView


class KeyManagerRepository(Repository[KeyManagerView]):
    model = KeyManagerView

    async def usable_in(self, tenant: str) -> Sequence[KeyManagerView]:
        statement = self.select().where(
            or_(KeyManagerView.tenant == tenant, KeyManagerView.is_global.is_(True))
        )
        return await self.all(statement.order_by(KeyManagerView.name))

    async def by_name(self, tenant: str, name: str) -> KeyManagerView | None:
        return await self.one_or_none(
            self.select().where(KeyManagerView.tenant == tenant, KeyManagerView.name == name)
        )
