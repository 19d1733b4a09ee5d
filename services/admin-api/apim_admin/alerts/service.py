from sqlalchemy.ext.asyncio import AsyncSession

from apim_admin.alerts.models import AlertSubscription, BotDetectionSubscription
from apim_admin.alerts.repository import AlertSubscriptionRepository, BotDetectionSubscriptionRepository
from apim_admin.alerts.schemas import AlertsSubscription, AlertType, BotDetectionAlertSubscription
from apim_common.errors import BadRequest, Conflict, NotFound

# WSO2's administrator alert types.
ADMIN_ALERT_TYPES = [
    AlertType(id="1", name="AbnormalRequestsPerMin"),
    AlertType(id="2", name="HealthAvailabilityPerMin"),
]
_BY_NAME = {a.name: a for a in ADMIN_ALERT_TYPES}


def _email(value: str) -> str:
    return BotDetectionAlertSubscription(email=value).email


async def subscription(session: AsyncSession, tenant: str, username: str) -> AlertsSubscription:
    found = await AlertSubscriptionRepository(session).of(tenant, username)
    if found is None:
        return AlertsSubscription()
    return AlertsSubscription(
        alerts=[_BY_NAME[n] for n in found.alerts if n in _BY_NAME], emailList=found.emails
    )


async def subscribe(
    session: AsyncSession, tenant: str, username: str, dto: AlertsSubscription
) -> AlertsSubscription:
    names = []
    for alert in dto.alerts:
        known = _BY_NAME.get(alert.name) or next((a for a in ADMIN_ALERT_TYPES if a.id == alert.id), None)
        if known is None:
            raise BadRequest(f"unknown alert type {alert.name!r}")
        names.append(known.name)
    if not dto.emailList:
        raise BadRequest("at least one email address is needed")
    emails = [_email(e) for e in dto.emailList]
    repository = AlertSubscriptionRepository(session)
    found = await repository.of(tenant, username)
    if found is None:
        await repository.add(AlertSubscription(tenant=tenant, username=username, alerts=names, emails=emails))
    else:
        found.alerts, found.emails = names, emails
        await session.flush()
    return await subscription(session, tenant, username)


async def unsubscribe(session: AsyncSession, tenant: str, username: str) -> None:
    repository = AlertSubscriptionRepository(session)
    found = await repository.of(tenant, username)
    if found is not None:
        await repository.delete(found)


def _bot(row: BotDetectionSubscription) -> BotDetectionAlertSubscription:
    return BotDetectionAlertSubscription(uuid=row.id, email=row.email)


async def bot_subscriptions(session: AsyncSession, tenant: str) -> list[BotDetectionAlertSubscription]:
    return [_bot(r) for r in await BotDetectionSubscriptionRepository(session).list(tenant)]


async def add_bot_subscription(
    session: AsyncSession, tenant: str, email: str
) -> BotDetectionAlertSubscription:
    repository = BotDetectionSubscriptionRepository(session)
    if await repository.by_email(tenant, email) is not None:
        raise Conflict(f"{email} is already subscribed to bot detection alerts")
    return _bot(await repository.add(BotDetectionSubscription(tenant=tenant, email=email)))


async def remove_bot_subscription(session: AsyncSession, tenant: str, ident: str) -> None:
    repository = BotDetectionSubscriptionRepository(session)
    found = await repository.by_id(tenant, ident)
    if found is None:
        raise NotFound(f"Bot detection alert subscription {ident} was not found")
    await repository.delete(found)
