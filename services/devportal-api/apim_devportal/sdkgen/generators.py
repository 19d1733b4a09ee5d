"""The code generators behind SDK generation, each a command run in a subprocess of its own session
(so a timeout kills the whole tree, the JVM of openapi-generator too).

``openapi-python-client`` (a dependency of this service) makes the ``python`` SDK, always;
``openapi-generator-cli`` (or ``openapi-generator``) adds its languages when it is on PATH.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

logger = logging.getLogger(__name__)

PYTHON = "python"
OPENAPI_GENERATOR_COMMANDS = ("openapi-generator-cli", "openapi-generator")
# What a failed run's error keeps of the generator's output: its end, where the cause is.
_OUTPUT_TAIL = 2000


class GenerationFailed(Exception):
    """The generator exited with an error; the message ends with the tail of its output."""


class Generator(Protocol):
    """Writes a client of the OpenAPI document at ``definition`` in ``language`` into ``out``."""

    @property
    def languages(self) -> frozenset[str]: ...

    async def generate(self, definition: Path, language: str, out: Path) -> None: ...


def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


async def run(argv: list[str], cwd: Path) -> str:
    """``argv``'s output; cancelled (by a timeout around it), its process group is killed."""
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = await process.communicate()
    except BaseException:
        _kill(process)
        await process.wait()
        raise
    text = output.decode(errors="replace")
    if process.returncode != 0:
        tail = text[-_OUTPUT_TAIL:]
        raise GenerationFailed(f"{Path(argv[0]).name} exited with {process.returncode}: {tail}")
    return text


@dataclass(frozen=True, slots=True)
class PythonClient:
    """``openapi-python-client``, run by this interpreter: a pdm project with a typed httpx client."""

    languages: frozenset[str] = frozenset({PYTHON})

    async def generate(self, definition: Path, language: str, out: Path) -> None:
        config = definition.with_name("openapi-python-client.json")
        # No post hooks: they would run ruff, which a server need not have.
        await asyncio.to_thread(config.write_text, json.dumps({"post_hooks": []}))
        argv = [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(definition)]
        argv += ["--output-path", str(out), "--meta", "pdm", "--config", str(config)]
        await run(argv, definition.parent)


@dataclass(frozen=True, slots=True)
class OpenAPIGenerator:
    """``openapi-generator-cli generate -g LANGUAGE``."""

    command: str
    languages: frozenset[str]

    async def generate(self, definition: Path, language: str, out: Path) -> None:
        argv = [self.command, "generate", "-i", str(definition), "-g", language, "-o", str(out)]
        await run(argv, definition.parent)


def client_generators(listing: str) -> frozenset[str]:
    """The names under ``CLIENT generators:`` in the output of ``openapi-generator-cli list``
    (``    - java``, ``    - ada (beta)``): its server, documentation and schema generators make
    no SDK."""
    found: set[str] = set()
    in_clients = False
    for line in listing.splitlines():
        stripped = line.strip()
        if stripped.endswith("generators:"):
            in_clients = stripped.upper().startswith("CLIENT")
        elif in_clients and stripped.startswith("- "):
            name = stripped[2:].split()[0] if stripped[2:].split() else ""
            if name:
                found.add(name)
    return frozenset(found)


async def openapi_generator(seconds: float) -> OpenAPIGenerator | None:
    """openapi-generator on PATH with its client languages (listed within ``seconds``), else None."""
    for name in OPENAPI_GENERATOR_COMMANDS:
        command = shutil.which(name)
        if command is None:
            continue
        try:
            async with asyncio.timeout(seconds):
                listing = await run([command, "list"], Path.cwd())
        except (GenerationFailed, TimeoutError, OSError) as error:
            logger.warning("%s is on PATH but does not list its generators: %s", name, error)
            return None
        return OpenAPIGenerator(command, client_generators(listing) - {PYTHON})
    return None


async def detect(seconds: float) -> dict[str, Generator]:
    """Each language offered and its generator: python by openapi-python-client, whatever else
    openapi-generator offers when installed."""
    found: dict[str, Generator] = {}
    other = await openapi_generator(seconds)
    if other is not None:
        found.update(dict.fromkeys(other.languages, other))
    found[PYTHON] = PythonClient()
    return found
