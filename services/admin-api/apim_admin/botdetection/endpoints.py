"""/bot-detection-data."""

from fastapi import APIRouter

from apim_admin.botdetection import service
from apim_admin.botdetection.schemas import BotDetectionDataList
from apim_admin.scopes import BotData
from apim_common.db import SessionDep
from apim_common.pagination import PageDep

router = APIRouter(prefix="/api/am/admin/v4", tags=["Bot Detection Data"])


@router.get("/bot-detection-data", response_model=BotDetectionDataList)
async def get_bot_detection_data(
    session: SessionDep, principal: BotData, page: PageDep
) -> BotDetectionDataList:
    return await service.newest(session, principal.tenant, limit=page.limit, offset=page.offset)
