"""Property-based fuzzing of each control-plane API from its own OpenAPI document.

Schemathesis draws valid and invalid requests for every operation of a service's document and
sends them, with a token holding every scope, to the app served from a thread; any 5xx answer
fails that operation's test. Things are seeded first (an API, an application...) and a drawn
request uses their ids about half the time, so operations on existing things are reached too.
Runs are derandomized: a failure found once is found again, and CI is not flaky.

``APIM_FUZZ_EXAMPLES`` sets the examples drawn per operation (a few by default, so the suite
keeps its time budget); raise it for a longer hunt, e.g. ``APIM_FUZZ_EXAMPLES=200``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
import requests
import schemathesis
import uvicorn
from fastapi import FastAPI
from schemathesis.checks import not_a_server_error

from tests.support.apps import static_verifier
from tests.support.tokens import TokenFactory

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("APIM_FUZZ_EXAMPLES", "6"))
SERVICE_SCOPE = "apim:internal"
# Answers per service and status class in this session, reported at the end of the run.
SENT: dict[str, Counter[str]] = {}
# What every fuzz module marks its tests with. The app's own background tasks (retry jitter)
# draw from the global random module in the server thread while Hypothesis draws a case, which
# Hypothesis takes for a strategy using it.
MARKS = [
    pytest.mark.fuzz,
    pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies"),
]


def every_scope() -> list[str]:
    """Every scope any service names, so no operation is closed to the fuzzer by a 403."""
    found: set[str] = set()
    for source in (ROOT / "services").glob("*/apim_*/**/*.py"):
        found.update(re.findall(r"\"(apim:[a-z_]+)\"", source.read_text()))
    found.discard(SERVICE_SCOPE)
    return sorted(found)


def fuzz_config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "suppress-health-check": ["all"],
            "generation": {
                "mode": "all",
                "max-examples": EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "phases": {"examples": {"enabled": False}, "coverage": {"enabled": False}},
            # 503 is a service's answer when a peer it needs is down, as the stand-ins here are.
            "checks": {"not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", "503"]}},
        }
    )


class Fuzz:
    """A service's OpenAPI document loaded for fuzzing, and the ids of what was seeded for it.

    ``known`` maps a parameter name (path or query) to ids that exist; the fixture fills it
    before the first test runs, and a drawn request takes one of them instead of its own value
    about half the time.
    """

    def __init__(self, build: Callable[[], FastAPI]) -> None:
        self.known: dict[str, list[str]] = {}
        self.schema = schemathesis.openapi.from_dict(build().openapi(), config=fuzz_config())

        def flatmap_case(_: schemathesis.HookContext, case: schemathesis.Case) -> Any:
            return self.seeded(case)

        self.schema.hook(flatmap_case)

    def seeded(self, case: schemathesis.Case) -> Any:
        """``case`` as drawn, or with known ids in place of its own."""
        names = [
            (container, name)
            for container in ("path_parameters", "query")
            for name in getattr(case, container) or {}
            if self.known.get(name)
        ]
        if not names:
            return st.just(case)
        ids = st.tuples(*(st.sampled_from(self.known[name]) for _, name in names))
        return st.one_of(st.just(case), ids.map(lambda values: _with_ids(case, names, values)))


def _with_ids(case: schemathesis.Case, names: list[tuple[str, str]], values: tuple[str, ...]) -> Any:
    seeded = case.derive(keep_auth=True)
    for (container, name), value in zip(names, values, strict=True):
        setattr(seeded, container, {**getattr(seeded, container), name: value})
    return seeded


class Target:
    """One running app, where it listens, and the headers the fuzzer sends to it."""

    def __init__(
        self, name: str, app: FastAPI, base_url: str, loop: asyncio.AbstractEventLoop, tokens: TokenFactory
    ) -> None:
        self.name = name
        self.app = app
        self.base_url = base_url
        self.loop = loop
        self.session = requests.Session()
        self.user = tokens.headers("admin", every_scope(), roles=["admin", "Internal/subscriber"])
        self.service = tokens.headers("apim-internal-services", SERVICE_SCOPE)
        SENT.setdefault(name, Counter())

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Run ``coroutine`` on the app's event loop (to reach its bus or database)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    def send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A request of the seeding steps, as the user the fuzzer is."""
        kwargs.setdefault("headers", self.user)
        return self.session.request(method, f"{self.base_url}{path}", timeout=30, **kwargs)

    def created(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.send(method, path, **kwargs)
        assert response.status_code in (200, 201, 202), response.text
        body: dict[str, Any] = response.json()
        return body

    def check(self, case: schemathesis.Case) -> None:
        """Send ``case``; fail on a server error."""
        headers = self.service if "/internal/" in case.path else self.user
        response = case.call(base_url=self.base_url, session=self.session, headers=headers)
        SENT[self.name][f"{response.status_code // 100}xx"] += 1
        case.validate_response(response, checks=[not_a_server_error], headers=headers)


@contextlib.contextmanager
def serving(name: str, app: FastAPI, tokens: TokenFactory) -> Iterator[Target]:
    """Serve ``app`` over HTTP from a thread, trusting ``tokens``.

    A real server rather than schemathesis's in-process ASGI client: that one ends the app's
    lifespan after every test, and the app here lives for the whole module.
    """
    listener = socket.socket()
    # Accepted sockets inherit this; asyncio sets it only on sockets that say they are TCP, and
    # without it every keep-alive answer waits 40 ms for the client's delayed ACK.
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False))
    loop = asyncio.new_event_loop()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.serve(sockets=[listener]))

    thread = threading.Thread(target=serve, name=f"fuzz-{name}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start")
        time.sleep(0.02)
    app.state.token_verifier = static_verifier(tokens)
    target = Target(name, app, f"http://127.0.0.1:{port}", loop, tokens)
    try:
        yield target
    finally:
        target.session.close()
        server.should_exit = True
        thread.join(30)
        loop.close()
        listener.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SENT:
        counts = ", ".join(
            f"{name} {sum(answers.values())} ({', '.join(f'{k} {v}' for k, v in sorted(answers.items()))})"
            for name, answers in SENT.items()
        )
        terminalreporter.write_line(f"fuzz: {EXAMPLES} examples per operation; requests sent: {counts}")
