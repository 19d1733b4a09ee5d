"""WSO2's default API lifecycle: its states, the actions between them, and their side effects."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import BadRequest, Conflict, NotFound
from apim_common.events import Topic
from apim_common.security import Principal
from apim_publisher.apis import aggregate, views
from apim_publisher.apis.models import API, PRODUCT_TYPE
from apim_publisher.apis.repository import APIRepository
from apim_publisher.apis.schemas import EndpointConfig
from apim_publisher.common import iso, record, utcnow
from apim_publisher.lifecycle.models import LifecycleEvent
from apim_publisher.lifecycle.repository import LifecycleRepository
from apim_publisher.lifecycle.schemas import (
    CheckItem,
    LifecycleHistory,
    LifecycleHistoryItem,
    LifecycleState,
    Transition,
    WorkflowResponse,
)
from apim_publisher.revisions import service as revisions
from apim_publisher.revisions.repository import DeploymentRepository
from apim_publisher.workflows import service as workflows
from apim_publisher.workflows.models import WorkflowRequest
from apim_publisher.workflows.repository import WorkflowRequestRepository

TRANSITIONS: dict[str, dict[str, str]] = {
    "CREATED": {"Publish": "PUBLISHED", "Deploy as a Prototype": "PROTOTYPED"},
    "PROTOTYPED": {
        "Publish": "PUBLISHED",
        "Demote to Created": "CREATED",
        "Deploy as a Prototype": "PROTOTYPED",
    },
    "PUBLISHED": {
        "Block": "BLOCKED",
        "Deploy as a Prototype": "PROTOTYPED",
        "Demote to Created": "CREATED",
        "Deprecate": "DEPRECATED",
        "Publish": "PUBLISHED",
    },
    "BLOCKED": {"Deprecate": "DEPRECATED", "Re-Publish": "PUBLISHED"},
    "DEPRECATED": {"Retire": "RETIRED"},
    "RETIRED": {},
}
ACTIONS = (
    "Publish",
    "Deploy as a Prototype",
    "Demote to Created",
    "Block",
    "Deprecate",
    "Re-Publish",
    "Retire",
)
DEPRECATE_OLD = "Deprecate old versions after publishing the API"
RESUBSCRIBE = "Requires re-subscription when publishing the API"
# The approval a lifecycle change needs, per kind of row: an API's, unless named here.
STATE_WORKFLOWS = {PRODUCT_TYPE: workflows.API_PRODUCT_STATE}
# Actions that put the API in front of consumers need something to serve.
NEEDS_BACKEND = {"Publish", "Deploy as a Prototype"}


def display(state: str) -> str:
    return state.capitalize()


def state_of(api: API) -> LifecycleState:
    transitions = TRANSITIONS[api.lifecycle_status]
    checks = (
        [CheckItem(name=DEPRECATE_OLD), CheckItem(name=RESUBSCRIBE)]
        if "Publish" in transitions and api.lifecycle_status != "PUBLISHED"
        else []
    )
    return LifecycleState(
        state=display(api.lifecycle_status),
        checkItems=checks,
        availableTransitions=[Transition(event=e, targetState=display(t)) for e, t in transitions.items()],
    )


def _checklist(raw: str | None) -> dict[str, bool]:
    items: dict[str, bool] = {}
    for part in (raw or "").split(","):
        name, _, value = part.rpartition(":")
        if name.strip():
            items[name.strip()] = value.strip().lower() == "true"
    return items


async def _has_backend(session: AsyncSession, api: API) -> bool:
    if api.type == PRODUCT_TYPE:
        return True  # a product's operations are served by its member APIs' endpoints
    if api.spec.get("endpointImplementationType") in ("MOCKED_OAS", "INLINE"):
        return True  # the gateway answers from the definition and calls no endpoint
    raw = api.spec.get("endpointConfig")
    if raw and EndpointConfig.model_validate(raw).has_endpoint():
        return True
    return bool(await DeploymentRepository(session).approved_for_api(api.id))


async def change(
    session: AsyncSession, principal: Principal, api: API, action: str, checklist: str | None
) -> tuple[int, WorkflowResponse]:
    """200 with the new state, or 202 while an AM_API_STATE approval is pending."""
    if action not in ACTIONS:
        raise BadRequest(f"'{action}' is not a lifecycle action; use one of: {', '.join(ACTIONS)}")
    target = TRANSITIONS[api.lifecycle_status].get(action)
    if target is None:
        raise BadRequest(
            f"Action '{action}' is not allowed in state {api.lifecycle_status}",
            message="Invalid lifecycle transition",
            code=900338,
        )
    if api.workflow_status == "CREATED":
        raise Conflict("A lifecycle change of this API is already waiting for approval", code=900352)
    if action in NEEDS_BACKEND and not await _has_backend(session, api):
        raise BadRequest(
            "The API has no endpoint and no deployed revision; configure an endpoint or deploy a revision",
            message="Cannot change the lifecycle of an API without endpoints",
        )
    deprecate_old = _checklist(checklist).get(DEPRECATE_OLD, False)
    workflow_type = STATE_WORKFLOWS.get(api.type, workflows.API_STATE)
    if await workflows.approval_required(session, api.tenant, workflow_type):
        await workflows.request(
            session,
            principal,
            api,
            workflow_type,
            f"Lifecycle change '{action}' of {api.name} {api.version}",
            {
                "action": action,
                "currentState": api.lifecycle_status,
                "targetState": target,
                "apiContext": api.context,
                "apiProvider": api.provider,
                "deprecateOldVersions": deprecate_old,
            },
        )
        api.workflow_status = "CREATED"
        aggregate.touch(api, principal)
        return 202, WorkflowResponse(workflowStatus="CREATED", lifecycleState=state_of(api))
    await apply(session, api, target, principal.username, deprecate_old=deprecate_old)
    return 200, WorkflowResponse(workflowStatus="APPROVED", lifecycleState=state_of(api))


async def apply(
    session: AsyncSession, api: API, target: str, username: str, *, deprecate_old: bool = False
) -> None:
    previous = api.lifecycle_status
    api.lifecycle_status = target
    api.workflow_status = None
    aggregate.touch(api, None)
    api.updated_by = username
    session.add(
        LifecycleEvent(
            api_id=api.id,
            tenant=api.tenant,
            previous_state=previous,
            post_state=target,
            username=username,
            updated_at=utcnow(),
        )
    )
    data = {**views.event_data(api), "apiId": api.id, "previousState": previous, "state": target}
    type_ = views.event_type(api, "api.lifecycle-changed")
    await record(session, Topic.APIS, type_, api.id, data, tenant=api.tenant)
    if target == "RETIRED":
        await revisions.undeploy_everywhere(session, api)
    if deprecate_old and target == "PUBLISHED":
        for other in await APIRepository(session).with_name(api.tenant, api.name):
            if other.id != api.id and other.lifecycle_status == "PUBLISHED":
                await apply(session, other, "DEPRECATED", username)


async def on_decision(session: AsyncSession, pending: WorkflowRequest, approved: bool) -> None:
    api = await APIRepository(session).get(pending.api_id)
    if api is None:
        return
    target = str(pending.properties.get("targetState") or "")
    action = str(pending.properties.get("action") or "")
    still_legal = TRANSITIONS[api.lifecycle_status].get(action) == target
    if approved and still_legal:
        deprecate_old = bool(pending.properties.get("deprecateOldVersions"))
        await apply(session, api, target, pending.created_by, deprecate_old=deprecate_old)
    else:
        api.workflow_status = None
        aggregate.touch(api, None)
        await aggregate.announce(session, api, "api.updated")


async def history(session: AsyncSession, api: API) -> LifecycleHistory:
    rows = await LifecycleRepository(session).history(api.id)
    items = [
        LifecycleHistoryItem(
            previousState=display(r.previous_state) if r.previous_state else None,
            postState=display(r.post_state),
            user=r.username,
            updatedTime=iso(r.updated_at),
        )
        for r in rows
    ]
    return LifecycleHistory(count=len(items), list=items)


async def cancel_pending(session: AsyncSession, api: API) -> None:
    """Withdraw the lifecycle change waiting for approval; the API stays in its state."""
    repository = WorkflowRequestRepository(session)
    pending = [
        *await repository.for_api(api.id, workflows.API_STATE),
        *await repository.for_api(api.id, workflows.API_PRODUCT_STATE),
    ]
    if not pending:
        raise NotFound(
            f"'{api.name}' has no lifecycle change waiting for approval", message="Pending task not found"
        )
    for request in pending:
        await repository.delete(request)
    api.workflow_status = None
    aggregate.touch(api, None)
    await aggregate.announce(session, api, "api.updated")
