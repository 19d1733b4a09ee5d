"""An in-process app whose stop hangs tells where it waits, before the lifespan's timeout fails
the test without a word."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from tests.support import apps
from tests.support.tokens import TokenFactory


async def stuck_in_stop() -> None:
    await asyncio.sleep(0.3)


async def test_a_slow_stop_prints_the_coroutine_each_task_waits_in(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(apps, "SLOW_SHUTDOWN_SECONDS", 0.05)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await stuck_in_stop()

    async with apps.running_service(lambda _: FastAPI(lifespan=lifespan), None, TokenFactory()):
        pass
    report = capsys.readouterr().err
    assert "each task's wait" in report
    assert "in stuck_in_stop" in report
    assert "every thread's stack" in report
