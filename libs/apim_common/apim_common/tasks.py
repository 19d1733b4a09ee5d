"""Background tasks that a component starts and must stop before it closes what they use."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

logger = logging.getLogger(__name__)


async def cancel_and_wait(*tasks: asyncio.Task[Any] | None) -> None:
    """Cancel each task and wait until all have ended, so nothing they hold is used after this
    returns. A task that had already failed is logged rather than raised: stopping goes on."""
    running = [task for task in tasks if task is not None]
    for task in running:
        task.cancel()
    results = await asyncio.gather(*running, return_exceptions=True)
    for task, result in zip(running, results, strict=True):
        if isinstance(result, Exception):
            logger.error("background task %s had failed", task.get_name(), exc_info=result)
