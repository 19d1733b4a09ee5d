"""Lifecycle: change-lifecycle, the current state and its history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse

from apim_common.db import SessionDep
from apim_publisher import scopes
from apim_publisher.apis import service as apis
from apim_publisher.apis import views
from apim_publisher.common import check_if_match
from apim_publisher.lifecycle import service
from apim_publisher.lifecycle.schemas import LifecycleHistory, LifecycleState, WorkflowResponse

router = APIRouter(tags=["API Lifecycle"])


@router.post(
    "/apis/change-lifecycle", response_model=WorkflowResponse, responses={202: {"model": WorkflowResponse}}
)
async def change_lifecycle(
    session: SessionDep,
    principal: scopes.LifecycleChange,
    apiId: Annotated[str, Query(min_length=1)],
    action: Annotated[str, Query(min_length=1)],
    lifecycleChecklist: str | None = None,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> JSONResponse:
    api = await apis.get(session, principal, apiId)
    check_if_match(if_match, views.etag(api))
    status, body = await service.change(session, principal, api, action, lifecycleChecklist)
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers={"ETag": views.etag(api)})


@router.get("/apis/{apiId}/lifecycle-state", response_model=LifecycleState)
async def lifecycle_state(
    apiId: str,
    session: SessionDep,
    principal: scopes.LifecycleRead,
) -> LifecycleState:
    return service.state_of(await apis.get(session, principal, apiId))


@router.get("/apis/{apiId}/lifecycle-history", response_model=LifecycleHistory)
async def lifecycle_history(
    apiId: str, session: SessionDep, principal: scopes.LifecycleHistoryRead
) -> LifecycleHistory:
    return await service.history(session, await apis.get(session, principal, apiId))


@router.delete("/apis/{apiId}/lifecycle-state/pending-tasks", status_code=200)
async def cancel_pending_lifecycle(
    apiId: str, session: SessionDep, principal: scopes.PendingTasks
) -> Response:
    await service.cancel_pending(session, await apis.get(session, principal, apiId))
    return Response(status_code=200)
