"""``key-mapping.created|deleted`` on the keys topic: the gateway learns which consumer key
belongs to which application."""

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.events.schemas import KeyMappingData
from apim_common.events.topics import Topic
from apim_devportal.events import announce
from apim_devportal.keys.models import KeyMapping


async def announce_mapping(session: AsyncSession, mapping: KeyMapping, action: str) -> None:
    await announce(
        session,
        Topic.KEYS,
        f"key-mapping.{action}",
        mapping.application_id,
        KeyMappingData(
            applicationId=mapping.application_id,
            keyType=mapping.key_type,
            keyManager=mapping.key_manager,
            consumerKey=mapping.consumer_key,
            keyMappingId=mapping.id,
        ).model_dump(mode="json"),
        tenant=mapping.tenant,
    )
