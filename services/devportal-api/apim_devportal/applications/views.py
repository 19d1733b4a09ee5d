"""How an application is shown: the full resource and the list item."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from apim_devportal.applications.models import Application
from apim_devportal.applications.repository import ApplicationRepository
from apim_devportal.applications.schemas import ApplicationInfo, ApplicationPublic
from apim_devportal.common import epoch_millis
from apim_devportal.keys.models import KeyMapping
from apim_devportal.keys.repository import KeyMappingRepository
from apim_devportal.keys.schemas import ApplicationKey


def key(mapping: KeyMapping) -> ApplicationKey:
    return ApplicationKey(
        keyMappingId=mapping.id,
        keyManager=mapping.key_manager,
        consumerKey=mapping.consumer_key,
        supportedGrantTypes=list(mapping.grant_types or []),
        callbackUrl=mapping.callback_url or None,
        keyState=mapping.key_state,
        keyType=mapping.key_type,
        mode=mapping.mode,
        additionalProperties=dict(mapping.additional_properties or {}),
    )


async def public(session: AsyncSession, app: Application) -> ApplicationPublic:
    counts = await ApplicationRepository(session).subscription_counts([app.id])
    mappings = await KeyMappingRepository(session).of_application(app.id)
    return ApplicationPublic(
        applicationId=app.id,
        name=app.name,
        throttlingPolicy=app.throttling_policy,
        description=app.description or None,
        tokenType=app.token_type,
        status=app.status,
        groups=list(app.groups or []),
        subscriptionCount=counts.get(app.id, 0),
        keys=[key(m) for m in mappings],
        attributes=dict(app.attributes or {}),
        owner=app.owner,
        createdTime=epoch_millis(app.created_at),
        updatedTime=epoch_millis(app.updated_at),
    )


def info(app: Application, subscriptions: int) -> ApplicationInfo:
    return ApplicationInfo(
        applicationId=app.id,
        name=app.name,
        throttlingPolicy=app.throttling_policy,
        description=app.description or None,
        status=app.status,
        groups=list(app.groups or []),
        subscriptionCount=subscriptions,
        attributes=dict(app.attributes or {}),
        owner=app.owner,
        tokenType=app.token_type,
        createdTime=epoch_millis(app.created_at),
        updatedTime=epoch_millis(app.updated_at),
    )
