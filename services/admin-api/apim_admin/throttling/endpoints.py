"""/throttling/policies/{application|subscription|advanced|custom}, search, export and import."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile

from apim_admin.monetization.gate import exported_plan, refuse_unbilled_prices
from apim_admin.scopes import TierDelete, TierExport, TierManage, TierSearch, TierView
from apim_admin.throttling import service
from apim_admin.throttling.schemas import (
    AdvancedThrottlePolicy,
    ApplicationThrottlePolicy,
    CustomRule,
    ExportThrottlePolicy,
    PolicyList,
    SubscriptionThrottlePolicy,
    ThrottlePolicyDetailsList,
)
from apim_common.db import SessionDep
from apim_common.errors import BadRequest

router = APIRouter(prefix="/api/am/admin/v4/throttling/policies", tags=["Throttling Policies"])


def _listing(rows: list[dict[str, Any]]) -> PolicyList:
    return PolicyList(count=len(rows), list=rows)


# Application policies


@router.get("/application", response_model=PolicyList)
async def list_application_policies(session: SessionDep, principal: TierView) -> PolicyList:
    return _listing(
        [service.public(p) for p in await service.list_policies(session, principal.tenant, "application")]
    )


@router.post("/application", status_code=201)
async def add_application_policy(
    body: ApplicationThrottlePolicy, session: SessionDep, principal: TierManage
) -> dict[str, Any]:
    return service.public(await service.create(session, principal.tenant, "application", body))


@router.get("/application/{policyId}")
async def get_application_policy(policyId: str, session: SessionDep, principal: TierView) -> dict[str, Any]:
    return service.public(await service.get(session, principal.tenant, "application", policyId))


@router.put("/application/{policyId}")
async def update_application_policy(
    policyId: str, body: ApplicationThrottlePolicy, session: SessionDep, principal: TierManage
) -> dict[str, Any]:
    return service.public(await service.update(session, principal.tenant, "application", policyId, body))


@router.delete("/application/{policyId}")
async def delete_application_policy(policyId: str, session: SessionDep, principal: TierDelete) -> None:
    await service.delete(session, principal.tenant, "application", policyId)


# Subscription policies


@router.get("/subscription", response_model=PolicyList)
async def list_subscription_policies(session: SessionDep, principal: TierView) -> PolicyList:
    rows = await service.list_policies(session, principal.tenant, "subscription")
    return _listing([service.public(p) for p in rows])


@router.post("/subscription", status_code=201)
async def add_subscription_policy(
    body: SubscriptionThrottlePolicy, request: Request, session: SessionDep, principal: TierManage
) -> dict[str, Any]:
    refuse_unbilled_prices(
        request.app.state.settings, body.monetization and body.monetization.monetizationPlan
    )
    return service.public(await service.create(session, principal.tenant, "subscription", body))


@router.get("/subscription/{policyId}")
async def get_subscription_policy(policyId: str, session: SessionDep, principal: TierView) -> dict[str, Any]:
    return service.public(await service.get(session, principal.tenant, "subscription", policyId))


@router.put("/subscription/{policyId}")
async def update_subscription_policy(
    policyId: str,
    body: SubscriptionThrottlePolicy,
    request: Request,
    session: SessionDep,
    principal: TierManage,
) -> dict[str, Any]:
    refuse_unbilled_prices(
        request.app.state.settings, body.monetization and body.monetization.monetizationPlan
    )
    return service.public(await service.update(session, principal.tenant, "subscription", policyId, body))


@router.delete("/subscription/{policyId}")
async def delete_subscription_policy(policyId: str, session: SessionDep, principal: TierDelete) -> None:
    await service.delete(session, principal.tenant, "subscription", policyId)


# Advanced (API-level) policies


@router.get("/advanced", response_model=PolicyList)
async def list_advanced_policies(session: SessionDep, principal: TierView) -> PolicyList:
    return _listing(
        [service.public(p) for p in await service.list_policies(session, principal.tenant, "advanced")]
    )


@router.post("/advanced", status_code=201)
async def add_advanced_policy(
    body: AdvancedThrottlePolicy, session: SessionDep, principal: TierManage
) -> dict[str, Any]:
    return service.public(await service.create(session, principal.tenant, "advanced", body))


@router.get("/advanced/{policyId}")
async def get_advanced_policy(policyId: str, session: SessionDep, principal: TierView) -> dict[str, Any]:
    return service.public(await service.get(session, principal.tenant, "advanced", policyId))


@router.put("/advanced/{policyId}")
async def update_advanced_policy(
    policyId: str, body: AdvancedThrottlePolicy, session: SessionDep, principal: TierManage
) -> dict[str, Any]:
    return service.public(await service.update(session, principal.tenant, "advanced", policyId, body))


@router.delete("/advanced/{policyId}")
async def delete_advanced_policy(policyId: str, session: SessionDep, principal: TierDelete) -> None:
    await service.delete(session, principal.tenant, "advanced", policyId)


# Custom rules


@router.get("/custom", response_model=PolicyList)
async def list_custom_rules(session: SessionDep, principal: TierView) -> PolicyList:
    return _listing(
        [service.public(p) for p in await service.list_policies(session, principal.tenant, "custom")]
    )


@router.post("/custom", status_code=201)
async def add_custom_rule(body: CustomRule, session: SessionDep, principal: TierManage) -> dict[str, Any]:
    return service.public(await service.create(session, principal.tenant, "custom", body))


@router.get("/custom/{ruleId}")
async def get_custom_rule(ruleId: str, session: SessionDep, principal: TierView) -> dict[str, Any]:
    return service.public(await service.get(session, principal.tenant, "custom", ruleId))


@router.put("/custom/{ruleId}")
async def update_custom_rule(
    ruleId: str, body: CustomRule, session: SessionDep, principal: TierManage
) -> dict[str, Any]:
    return service.public(await service.update(session, principal.tenant, "custom", ruleId, body))


@router.delete("/custom/{ruleId}")
async def delete_custom_rule(ruleId: str, session: SessionDep, principal: TierDelete) -> None:
    await service.delete(session, principal.tenant, "custom", ruleId)


# Search, export, import


@router.get("/search", response_model=ThrottlePolicyDetailsList)
async def search_policies(
    session: SessionDep, principal: TierSearch, query: Annotated[str, Query()] = ""
) -> ThrottlePolicyDetailsList:
    found = await service.search(session, principal.tenant, query)
    return ThrottlePolicyDetailsList(count=len(found), list=found)


@router.get("/export", response_model=ExportThrottlePolicy)
async def export_policy(
    session: SessionDep,
    principal: TierExport,
    policyId: str | None = None,
    name: str | None = None,
    type: str | None = None,
) -> ExportThrottlePolicy:
    policy = await service.find_for_export(session, principal.tenant, policyId, name, type)
    return ExportThrottlePolicy(subtype=policy.policy_type, data=service.public(policy))


@router.post("/import")
async def import_policy(
    file: Annotated[UploadFile, File()],
    request: Request,
    session: SessionDep,
    principal: TierExport,
    overwrite: bool = False,
) -> dict[str, Any]:
    try:
        document = json.loads(await file.read())
    except RecursionError as exc:
        raise BadRequest("the file is not an exported policy (JSON nested too deeply)") from exc
    except ValueError as exc:
        raise BadRequest("the file is not an exported policy (JSON)") from exc
    if not isinstance(document, dict):
        raise BadRequest("the file is not an exported policy (JSON object)")
    refuse_unbilled_prices(request.app.state.settings, exported_plan(document))
    policy = await service.import_policy(session, principal.tenant, document, overwrite)
    return service.public(policy)
