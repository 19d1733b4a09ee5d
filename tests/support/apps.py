"""Run one service's app in-process for a test: SQLite in a temp dir, tokens from a TokenFactory."""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from apim_common.events.bus import InProcessBus
from apim_common.jwt import JWKSVerifier
from tests.support.tokens import TEST_ISSUER, TokenFactory

# A lifespan slower than this to stop prints where every task and thread waits, before
# asgi-lifespan's own timeout (30 s) fails the test without saying.
SLOW_SHUTDOWN_SECONDS = 20.0


def awaited_frames(task: asyncio.Task[Any]) -> Iterator[str]:
    """Where ``task`` waits: its coroutine and each one it awaits, innermost last (a suspended
    task's own stack shows only its outermost frame)."""
    awaitable: Any = task.get_coro()
    while awaitable is not None:
        frame = next(
            (f for f in (getattr(awaitable, a, None) for a in ("cr_frame", "gi_frame", "ag_frame")) if f),
            None,
        )
        if frame is None:
            yield f"  {awaitable!r}"
            return
        yield f"  {frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"
        inner = next(
            (i for i in (getattr(awaitable, a, None) for a in ("cr_await", "gi_yieldfrom", "ag_await")) if i),
            None,
        )
        # An async context manager awaits its generator through an ``asend`` object that does not
        # show the generator: take it from the manager.
        generator = getattr(frame.f_locals.get("self"), "gen", None)
        if inner is not None and not hasattr(inner, "cr_frame") and hasattr(generator, "ag_frame"):
            inner = generator
        awaitable = inner


def dump_tasks_and_threads() -> None:
    out = sys.stderr
    out.write(f"\n--- the app's stop has taken over {SLOW_SHUTDOWN_SECONDS:.0f} s: each task's wait ---\n")
    for task in asyncio.all_tasks():
        out.write(f"{task.get_name()}\n" + "\n".join(awaited_frames(task)) + "\n")
    out.write("--- every thread's stack ---\n")
    out.flush()
    faulthandler.dump_traceback(file=out, all_threads=True)


@contextlib.contextmanager
def reported_if_slow() -> Iterator[None]:
    """Dump stacks if the block is still running after ``SLOW_SHUTDOWN_SECONDS`` (a stop that hangs)."""
    timer = asyncio.get_running_loop().call_later(SLOW_SHUTDOWN_SECONDS, dump_tasks_and_threads)
    try:
        yield
    finally:
        timer.cancel()


def static_verifier(tokens: TokenFactory) -> JWKSVerifier:
    async def fetch() -> dict[str, Any]:
        return tokens.jwks()

    return JWKSVerifier(fetch, issuer=TEST_ISSUER)


@contextlib.asynccontextmanager
async def running_service(
    create_app: Callable[..., Any],
    settings: Any,
    tokens: TokenFactory,
    *,
    bus: InProcessBus | None = None,
    base_url: str = "http://testserver",
) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """Start the app's lifespan, trust ``tokens``, and yield the app and a client bound to it.

    Pass ``bus`` to watch the service's events; the caller starts and stops it then.
    """
    app = create_app(settings, bus=bus) if bus is not None else create_app(settings)
    manager = LifespanManager(app, startup_timeout=30, shutdown_timeout=30)
    await manager.__aenter__()
    try:
        app.state.token_verifier = static_verifier(tokens)
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield app, client
    except BaseException as exc:
        with reported_if_slow():
            if not await manager.__aexit__(type(exc), exc, exc.__traceback__):
                raise
    else:
        with reported_if_slow():
            await manager.__aexit__(None, None, None)
