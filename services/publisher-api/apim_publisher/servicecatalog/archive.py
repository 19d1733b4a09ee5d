"""Services as a zip: one folder per service with ``metadata.yaml`` (the service's fields) and
``definition.<ext>`` (the definition byte for byte), as the catalog's export writes and its import
reads."""

from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass
from typing import Any

import yaml  # type: ignore[import-untyped]
from pydantic import ValidationError

from apim_common.archives import ArchiveLimits, ArchiveRefused, BoundedZip, MiB
from apim_publisher.servicecatalog.schemas import ServiceBody

LIMITS = ArchiveLimits(max_members=200, max_member_bytes=5 * MiB, max_total_bytes=50 * MiB)
METADATA_FILES = ("metadata.yaml", "metadata.yml", "metadata.json")
EXTENSIONS = {"GRAPHQL_SDL": "graphql", "WSDL1": "wsdl", "WSDL2": "wsdl"}
EXPORTED_FIELDS = (
    "name",
    "displayName",
    "description",
    "version",
    "serviceKey",
    "serviceUrl",
    "definitionType",
    "securityType",
    "mutualSSLEnabled",
)


@dataclass(frozen=True, slots=True)
class ArchivedService:
    folder: str
    body: ServiceBody
    definition: bytes


def _extension(definition_type: str, definition: bytes) -> str:
    if definition_type in EXTENSIONS:
        return EXTENSIONS[definition_type]
    return "json" if definition.lstrip().startswith(b"{") else "yaml"


def write(services: list[tuple[dict[str, Any], bytes]]) -> bytes:
    """A zip of ``(fields, definition)`` pairs, one folder per service named for its key."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for fields, definition in services:
            folder = str(fields["serviceKey"])
            metadata = {k: fields[k] for k in EXPORTED_FIELDS if fields.get(k) is not None}
            archive.writestr(f"{folder}/metadata.yaml", yaml.safe_dump(metadata, sort_keys=False))
            ext = _extension(str(fields["definitionType"]), definition)
            archive.writestr(f"{folder}/definition.{ext}", definition)
    return buffer.getvalue()


def read(content: bytes) -> list[ArchivedService]:
    """Every service folder of the zip, its metadata checked; 400 naming the first problem."""
    opened = BoundedZip(content, LIMITS)
    try:
        names = opened.names()
        found = []
        for meta in sorted(n for n in names if posixpath.basename(n) in METADATA_FILES):
            folder = posixpath.dirname(meta)
            definitions = [
                n
                for n in names
                if posixpath.dirname(n) == folder and posixpath.basename(n).startswith("definition.")
            ]
            if len(definitions) != 1:
                raise ArchiveRefused(f"'{folder or '.'}' must hold one definition.<ext> beside {meta}")
            try:
                data = yaml.safe_load(opened.read(meta))
            except yaml.YAMLError as exc:
                raise ArchiveRefused(f"{meta} is not YAML or JSON: {exc}") from exc
            if isinstance(data, dict) and isinstance(data.get("data"), dict):
                data = data["data"]
            if not isinstance(data, dict):
                raise ArchiveRefused(f"{meta} must hold the service's fields")
            try:
                body = ServiceBody.model_validate(data)
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
                )
                raise ArchiveRefused(f"{meta}: {problems}") from exc
            found.append(ArchivedService(folder, body, opened.read(definitions[0])))
        if not found:
            raise ArchiveRefused(
                "The archive holds no service: each needs a metadata.yaml and a definition.<ext>"
            )
        return found
    finally:
        opened.close()
