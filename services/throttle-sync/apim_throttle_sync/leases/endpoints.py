"""POST /leases, POST /gateways/{gatewayId}/heartbeat, GET /gateways (service tokens only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from apim_common.security import InternalPrincipal
from apim_throttle_sync.leases.schemas import (
    GATEWAY_ID_PATTERN,
    GatewayList,
    HeartbeatAnswer,
    LeaseBatch,
    LeaseBatchAnswer,
)
from apim_throttle_sync.leases.service import LeaseService

router = APIRouter(prefix="/api/am/throttle/v1", tags=["Leases"])


def _lease_service(request: Request) -> LeaseService:
    service: LeaseService = request.app.state.lease_service
    return service


LeaseServiceDep = Annotated[LeaseService, Depends(_lease_service)]
GatewayId = Annotated[str, Path(pattern=GATEWAY_ID_PATTERN)]


@router.post("/leases", response_model=LeaseBatchAnswer)
async def lease(batch: LeaseBatch, service: LeaseServiceDep, _: InternalPrincipal) -> LeaseBatchAnswer:
    """Every lease request, return and count of one gateway's sync tick, answered together."""
    return await service.lease(batch)


@router.post("/gateways/{gatewayId}/heartbeat", response_model=HeartbeatAnswer)
async def heartbeat(gatewayId: GatewayId, service: LeaseServiceDep, _: InternalPrincipal) -> HeartbeatAnswer:
    return await service.heartbeat(gatewayId)


@router.get("/gateways", response_model=GatewayList)
async def gateways(service: LeaseServiceDep, _: InternalPrincipal) -> GatewayList:
    """The gateways whose heartbeat has not expired."""
    return await service.gateways()
