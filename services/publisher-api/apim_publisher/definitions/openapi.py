"""OpenAPI documents: parse, validate (openapi-spec-validator), and translate to and from the API DTO.

Swagger 2.0, OpenAPI 3.0.x and 3.1.x are accepted as they are and kept in their own version: a 3.1
document keeps its JSON Schema 2020-12 types, webhooks and ``$ref`` siblings.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlparse

import yaml  # type: ignore[import-untyped]
from openapi_spec_validator import OpenAPIV2SpecValidator, OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

from apim_publisher.apis.schemas import (
    DEFAULT_AUTH_TYPE,
    HTTP_VERBS,
    NAME_FORBIDDEN,
    APIBody,
    APIScope,
    Endpoint,
    EndpointConfig,
    Operation,
    Scope,
)
from apim_publisher.definitions import parsing
from apim_publisher.definitions.parsing import ParseError

MAX_ERRORS = 20
MAX_MESSAGE = 300
DEFAULT_SCHEME = "default"
_PATH_PARAM = re.compile(r"{([^}/]+)}")
Document = dict[str, Any]


class DefinitionError(ValueError):
    """The document is not a valid OpenAPI or Swagger definition; ``errors`` says why."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


class RemoteReference(DefinitionError):
    """A ``$ref`` points outside the document (a file, a URL): never read, always refused."""


def parse(raw: bytes | str) -> Document:
    """A JSON or YAML document as a mapping (no YAML aliases, bounded nesting)."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
        document = parsing.load(text)
    except UnicodeDecodeError as exc:
        raise DefinitionError(["The definition is not UTF-8 text"]) from exc
    except ParseError as exc:
        raise DefinitionError([f"The definition is neither valid JSON nor YAML: {exc}"]) from exc
    if not isinstance(document, dict):
        raise DefinitionError(["The definition must be a JSON or YAML object"])
    return document


_PATH_ITEM_REF = "#/components/pathItems/"


def inline_path_items(document: Document) -> Document:
    """Each path given as a ``$ref`` to ``components/pathItems`` (OpenAPI 3.1) replaced by the item
    it names, its own fields beside the ``$ref`` winning: every later reader (operations, rendering,
    the gateway's schema validation) then sees the operations the definition means. A ``$ref``
    elsewhere, a missing item or a cycle is refused."""
    items = (document.get("components") or {}).get("pathItems") or {}
    paths = document.get("paths")
    if not isinstance(paths, dict):
        return document
    for target, item in list(paths.items()):
        seen: list[str] = []
        while isinstance(item, dict) and isinstance(item.get("$ref"), str):
            ref = item["$ref"]
            if not ref.startswith(_PATH_ITEM_REF) or ref in seen:
                raise DefinitionError([f"paths.{target}: $ref {ref} does not name a path item of components"])
            seen.append(ref)
            named = items.get(ref.removeprefix(_PATH_ITEM_REF))
            if not isinstance(named, dict):
                raise DefinitionError([f"paths.{target}: $ref {ref} names no path item"])
            item = {**copy.deepcopy(named), **{k: v for k, v in item.items() if k != "$ref"}}
        paths[target] = item
    return document


def spec_version(document: Document) -> str:
    """``2.0``, ``3.0.x`` or ``3.1.x`` as the document declares it."""
    if str(document.get("swagger", "")) == "2.0":
        return "2.0"
    declared = str(document.get("openapi", ""))
    if re.match(r"^3\.[01]\.\d+$", declared):
        return declared
    if "openapi" in document or "swagger" in document:
        raise DefinitionError(
            [
                f"Unsupported version {declared or document.get('swagger')!r}: "
                "use Swagger 2.0 or OpenAPI 3.0/3.1"
            ]
        )
    raise DefinitionError(["The definition has neither an 'openapi' nor a 'swagger' field"])


def _where(path: Iterable[Any]) -> str:
    parts = [str(p) for p in path]
    return "/".join(parts) if parts else "(root)"


def _remote_references(document: Document) -> list[str]:
    """Every ``$ref`` that does not point inside the document itself (``#...``)."""
    found: list[str] = []
    stack: list[Any] = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                found.append(ref)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


# No resolver handlers: a reference the document does not hold (a file, a URL, a ``$id`` base
# elsewhere) fails to resolve instead of being read.
class _V2(OpenAPIV2SpecValidator):
    resolver_handlers: dict[str, Any] = {}


class _V30(OpenAPIV30SpecValidator):
    resolver_handlers: dict[str, Any] = {}


class _V31(OpenAPIV31SpecValidator):
    resolver_handlers: dict[str, Any] = {}


def validate(document: Document) -> str:
    """The document's version, or ``DefinitionError`` listing each problem with its location.

    Only references inside the document (``#/...``) are followed; others are refused, and no
    message repeats anything but the document's own text.
    """
    version = spec_version(document)
    if parsing.depth_of(document) > parsing.MAX_DEPTH:
        raise DefinitionError([f"The definition is nested deeper than {parsing.MAX_DEPTH} levels"])
    remote = _remote_references(document)
    if remote:
        shown = ", ".join(repr(r[:100]) for r in remote[:5])
        raise RemoteReference(
            [f"Only references inside the definition ('#/...') are supported; found {shown}"]
        )
    validator_class: Any
    if version == "2.0":
        validator_class = _V2
    elif version.startswith("3.0"):
        validator_class = _V30
    else:
        validator_class = _V31
    errors: list[str] = []
    try:
        for error in validator_class(document).iter_errors():
            message = str(getattr(error, "message", "") or type(error).__name__)
            errors.append(f"{_where(getattr(error, 'path', ()))}: {message}"[:MAX_MESSAGE])
            if len(errors) >= MAX_ERRORS:
                break
    except RecursionError:
        errors.append("The definition's references or schemas nest too deeply to validate")
    except Exception as exc:  # an unresolvable $ref surfaces as a resolver error, not a validation error
        ref = getattr(exc, "ref", None)
        if isinstance(ref, str):  # the document's own text: remote references never got here
            errors.append(f"Unresolvable reference {ref[:200]!r}: the definition does not hold it")
        else:
            errors.append("A reference cannot be resolved inside the definition, or it is malformed")
    if errors:
        raise DefinitionError(errors)
    return version


def is_swagger2(document: Document) -> bool:
    return str(document.get("swagger", "")) == "2.0"


def _security_schemes(document: Document) -> dict[str, Any]:
    if is_swagger2(document):
        schemes = document.get("securityDefinitions") or {}
    else:
        schemes = (document.get("components") or {}).get("securitySchemes") or {}
    return schemes if isinstance(schemes, dict) else {}


def _scheme_scopes(scheme: dict[str, Any]) -> dict[str, str]:
    scopes: dict[str, str] = {}
    if isinstance(scheme.get("scopes"), dict):  # Swagger 2.0
        scopes.update({str(k): str(v or "") for k, v in scheme["scopes"].items()})
    for flow in (scheme.get("flows") or {}).values():
        if isinstance(flow, dict) and isinstance(flow.get("scopes"), dict):
            scopes.update({str(k): str(v or "") for k, v in flow["scopes"].items()})
    return scopes


def scopes_from(document: Document) -> list[APIScope]:
    """Scopes the document defines: OAuth2 scheme scopes and WSO2's ``x-wso2-security`` list."""
    found: dict[str, Scope] = {}
    for scheme in _security_schemes(document).values():
        if not isinstance(scheme, dict) or scheme.get("type") != "oauth2":
            continue
        bindings = scheme.get("x-scopes-bindings") or {}
        for name, description in _scheme_scopes(scheme).items():
            roles = bindings.get(name, "") if isinstance(bindings, dict) else ""
            found[name] = Scope(
                name=name,
                displayName=name,
                description=description,
                bindings=[r.strip() for r in str(roles).split(",") if r.strip()],
            )
    wso2 = ((document.get("x-wso2-security") or {}).get("apim") or {}).get("x-wso2-scopes") or []
    for item in wso2 if isinstance(wso2, list) else []:
        if isinstance(item, dict) and item.get("key"):
            roles = item.get("roles") or ""
            found[str(item["key"])] = Scope(
                name=str(item["key"]),
                displayName=str(item.get("name") or item["key"]),
                description=str(item.get("description") or ""),
                bindings=[r.strip() for r in str(roles).split(",") if r.strip()],
            )
    return [APIScope(scope=s) for s in found.values()]


def _operation_scopes(requirements: Any) -> list[str]:
    scopes: list[str] = []
    for requirement in requirements if isinstance(requirements, list) else []:
        for names in (requirement or {}).values():
            for name in names or []:
                if name not in scopes:
                    scopes.append(str(name))
    return scopes


def operations_from(document: Document, existing: Iterable[Operation] = ()) -> list[Operation]:
    """One operation per path and verb; what the document does not say is kept from ``existing``."""
    previous = {(op.verb, op.target): op for op in existing}
    root_security = document.get("security")
    operations: list[Operation] = []
    for target, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method, spec in item.items():
            verb = method.upper()
            if verb not in HTTP_VERBS or not isinstance(spec, dict):
                continue
            before = previous.get((verb, target))
            security = spec.get("security", root_security)
            if "x-auth-type" in spec:
                auth_type = str(spec["x-auth-type"])
            elif spec.get("security") == []:
                auth_type = "None"
            else:
                auth_type = before.authType if before else DEFAULT_AUTH_TYPE
            operations.append(
                Operation(
                    target=target,
                    verb=verb,
                    authType=auth_type,
                    throttlingPolicy=str(
                        spec.get("x-throttling-tier") or (before.throttlingPolicy if before else "Unlimited")
                    ),
                    scopes=_operation_scopes(security),
                    operationPolicies=before.operationPolicies
                    if before
                    else Operation.model_fields["operationPolicies"].get_default(call_default_factory=True),
                )
            )
    return operations


def security_from(document: Document) -> tuple[list[str] | None, str | None]:
    """The API security schemes and API-key header the document asks for, if it says."""
    schemes: list[str] = []
    api_key_header: str | None = None
    for scheme in _security_schemes(document).values():
        if not isinstance(scheme, dict):
            continue
        kind = scheme.get("type")
        if kind == "oauth2" and "oauth2" not in schemes:
            schemes.append("oauth2")
        elif kind == "apiKey":
            if "api_key" not in schemes:
                schemes.append("api_key")
            if scheme.get("in") == "header" and scheme.get("name"):
                api_key_header = str(scheme["name"])
        elif (
            kind in ("basic", "http")
            and scheme.get("scheme", "basic") == "basic"
            and "basic_auth" not in schemes
        ):
            schemes.append("basic_auth")
    if not schemes:
        return None, None
    schemes.append("oauth_basic_auth_api_key_mandatory")
    return schemes, api_key_header


def server_urls(document: Document) -> list[str]:
    if is_swagger2(document):
        host = document.get("host")
        if not host:
            return []
        base = str(document.get("basePath") or "")
        return [f"{scheme}://{host}{base}" for scheme in document.get("schemes") or ["https"]]
    urls = []
    for server in document.get("servers") or []:
        url = str((server or {}).get("url") or "")
        if url.startswith(("http://", "https://")):
            urls.append(url)
    return urls


def endpoints_from(document: Document) -> EndpointConfig | None:
    wso2 = document.get("x-wso2-production-endpoints") or {}
    urls = list(wso2.get("urls") or []) if isinstance(wso2, dict) else []
    urls = urls or server_urls(document)
    if not urls:
        return None
    endpoint = Endpoint(url=str(urls[0]))
    return EndpointConfig(endpoint_type="http", production_endpoints=endpoint, sandbox_endpoints=endpoint)


def base_path(document: Document) -> str | None:
    explicit = document.get("x-wso2-basePath") or (
        document.get("basePath") if is_swagger2(document) else None
    )
    if explicit:
        return str(explicit)
    for url in server_urls(document):
        path = urlparse(url).path.rstrip("/")
        if path:
            return path
    return None


def usable_name(title: str) -> str:
    """A title usable as an API name: WSO2's forbidden characters dropped."""
    return NAME_FORBIDDEN.sub("", title).strip()[:60] or "API"


def describe(document: Document) -> dict[str, Any]:
    """The ``info`` of WSO2's validation answer: name, version, context, description, endpoints."""
    info = document.get("info") or {}
    version = spec_version(document)
    return {
        "name": str(info.get("title") or ""),
        "version": str(info.get("version") or ""),
        "context": base_path(document) or "",
        "description": str(info.get("description") or ""),
        "openAPIVersion": version,
        "endpoints": server_urls(document),
    }


def _path_parameters(target: str, swagger2: bool) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = []
    for name in _PATH_PARAM.findall(target):
        parameter: dict[str, Any] = {"name": name, "in": "path", "required": True}
        if swagger2:
            parameter["type"] = "string"
        else:
            parameter["schema"] = {"type": "string"}
        parameters.append(parameter)
    return parameters


def _declared_path_parameters(item: dict[str, Any], spec: dict[str, Any]) -> set[str]:
    names = set()
    for parameter in [*(item.get("parameters") or []), *(spec.get("parameters") or [])]:
        if isinstance(parameter, dict) and parameter.get("in") == "path":
            names.add(str(parameter.get("name")))
        elif isinstance(parameter, dict) and "$ref" in parameter:
            names.update(_PATH_PARAM.findall("{" + str(parameter["$ref"]).rsplit("/", 1)[-1] + "}"))
    return names


def _empty_document(api: APIBody, swagger2: bool) -> Document:
    info = {"title": api.name, "version": api.version}
    if api.description:
        info["description"] = api.description
    if swagger2:
        return {"swagger": "2.0", "info": info, "paths": {}, "securityDefinitions": {}}
    return {"openapi": "3.0.1", "info": info, "servers": [{"url": "/"}], "paths": {}, "components": {}}


def _ensure_default_scheme(document: Document, scopes: list[APIScope]) -> None:
    swagger2 = is_swagger2(document)
    if swagger2:
        schemes = document.setdefault("securityDefinitions", {})
    else:
        schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
    scope_map = {s.scope.name: s.scope.description or "" for s in scopes}
    bindings = {s.scope.name: ",".join(s.scope.bindings) for s in scopes}
    if swagger2:
        scheme = {
            "type": "oauth2",
            "authorizationUrl": "https://test.com",
            "flow": "implicit",
            "scopes": scope_map,
        }
    else:
        scheme = {
            "type": "oauth2",
            "flows": {"implicit": {"authorizationUrl": "https://test.com", "scopes": scope_map}},
        }
    scheme["x-scopes-bindings"] = bindings
    schemes[DEFAULT_SCHEME] = scheme


def render(api: APIBody, base: Document | None, *, swagger2: bool = False) -> Document:
    """The definition matching ``api``'s operations and scopes, keeping what ``base`` says of the rest."""
    document = copy.deepcopy(base) if base else _empty_document(api, swagger2)
    swagger2 = is_swagger2(document)
    info = document.setdefault("info", {})
    info["title"], info["version"] = api.name, api.version
    previous = {(op.verb, op.target): op for op in operations_from(document)} if base else {}
    old_paths: dict[str, Any] = document.get("paths") or {}
    paths: dict[str, Any] = {}
    uses_default = False
    for op in api.operations:
        if op.verb not in HTTP_VERBS:  # a streaming API's topic: described by its AsyncAPI definition
            continue
        old_item = old_paths.get(op.target) or {}
        item = paths.setdefault(op.target, {k: v for k, v in old_item.items() if k.upper() not in HTTP_VERBS})
        spec = copy.deepcopy(old_item.get(op.verb.lower()) or {"responses": {"200": {"description": "OK"}}})
        before = previous.get((op.verb, op.target))
        if (
            before is None
            or set(before.scopes) != set(op.scopes)
            or (op.authType == "None") != (before.authType == "None")
        ):
            if op.authType == "None":
                spec["security"] = []
            else:
                spec["security"] = [{DEFAULT_SCHEME: list(op.scopes)}]
                uses_default = True
        spec["x-auth-type"] = op.authType
        spec["x-throttling-tier"] = op.throttlingPolicy
        missing = [
            p
            for p in _path_parameters(op.target, swagger2)
            if p["name"] not in _declared_path_parameters(item, spec)
        ]
        if missing:
            spec["parameters"] = [*(spec.get("parameters") or []), *missing]
        item[op.verb.lower()] = spec
    document["paths"] = paths
    defined = {s.scope.name for s in scopes_from(document)} if base else set()
    if uses_default or not base or any(s.scope.name not in defined for s in api.scopes):
        _ensure_default_scheme(document, api.scopes)
    return document


def dump(document: Document, fmt: str) -> str:
    if fmt.upper() == "YAML":
        return str(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    return json.dumps(document, indent=2)
