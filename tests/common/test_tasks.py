"""Stopping background tasks: cancelled and awaited, whatever state each is in."""

from __future__ import annotations

import asyncio
import logging

import pytest

from apim_common.tasks import cancel_and_wait


async def test_every_task_has_ended_when_cancel_and_wait_returns() -> None:
    cleaned: list[str] = []

    async def loop(name: str) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            await asyncio.sleep(0)  # cleanup that itself awaits
            cleaned.append(name)

    tasks = [asyncio.create_task(loop(n)) for n in ("a", "b")]
    await asyncio.sleep(0)
    await cancel_and_wait(tasks[0], None, tasks[1])
    assert all(t.done() for t in tasks)
    assert sorted(cleaned) == ["a", "b"]


async def test_a_task_that_had_failed_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    async def fail() -> None:
        raise RuntimeError("broken")

    task = asyncio.create_task(fail(), name="relay")
    await asyncio.sleep(0)
    with caplog.at_level(logging.ERROR, logger="apim_common.tasks"):
        await cancel_and_wait(task)
    assert "relay" in caplog.text
    assert "broken" in caplog.text
