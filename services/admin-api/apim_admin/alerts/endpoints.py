"""/alert-types, /alert-subscriptions and /alert-subscriptions/bot-detection."""

from fastapi import APIRouter

from apim_admin.alerts import service
from apim_admin.alerts.schemas import (
    AlertsSubscription,
    AlertTypesList,
    BotDetectionAlertSubscription,
    BotDetectionAlertSubscriptionList,
)
from apim_admin.scopes import AlertManage
from apim_common.db import SessionDep

router = APIRouter(prefix="/api/am/admin/v4", tags=["Alerts"])


@router.get("/alert-types", response_model=AlertTypesList)
async def get_admin_alert_types(principal: AlertManage) -> AlertTypesList:
    return AlertTypesList(count=len(service.ADMIN_ALERT_TYPES), alerts=service.ADMIN_ALERT_TYPES)


@router.get("/alert-subscriptions", response_model=AlertsSubscription)
async def get_subscribed_alert_types(session: SessionDep, principal: AlertManage) -> AlertsSubscription:
    return await service.subscription(session, principal.tenant, principal.username)


@router.put("/alert-subscriptions", response_model=AlertsSubscription)
async def subscribe_to_alerts(
    body: AlertsSubscription, session: SessionDep, principal: AlertManage
) -> AlertsSubscription:
    return await service.subscribe(session, principal.tenant, principal.username, body)


@router.delete("/alert-subscriptions")
async def unsubscribe_all_alerts(session: SessionDep, principal: AlertManage) -> None:
    await service.unsubscribe(session, principal.tenant, principal.username)


@router.get("/alert-subscriptions/bot-detection", response_model=BotDetectionAlertSubscriptionList)
async def get_bot_detection_alert_subscriptions(
    session: SessionDep, principal: AlertManage
) -> BotDetectionAlertSubscriptionList:
    rows = await service.bot_subscriptions(session, principal.tenant)
    return BotDetectionAlertSubscriptionList(count=len(rows), list=rows)


@router.post("/alert-subscriptions/bot-detection", response_model=BotDetectionAlertSubscription)
async def subscribe_for_bot_detection_alerts(
    body: BotDetectionAlertSubscription, session: SessionDep, principal: AlertManage
) -> BotDetectionAlertSubscription:
    return await service.add_bot_subscription(session, principal.tenant, body.email)


@router.delete("/alert-subscriptions/bot-detection/{uuid}")
async def unsubscribe_from_bot_detection_alerts(
    uuid: str, session: SessionDep, principal: AlertManage
) -> None:
    await service.remove_bot_subscription(session, principal.tenant, uuid)
