"""AsyncAPI definitions kept with streaming APIs: import, replacement, and topics kept in step."""

from __future__ import annotations

import asyncio
import copy
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import BadRequest, ErrorListItem
from apim_common.security import Principal
from apim_publisher.apis import aggregate
from apim_publisher.apis import service as apis
from apim_publisher.apis.models import API
from apim_publisher.apis.schemas import STREAMING_TYPES, APIBody, Operation
from apim_publisher.asyncapi import document as asyncapi
from apim_publisher.asyncapi.document import Document
from apim_publisher.asyncapi.schemas import TopicIn
from apim_publisher.definitions.sources import additional_properties, default_context

INVALID = "Invalid AsyncAPI definition"
# WSO2's code for a definition that does not validate.
INVALID_CODE = "900754"
VALIDATION_SECONDS = 10.0
_VALIDATORS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="asyncapi-validation")


def error_items(errors: list[str], message: str = INVALID) -> list[ErrorListItem]:
    return [ErrorListItem(code=INVALID_CODE, message=message, description=e) for e in errors]


def invalid(errors: list[str], message: str = INVALID) -> BadRequest:
    return BadRequest("; ".join(errors), message=message, errors=error_items(errors, message))


async def check(raw: bytes | str) -> tuple[Document | None, list[str]]:
    """The document and its problems, worked out on a worker thread within ``VALIDATION_SECONDS``."""
    work = asyncio.get_running_loop().run_in_executor(_VALIDATORS, asyncapi.check, raw)
    try:
        return await asyncio.wait_for(work, VALIDATION_SECONDS)
    except TimeoutError:
        return None, [f"The definition could not be validated within {VALIDATION_SECONDS:g} seconds"]


async def problems(document: Document) -> list[str]:
    """``document``'s schema problems, worked out on a worker thread as ``check`` does."""
    work = asyncio.get_running_loop().run_in_executor(_VALIDATORS, asyncapi.problems, document)
    try:
        return await asyncio.wait_for(work, VALIDATION_SECONDS)
    except TimeoutError:
        return [f"The definition could not be validated within {VALIDATION_SECONDS:g} seconds"]


async def load_valid(raw: bytes | str) -> Document:
    """The document, or 400 naming every problem found."""
    document, errors = await check(raw)
    if errors or document is None:
        raise invalid(errors or ["The definition is empty"])
    return document


def api_type(document: Document, given: Any) -> str:
    """``additionalProperties.type`` when given, else the one type the servers' protocols make."""
    if given is not None:
        return str(given)
    types = asyncapi.api_types(document)
    if len(types) > 1:
        raise BadRequest(
            f"The servers use protocols of different API types ({', '.join(sorted(types))}); "
            "give the API's type in additionalProperties"
        )
    return types.pop() if types else asyncapi.DEFAULT_TYPE


def operations(document: Document, existing: list[Operation]) -> list[Operation]:
    """The document's topics, keeping the settings (auth, tier, scopes) of topics that stay."""
    kept = {(op.verb, op.target): op for op in existing}
    found = []
    for verb, channel in asyncapi.topics(document):
        fresh = Operation(target=channel, verb=verb)
        found.append(kept.get((fresh.verb, fresh.target), fresh))
    return found


def _body(fields: dict[str, Any]) -> APIBody:
    try:
        return APIBody.model_validate(fields)
    except ValidationError as exc:
        errors = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise invalid(errors, "Invalid API properties") from exc


async def import_api(
    session: AsyncSession, principal: Principal, document: Document, raw_properties: str | None
) -> API:
    """A streaming API from a valid definition: fields from ``additionalProperties``, its type from
    the servers' protocols and its topics from the channels (and 3.0 operations)."""
    fields = additional_properties(raw_properties)
    if "operations" in fields:
        raise BadRequest(
            "additionalProperties.operations: the topics come from the AsyncAPI definition's channels"
        )
    summary = asyncapi.info(document)
    fields["type"] = api_type(document, fields.get("type"))
    if fields["type"] not in STREAMING_TYPES:
        raise BadRequest(f"type: an AsyncAPI definition makes a streaming API, not a {fields['type']} API")
    fields.setdefault("name", str(summary["name"] or "").strip())
    fields.setdefault("version", str(summary["version"] or "1.0.0"))
    fields.setdefault("context", summary["context"] or default_context(str(fields["name"])))
    if "description" not in fields and summary["description"]:
        fields["description"] = summary["description"]
    fields["operations"] = [op.model_dump(mode="json", exclude_none=True) for op in operations(document, [])]
    api = await apis.create(session, principal, _body(fields))
    api.spec = {**api.spec, "asyncapi": document}
    return api


def _require_streaming(api: API) -> None:
    if api.type not in STREAMING_TYPES:
        raise BadRequest(
            f"API '{api.name}' is a {api.type} API; AsyncAPI definitions and topics belong to "
            "streaming APIs (WS, WEBSUB, SSE, WEBHOOK, ASYNC)"
        )


def _store(api: API, document: Document | None, topics: list[Operation]) -> None:
    operations_ = [op.model_dump(mode="json", exclude_none=True) for op in topics]
    # The topics must still make a valid API (no duplicates, no undeclared scopes).
    _body(
        {
            "name": api.name,
            "version": api.version,
            "context": api.context,
            "type": api.type,
            "operations": operations_,
            "scopes": api.spec.get("scopes") or [],
        }
    )
    spec = {**api.spec, "operations": operations_}
    if document is not None:
        spec["asyncapi"] = document
    api.spec = spec


async def set_definition(session: AsyncSession, principal: Principal, api: API, document: Document) -> API:
    """A new definition; the topics follow it, keeping the settings of unchanged ones."""
    _require_streaming(api)
    existing = [Operation.model_validate(o) for o in api.spec.get("operations", [])]
    _store(api, document, operations(document, existing))
    aggregate.touch(api, principal)
    await aggregate.announce(session, api, "api.updated")
    return api


def _key(channels: dict[str, Any], name: str) -> str:
    """The key of the channel for topic ``name`` (a 3.0 channel may be keyed apart from its address)."""
    for key, channel in channels.items():
        address = str(channel.get("address") or "") if isinstance(channel, dict) else ""
        if name in (key.strip("/"), address.strip("/")):
            return str(key)
    return name


def _with_topics(document: Document, wanted: list[TopicIn]) -> Document:
    """The definition rewritten to declare exactly ``wanted``, keeping what it said of kept channels."""
    result = copy.deepcopy(document)
    old: dict[str, Any] = result.get("channels") or {}
    channels: dict[str, Any] = {}
    if str(result.get("asyncapi", "")).startswith("3."):
        old_ops: dict[str, Any] = result.get("operations") or {}
        ops: dict[str, Any] = {}
        for topic in wanted:
            key = _key(old, topic.name)
            channel = channels.setdefault(key, copy.deepcopy(old.get(key)) or {"address": topic.name})
            if topic.description is not None:
                channel["description"] = topic.description
            action = "send" if topic.mode == "SUBSCRIBE" else "receive"
            ref = "#/channels/" + key.replace("~", "~0").replace("/", "~1")
            same = {
                name: op
                for name, op in old_ops.items()
                if isinstance(op, dict)
                and op.get("action") == action
                and (op.get("channel") or {}).get("$ref") == ref
            }
            if not same:
                label = "".join(c for c in topic.name.title() if c.isalnum())
                same = {f"{action}{label}": {"action": action, "channel": {"$ref": ref}}}
            ops.update(same)
        result["operations"] = ops
    else:
        for topic in wanted:
            key = _key(old, topic.name)
            found = old.get(key)
            previous: dict[str, Any] = found if isinstance(found, dict) else {}
            kept = {k: v for k, v in previous.items() if k not in ("subscribe", "publish")}
            channel = channels.setdefault(key, kept)
            verb = topic.mode.lower()
            channel[verb] = copy.deepcopy(previous.get(verb)) or {}
            if topic.description is not None:
                channel["description"] = topic.description
    result["channels"] = channels
    return result


async def set_topics(session: AsyncSession, principal: Principal, api: API, wanted: list[TopicIn]) -> API:
    """The API's operations become ``wanted``; its AsyncAPI definition (if any) declares them."""
    _require_streaming(api)
    existing = {(op["verb"], op["target"]): op for op in api.spec.get("operations", [])}
    topics = []
    for topic in wanted:
        fresh = Operation(target=topic.name, verb=topic.mode)
        kept = existing.get((fresh.verb, fresh.target))
        topics.append(Operation.model_validate(kept) if kept else fresh)
    document = api.spec.get("asyncapi")
    if isinstance(document, dict):
        document = _with_topics(document, wanted)
        errors = await problems(document)
        if errors:
            raise invalid(errors, "The topics do not make a valid AsyncAPI definition")
    _store(api, document if isinstance(document, dict) else None, topics)
    aggregate.touch(api, principal)
    await aggregate.announce(session, api, "api.updated")
    return api
