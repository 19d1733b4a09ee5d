"""Follows the gateways' ``bot-detection`` topic from the app's start."""

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from apim_admin.botdetection import service
from apim_admin.models import processed_events
from apim_common.events.consumer import idempotent
from apim_common.events.topics import Topic

GROUP = "admin-bot-detection"


@contextlib.asynccontextmanager
async def bot_detection(app: FastAPI) -> AsyncIterator[None]:
    app.state.bus.subscribe(
        [Topic.BOT_DETECTION],
        GROUP,
        idempotent(
            app.state.database,
            processed_events,
            GROUP,
            service.recorder(app.state.settings.bot_detection_max_records),
        ),
    )
    yield
