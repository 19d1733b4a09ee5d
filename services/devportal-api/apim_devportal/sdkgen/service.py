"""SDK generation: a zip of a client of an API's OpenAPI document as the catalog serves it (its
gateway URLs as servers, the gateway's security schemes), made by a generator subprocess bounded
in time, the zip bounded in size, cached per document and language.

The document already names the API's revision (its operations, its gateway URLs), so its hash is
the cache key: a new revision deployed makes a new SDK, an unchanged one is served from memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import re
import shutil
import tempfile
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from fastapi import FastAPI

from apim_common.errors import APIError, BadRequest
from apim_devportal.sdkgen.cache import ZipCache
from apim_devportal.sdkgen.generators import PYTHON, GenerationFailed, Generator, PythonClient, detect
from apim_devportal.settings import Settings

logger = logging.getLogger(__name__)

DEFINITION_FILE = "openapi.json"


class SDKGenerationTimedOut(APIError):
    status_code: ClassVar[int] = 504
    default_message: ClassVar[str] = "SDK generation timed out"


class SDKGenerationFailed(APIError):
    default_message: ClassVar[str] = "SDK generation failed"


@dataclass
class SDKs:
    """The languages offered, their generators and the zips made so far."""

    generators: dict[str, Generator]
    cache: ZipCache
    timeout: float
    max_bytes: int
    slots: asyncio.Semaphore
    # Generator runs started since the app started (what the cache saves is measured by it).
    runs: int = field(default=0)
    # The generators on PATH being listed (openapi-generator starts a JVM): the app serves meanwhile.
    detecting: asyncio.Task[dict[str, Generator]] | None = None

    async def _ready(self) -> None:
        if self.detecting is not None:
            found = await asyncio.shield(self.detecting)
            self.detecting = None
            for language, generator in found.items():
                self.generators.setdefault(language, generator)

    async def languages(self) -> list[str]:
        await self._ready()
        return sorted(self.generators)

    async def sdk(self, definition: str, language: str, folder: str) -> bytes:
        """The zip of a ``language`` client of ``definition``, its files under ``folder/``."""
        await self._ready()
        generator = self.generators.get(language.lower())
        if generator is None:
            raise BadRequest(
                f"Unsupported SDK language {language!r}; supported: {', '.join(sorted(self.generators))}",
                message="Unsupported SDK language",
            )
        language = language.lower()
        key = (hashlib.sha256(definition.encode()).hexdigest(), language, folder)
        return await self.cache.get(key, lambda: self._generate(generator, definition, language, folder))

    async def _generate(self, generator: Generator, definition: str, language: str, folder: str) -> bytes:
        async with self.slots:
            self.runs += 1
            workdir = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="apim-sdk-"))
            try:
                source = workdir / DEFINITION_FILE
                await asyncio.to_thread(source.write_text, definition)
                out = workdir / "sdk"
                try:
                    async with asyncio.timeout(self.timeout):
                        await generator.generate(source, language, out)
                except TimeoutError as error:
                    raise SDKGenerationTimedOut(
                        f"The {language} SDK was not generated within {self.timeout:g} s "
                        "(APIM_SDK_GENERATION_TIMEOUT)"
                    ) from error
                except GenerationFailed as error:
                    logger.warning("SDK generation in %s failed: %s", language, error)
                    raise SDKGenerationFailed(
                        f"The {language} generator failed on this API's definition"
                    ) from error
                return await asyncio.to_thread(zip_folder, out, source, folder, self.max_bytes)
            finally:
                await asyncio.to_thread(shutil.rmtree, workdir, True)


def zip_folder(out: Path, definition: Path, folder: str, max_bytes: int) -> bytes:
    """``out``'s files and the definition they were made from, under ``folder/``; refused once the
    zip passes ``max_bytes``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(definition, f"{folder}/{DEFINITION_FILE}")
        for path in sorted(out.rglob("*")):
            if path.is_file() and not path.is_symlink():
                archive.write(path, f"{folder}/{path.relative_to(out).as_posix()}")
            if buffer.tell() > max_bytes:
                raise SDKGenerationFailed(
                    f"The SDK is larger than {max_bytes} bytes (APIM_SDK_MAX_BYTES)", message="SDK too large"
                )
    made = buffer.getvalue()
    if len(made) > max_bytes:
        raise SDKGenerationFailed(
            f"The SDK is larger than {max_bytes} bytes (APIM_SDK_MAX_BYTES)", message="SDK too large"
        )
    return made


def file_name(name: str, language: str, version: str) -> str:
    """WSO2's name of the zip: ``PizzaShackAPI_python_1.0.0``."""
    return re.sub(r"[^\w.-]", "_", f"{name}_{language}_{version}")


def build(settings: Settings) -> SDKs:
    """Python at once; the languages of a generator on PATH once it has listed them."""
    return SDKs(
        generators={PYTHON: PythonClient()},
        cache=ZipCache(settings.sdk_cache_bytes),
        timeout=settings.sdk_generation_timeout,
        max_bytes=settings.sdk_max_bytes,
        slots=asyncio.Semaphore(settings.sdk_concurrency),
        detecting=asyncio.create_task(detect(settings.sdk_generation_timeout)),
    )


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The app's SDK generators, found once at start."""
    sdks = build(app.state.settings)
    app.state.sdks = sdks
    try:
        yield
    finally:
        if sdks.detecting is not None:
            sdks.detecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sdks.detecting
