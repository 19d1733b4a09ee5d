from collections.abc import Sequence

from apim_common.repository import Repository
from apim_devportal.keys.models import ApiKeyRecord, KeyMapping


class KeyMappingRepository(Repository[KeyMapping]):
    model = KeyMapping

    async def of_application(self, application_id: str) -> Sequence[KeyMapping]:
        statement = self.select().where(KeyMapping.application_id == application_id)
        return await self.all(statement.order_by(KeyMapping.created_at))

    async def find(self, application_id: str, key_type: str, key_manager: str) -> KeyMapping | None:
        return await self.one_or_none(
            self.select().where(
                KeyMapping.application_id == application_id,
                KeyMapping.key_type == key_type,
                KeyMapping.key_manager == key_manager,
            )
        )

    async def by_consumer_key(self, consumer_key: str, key_manager: str) -> KeyMapping | None:
        return await self.one_or_none(
            self.select().where(
                KeyMapping.consumer_key == consumer_key, KeyMapping.key_manager == key_manager
            )
        )

    async def everything(self) -> Sequence[KeyMapping]:
        return await self.all(self.select().order_by(KeyMapping.created_at))


class ApiKeyRepository(Repository[ApiKeyRecord]):
    model = ApiKeyRecord
