"""apictl API projects: ``init`` from an OpenAPI or AsyncAPI file or a GraphQL schema, environment
params, and zipping for import."""

from __future__ import annotations

import io
import os
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ruamel.yaml.comments import CommentedMap

from apimctl import yamlio
from apimctl.errors import UsageError

PROJECT_VERSION = "v4.3.0"
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# The API type an AsyncAPI server's protocol makes (as the Publisher decides it on import).
_ASYNC_TYPES = {"ws": "WS", "wss": "WS", "http": "WEBSUB", "https": "WEBSUB", "sse": "SSE"}
# A GraphQL schema (SDL) is carried as written, in Definitions/schema.graphql.
GRAPHQL_SUFFIXES = (".graphql", ".graphqls", ".gql")


def envelope(type_: str, data: Any) -> CommentedMap:
    document = CommentedMap()
    document["type"] = type_
    document["version"] = PROJECT_VERSION
    document["data"] = data
    return document


def _context_of(definition: dict[str, Any], name: str) -> str:
    if definition.get("x-wso2-basePath"):
        return str(definition["x-wso2-basePath"])
    if definition.get("basePath"):
        return str(definition["basePath"])
    return "/" + "".join(ch for ch in name.lower() if ch.isalnum() or ch in "-_")


def _endpoint_of(definition: dict[str, Any]) -> str | None:
    for server in definition.get("servers") or []:
        url = str(server.get("url") or "")
        if urlparse(url).scheme in ("http", "https"):
            return url
    host = definition.get("host")
    if host:
        scheme = (definition.get("schemes") or ["https"])[0]
        return f"{scheme}://{host}{definition.get('basePath') or ''}"
    return None


def _async_type(definition: dict[str, Any]) -> str:
    servers = definition.get("servers")
    found = sorted(
        {
            _ASYNC_TYPES.get(str(server.get("protocol")).lower(), "ASYNC")
            for server in (servers.values() if isinstance(servers, dict) else [])
            if isinstance(server, dict) and server.get("protocol")
        }
    )
    return found[0] if found else "WS"


def init(directory: Path, oas: Path, *, force: bool = False, template: Path | None = None) -> Path:
    """A new project in ``directory`` around the definition ``oas`` (OpenAPI, Swagger 2, AsyncAPI,
    or a GraphQL schema named ``*.graphql``); the API's fields come from it."""
    if directory.exists() and any(directory.iterdir()):
        if not force:
            raise UsageError(f"{directory} exists and is not empty; use --force to replace it")
        shutil.rmtree(directory)
    if oas.suffix.lower() in GRAPHQL_SUFFIXES:
        return _init_graphql(directory, oas, template)
    definition = yamlio.load_file(oas)
    if not isinstance(definition, dict) or not {"openapi", "swagger", "asyncapi"} & set(definition):
        raise UsageError(
            f"{oas} is not an OpenAPI, Swagger 2 or AsyncAPI definition: "
            "it has no 'openapi' or 'asyncapi' field"
        )
    streaming = "asyncapi" in definition
    info = definition.get("info") or {}
    name = re.sub(r"[^A-Za-z0-9 _.-]", "", str(info.get("title") or directory.name)).strip() or directory.name
    data = CommentedMap()
    data["name"] = name
    data["version"] = str(info.get("version") or "1.0.0")
    data["context"] = _context_of(definition, name)
    if streaming:
        data["type"] = _async_type(definition)
    if info.get("description"):
        data["description"] = str(info["description"])
    data["policies"] = ["Unlimited"]
    endpoint = None if streaming else _endpoint_of(definition)
    if endpoint:
        data["endpointConfig"] = {
            "endpoint_type": "http",
            "production_endpoints": {"url": endpoint},
            "sandbox_endpoints": {"url": endpoint},
        }
    _with_template(data, template)
    descriptor = envelope("api", data)
    definition_file = "asyncapi.yaml" if streaming else "swagger.yaml"
    descriptor.yaml_set_start_comment(
        f"The API's fields (WSO2 Publisher v4 names). Operations follow Definitions/{definition_file}.\n"
        "Environment-specific values (endpoints, security, deployments) belong in a params file."
    )
    yamlio.dump_file(directory / "api.yaml", descriptor)
    yamlio.dump_file(directory / "Definitions" / definition_file, definition)
    _finish(directory)
    return directory


def _with_template(data: CommentedMap, template: Path | None) -> None:
    if template is not None:
        extra = yamlio.load_file(template)
        extra = extra.get("data", extra) if isinstance(extra, dict) else extra
        if not isinstance(extra, dict):
            raise UsageError(f"{template} must hold API fields (a mapping)")
        data.update(extra)


def _init_graphql(directory: Path, schema: Path, template: Path | None) -> Path:
    """A GRAPHQL API's project: the schema copied byte for byte; the Publisher makes one operation
    per root field of its Query, Mutation and Subscription types when the project is imported."""
    name = re.sub(r"[^A-Za-z0-9 _.-]", "", directory.name).strip() or "GraphQLAPI"
    data = CommentedMap()
    data["name"] = name
    data["version"] = "1.0.0"
    data["context"] = _context_of({}, name)
    data["type"] = "GRAPHQL"
    data["policies"] = ["Unlimited"]
    _with_template(data, template)
    descriptor = envelope("api", data)
    descriptor.yaml_set_start_comment(
        "The API's fields (WSO2 Publisher v4 names). Operations follow the root fields of\n"
        "Definitions/schema.graphql. Environment-specific values belong in a params file."
    )
    yamlio.dump_file(directory / "api.yaml", descriptor)
    (directory / "Definitions").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(schema, directory / "Definitions" / "schema.graphql")
    _finish(directory)
    return directory


def _finish(directory: Path) -> None:
    """The folders and the deployment environments every new project starts with."""
    for folder in ("Docs", "Policies"):
        (directory / folder).mkdir(parents=True, exist_ok=True)
    environments = envelope(
        "deployment_environments",
        [{"deploymentEnvironment": "Default", "deploymentVhost": "localhost", "displayOnDevportal": True}],
    )
    environments.yaml_set_start_comment("Gateway environments a revision is deployed to on import.")
    yamlio.dump_file(directory / "deployment_environments.yaml", environments)


def substitute(value: Any, where: str) -> Any:
    """``${NAME}`` replaced by the environment variable NAME everywhere in a params document."""
    if isinstance(value, dict):
        return {k: substitute(v, where) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, where) for v in value]
    if isinstance(value, str):

        def lookup(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise UsageError(f"{where}: the environment variable {name} is not set")
            return os.environ[name]

        return _VARIABLE.sub(lookup, value)
    return value


def params_for(params_file: Path, env_name: str) -> dict[str, Any] | None:
    document = yamlio.plain(yamlio.load_file(params_file)) or {}
    environments = document.get("environments") if isinstance(document, dict) else None
    if not isinstance(environments, list):
        raise UsageError(f"{params_file}: expected 'environments:', a list of {{name, configs}}")
    for entry in environments:
        if isinstance(entry, dict) and entry.get("name") == env_name:
            configs = substitute(entry.get("configs") or {}, str(params_file))
            if not isinstance(configs, dict):
                raise UsageError(f"{params_file}: configs of '{env_name}' must be a mapping")
            return configs
    return None


def _set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        child = data.get(part)
        if not isinstance(child, dict):
            child = {}
            data[part] = child
        data = child
    data[parts[-1]] = value


def apply_params(project: Path, configs: dict[str, Any]) -> None:
    """Write one environment's endpoints, security, deployments, policies and values into a project."""
    descriptor_path = next(
        (project / n for n in ("api.yaml", "api.yml", "api.json") if (project / n).exists()), None
    )
    if descriptor_path is None:
        raise UsageError(f"{project} has no api.yaml")
    descriptor = yamlio.load_file(descriptor_path)
    data = descriptor["data"] if isinstance(descriptor, dict) and "data" in descriptor else descriptor
    endpoints = configs.get("endpoints")
    if endpoints:
        config = dict(data.get("endpointConfig") or {})
        config["endpoint_type"] = configs.get("endpointType", config.get("endpoint_type", "http"))
        for side in ("production", "sandbox"):
            if side in endpoints:
                config[f"{side}_endpoints"] = endpoints[side]
        data["endpointConfig"] = config
    security = configs.get("security")
    if security:
        config = dict(data.get("endpointConfig") or {"endpoint_type": "http"})
        config["endpoint_security"] = security
        data["endpointConfig"] = config
    if "policies" in configs:
        data["policies"] = list(configs["policies"])
    for dotted, value in (configs.get("values") or {}).items():
        _set_path(data, str(dotted), value)
    yamlio.dump_file(descriptor_path.with_suffix(".yaml"), descriptor)
    if descriptor_path.suffix == ".json":
        descriptor_path.unlink()
    if "deploymentEnvironments" in configs:
        yamlio.dump_file(
            project / "deployment_environments.yaml",
            envelope("deployment_environments", list(configs["deploymentEnvironments"] or [])),
        )


def pack(directory: Path) -> bytes:
    """The project folder as the zip the import endpoint takes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, f"{directory.name}/{path.relative_to(directory).as_posix()}")
    return buffer.getvalue()


def unpack(archive: Path, into: Path) -> Path:
    """The project folder inside an exported zip, extracted under ``into``."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            for member in zipped.namelist():
                target = (into / member).resolve()
                if not str(target).startswith(str(into.resolve())):
                    raise UsageError(f"{archive}: the entry {member} points outside the project")
            zipped.extractall(into)
    except zipfile.BadZipFile as exc:
        raise UsageError(f"{archive} is not a zip file") from exc
    found = sorted(into.rglob("api.yaml")) + sorted(into.rglob("api.json"))
    if not found:
        raise UsageError(f"{archive} holds no api.yaml")
    return min(found, key=lambda p: len(p.parts)).parent
