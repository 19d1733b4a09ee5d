"""AsyncAPI 2.0-2.6 and 3.0 documents: checked against the official JSON schemas, read for the API.

The schemas are the ``@asyncapi/specs`` package's, copied into ``schemas/`` by ``make
asyncapi-schemas`` (part of ``make sync``); they are not kept in the repository.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator  # type: ignore[import-untyped]

from apim_publisher.definitions import parsing
from apim_publisher.definitions.parsing import ParseError

SCHEMA_DIR = Path(__file__).parent / "schemas"
VERSIONS = ("2.0.0", "2.1.0", "2.2.0", "2.3.0", "2.4.0", "2.5.0", "2.6.0", "3.0.0")
# The API type each server protocol makes; other protocols (kafka, mqtt, amqp...) are served by
# their own brokers, which WSO2 lists as ASYNC APIs without a gateway.
PROTOCOL_TYPES = {"ws": "WS", "wss": "WS", "http": "WEBSUB", "https": "WEBSUB", "sse": "SSE"}
OTHER_TYPE = "ASYNC"
DEFAULT_TYPE = "WS"
MAX_ERRORS = 20
MAX_MESSAGE = 300
Document = dict[str, Any]


class SchemasMissing(RuntimeError):
    """The AsyncAPI schemas were not installed next to this module (``make sync`` does it)."""


@cache
def _validator(version: str) -> Draft7Validator:
    path = SCHEMA_DIR / f"{version}.json"
    if not path.is_file():
        raise SchemasMissing(
            f"{path} is missing: run `make asyncapi-schemas` to install the AsyncAPI schemas"
        )
    return Draft7Validator(json.loads(path.read_text("utf-8")))


def parse(raw: bytes | str) -> tuple[Document | None, list[str]]:
    """The document, or why it is not one."""
    try:
        document = parsing.load_yaml(raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw)
    except (UnicodeDecodeError, ParseError) as exc:
        return None, [f"The definition is not JSON or YAML: {exc}"]
    if not isinstance(document, dict):
        return None, ["The definition must be a JSON or YAML object"]
    return document, []


def _short(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def problems(document: Document) -> list[str]:
    """Every way ``document`` breaks its AsyncAPI version's schema (at most ``MAX_ERRORS``)."""
    version = str(document.get("asyncapi") or "")
    if version not in VERSIONS:
        return [
            f"asyncapi: version {version or '(none)'!r} is not supported; use one of {', '.join(VERSIONS)}"
        ]
    found = []
    errors = sorted(_validator(version).iter_errors(document), key=lambda e: [str(p) for p in e.path])
    for error in errors[:MAX_ERRORS]:
        where = "/".join(str(p) for p in error.path) or "(document)"
        found.append(f"{where}: {_short(error.message)}")
    if len(errors) > MAX_ERRORS:
        found.append(f"... and {len(errors) - MAX_ERRORS} more")
    return found


def check(raw: bytes | str) -> tuple[Document | None, list[str]]:
    """The document (when it parses) and its problems; CPU work, run off the event loop."""
    document, errors = parse(raw)
    if document is None:
        return None, errors
    return document, problems(document)


def _servers(document: Document) -> list[dict[str, Any]]:
    servers = document.get("servers")
    return [s for s in servers.values() if isinstance(s, dict)] if isinstance(servers, dict) else []


def protocols(document: Document) -> list[str]:
    return sorted({str(s["protocol"]).lower() for s in _servers(document) if s.get("protocol")})


def api_types(document: Document) -> set[str]:
    """The API types the servers' protocols make (empty when no server names a protocol)."""
    return {PROTOCOL_TYPES.get(p, OTHER_TYPE) for p in protocols(document)}


def endpoints(document: Document) -> list[str]:
    found = []
    for server in _servers(document):
        if "url" in server:  # 2.x
            found.append(str(server["url"]))
        elif "host" in server:  # 3.0
            scheme = f"{server['protocol']}://" if server.get("protocol") else ""
            found.append(f"{scheme}{server['host']}{server.get('pathname') or ''}")
    return found


def info(document: Document) -> dict[str, Any]:
    """WSO2's summary of a valid document (``AsyncAPISpecificationValidationResponse.info``)."""
    described = document.get("info") or {}
    types = api_types(document)
    return {
        "name": described.get("title"),
        "version": described.get("version"),
        "context": document.get("x-wso2-basePath"),
        "description": described.get("description"),
        "asyncAPIVersion": document.get("asyncapi"),
        "protocol": min(types) if types else DEFAULT_TYPE,
        "endpoints": endpoints(document),
        "gatewayVendor": "wso2",
        "asyncTransportProtocols": protocols(document),
    }


def _channel_of(document: Document, reference: Any) -> str | None:
    """The address (or key) of the channel a 3.0 operation's ``channel`` ``$ref`` points to."""
    if not isinstance(reference, dict) or not isinstance(reference.get("$ref"), str):
        return None
    ref: str = reference["$ref"]
    if not ref.startswith("#/channels/"):
        return None
    key = ref.removeprefix("#/channels/").replace("~1", "/").replace("~0", "~")
    channel = (document.get("channels") or {}).get(key)
    if not isinstance(channel, dict):
        return None
    address = channel.get("address")
    return str(address) if isinstance(address, str) and address else key


def topics(document: Document) -> list[tuple[str, str]]:
    """The API's operations as (verb, channel): a 2.x ``subscribe`` (3.0 ``send``: the application
    sends, the client receives) is SUBSCRIBE, a 2.x ``publish`` (3.0 ``receive``) is PUBLISH."""
    found: list[tuple[str, str]] = []
    if str(document.get("asyncapi", "")).startswith("3."):
        for operation in (document.get("operations") or {}).values():
            if not isinstance(operation, dict):
                continue
            channel = _channel_of(document, operation.get("channel"))
            verb = {"send": "SUBSCRIBE", "receive": "PUBLISH"}.get(str(operation.get("action")))
            if channel and verb:
                found.append((verb, channel))
    else:
        for name, channel in (document.get("channels") or {}).items():
            if isinstance(channel, dict):
                found += [(verb.upper(), str(name)) for verb in ("subscribe", "publish") if verb in channel]
    return list(dict.fromkeys(found))
