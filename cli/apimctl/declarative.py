"""decK-style state: an environment as files (dump), what differs (diff), and making it so (apply).

One YAML file per resource, keyed by kind, name and version:
``apis/<name>-<version>.yaml``, ``applications/<name>.yaml``, ``api-products/<name>-<version>.yaml``.
Ids, timestamps, provider/owner and other read-only fields are left out, so two environments
compare by what their users configured.
"""

from __future__ import annotations

import difflib
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apimctl import yamlio
from apimctl.client import Client
from apimctl.errors import ApiError, UsageError
from apimctl.project import envelope

KINDS = {"API": "apis", "Application": "applications", "APIProduct": "api-products"}
API_READ_ONLY = {
    "id",
    "provider",
    "hasThumbnail",
    "isRevision",
    "revisionedApiId",
    "revisionId",
    "workflowStatus",
    "additionalPropertiesMap",
    "createdTime",
    "lastUpdatedTime",
    "lastUpdatedTimestamp",
}
APP_FIELDS = ("name", "throttlingPolicy", "description", "tokenType", "groups", "attributes")
PRODUCT_READ_ONLY = API_READ_ONLY | {"apiProductId", "state", "workflowStatus"}
DOCUMENT_FIELDS = ("name", "type", "summary", "sourceType", "sourceUrl", "otherTypeName", "visibility")

Key = tuple[str, str, str]
# Backend credentials the platform never shows (it answers ""): compared as if masked, so a file
# holding the real secret is not drift, and applying it sets the secret.
ENDPOINT_SECRETS = ("password", "clientSecret")


def _strip(value: Any, drop: frozenset[str] = frozenset()) -> Any:
    """Nones removed and the named keys dropped, at every level."""
    if isinstance(value, dict):
        return {k: _strip(v, drop) for k, v in value.items() if v is not None and k not in drop}
    if isinstance(value, list):
        return [_strip(v, drop) for v in value]
    return value


def _secrets_masked(document: dict[str, Any]) -> dict[str, Any]:
    config = document.get("endpointConfig")
    if not isinstance(config, dict) or not isinstance(config.get("endpoint_security"), dict):
        return document
    security: dict[str, Any] = config["endpoint_security"]
    sides = {
        side: {k: "" if k in ENDPOINT_SECRETS and v else v for k, v in values.items()}
        if isinstance(values, dict)
        else values
        for side, values in security.items()
    }
    return {**document, "endpointConfig": {**config, "endpoint_security": sides}}


def key_of(document: dict[str, Any]) -> Key:
    return (str(document["kind"]), str(document["name"]), str(document.get("version") or ""))


def _label(key: Key) -> str:
    kind, name, version = key
    return f"{kind} {name}" + (f" {version}" if version else "")


def _file_name(key: Key) -> str:
    kind, name, version = key
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", name) + (f"-{version}" if version else "")
    return f"{KINDS[kind]}/{stem}.yaml"


# ----- reading an environment -----------------------------------------------------------------


def _deployments(client: Client, path: str) -> list[dict[str, Any]]:
    """Where the API (or product) at ``path`` is deployed, as deployment_environments.yaml lists it."""
    deployments = client.json("GET", "publisher", f"{path}/deployments").get("list") or []
    return sorted(
        (
            {
                "deploymentEnvironment": d["name"],
                "deploymentVhost": d.get("vhost"),
                "displayOnDevportal": d.get("displayOnDevportal", True),
            }
            for d in deployments
            if d.get("status", "APPROVED") == "APPROVED"
        ),
        key=lambda d: str(d["deploymentEnvironment"]),
    )


def _documents(client: Client, path: str) -> list[dict[str, Any]]:
    """The documents of the API (or product) at ``path``, inline and markdown ones with their text."""
    documents = []
    for document in client.list_all("publisher", f"{path}/documents"):
        item = {k: document[k] for k in DOCUMENT_FIELDS if document.get(k) is not None}
        if document.get("sourceType") in ("INLINE", "MARKDOWN"):
            content = client.request(
                "GET", "publisher", f"{path}/documents/{document['documentId']}/content", ok=(404,)
            )
            if content.status_code == 200:
                item["inlineContent"] = content.text
        documents.append(item)
    return sorted(documents, key=lambda d: str(d["name"]))


def _api_state(client: Client, api_id: str) -> dict[str, Any]:
    api = client.json("GET", "publisher", f"/apis/{api_id}")
    data: dict[str, Any] = _strip({k: v for k, v in api.items() if k not in API_READ_ONLY})
    for operation in data.get("operations") or []:
        operation.pop("id", None)
    for scope in data.get("scopes") or []:
        (scope.get("scope") or {}).pop("id", None)
    data["deploymentEnvironments"] = _deployments(client, f"/apis/{api_id}")
    data["documents"] = _documents(client, f"/apis/{api_id}")
    return {"kind": "API", **data}


def _application_state(client: Client, app: dict[str, Any]) -> dict[str, Any]:
    data = {k: app[k] for k in APP_FIELDS if app.get(k) is not None}
    subscriptions = client.list_all("devportal", "/subscriptions", {"applicationId": app["applicationId"]})
    data["subscriptions"] = sorted(
        (
            {
                "apiName": (s.get("apiInfo") or {}).get("name"),
                "apiVersion": (s.get("apiInfo") or {}).get("version"),
                "throttlingPolicy": s.get("throttlingPolicy"),
            }
            for s in subscriptions
        ),
        key=lambda s: (str(s["apiName"]), str(s["apiVersion"])),
    )
    return {"kind": "Application", **data}


def _product_state(client: Client, product_id: str, api_names: dict[str, tuple[str, str]]) -> dict[str, Any]:
    product = client.json("GET", "publisher", f"/api-products/{product_id}")
    data: dict[str, Any] = _strip({k: v for k, v in product.items() if k not in PRODUCT_READ_ONLY})
    for member in data.get("apis") or []:
        api_id = member.pop("apiId", None)
        if api_id in api_names:
            member["name"], member["version"] = api_names[api_id]
        for operation in member.get("operations") or []:
            operation.pop("id", None)
    data["deploymentEnvironments"] = _deployments(client, f"/api-products/{product_id}")
    data["documents"] = _documents(client, f"/api-products/{product_id}")
    return {"kind": "APIProduct", **data}


def fetch_apis(client: Client, progress: Callable[[str], None] = lambda _: None) -> dict[Key, dict[str, Any]]:
    state: dict[Key, dict[str, Any]] = {}
    for api in client.list_all("publisher", "/apis"):
        progress(f"API {api['name']} {api['version']}")
        document = _api_state(client, api["id"])
        state[key_of(document)] = document
    return state


def fetch_applications(
    client: Client, progress: Callable[[str], None] = lambda _: None
) -> dict[Key, dict[str, Any]]:
    state: dict[Key, dict[str, Any]] = {}
    for app in client.list_all("devportal", "/applications"):
        progress(f"application {app['name']}")
        document = _application_state(client, app)
        state[key_of(document)] = document
    return state


def fetch_products(
    client: Client, progress: Callable[[str], None] = lambda _: None
) -> dict[Key, dict[str, Any]]:
    state: dict[Key, dict[str, Any]] = {}
    products = client.list_all("publisher", "/api-products")
    if not products:
        return state
    api_names = {a["id"]: (str(a["name"]), str(a["version"])) for a in client.list_all("publisher", "/apis")}
    for product in products:
        progress(f"API product {product['name']}")
        document = _product_state(client, product["id"], api_names)
        state[key_of(document)] = document
    return state


def fetch(client: Client, progress: Callable[[str], None] = lambda _: None) -> dict[Key, dict[str, Any]]:
    """Every API, application and API product of the environment, normalised."""
    return {
        **fetch_apis(client, progress),
        **fetch_applications(client, progress),
        **fetch_products(client, progress),
    }


# ----- reading files --------------------------------------------------------------------------


def read(directory: Path) -> dict[Key, dict[str, Any]]:
    if not directory.is_dir():
        raise UsageError(f"{directory} is not a directory; create it with `apimctl dump`")
    state: dict[Key, dict[str, Any]] = {}
    for path in sorted(directory.rglob("*.yaml")) + sorted(directory.rglob("*.yml")):
        document = yamlio.plain(yamlio.load_file(path))
        if not isinstance(document, dict):
            raise UsageError(f"{path}: expected a mapping with kind, name (and version)")
        kind = document.get("kind")
        if kind not in KINDS:
            raise UsageError(f"{path}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
        if not document.get("name"):
            raise UsageError(f"{path}: 'name' is missing")
        if kind != "Application" and not document.get("version"):
            raise UsageError(f"{path}: 'version' is missing")
        key = key_of(document)
        if key in state:
            raise UsageError(f"{path}: {_label(key)} is described twice")
        state[key] = document
    return state


def write(directory: Path, state: dict[Key, dict[str, Any]]) -> list[Path]:
    written = []
    for key, document in sorted(state.items()):
        path = directory / _file_name(key)
        yamlio.dump_file(path, document)
        written.append(path)
    return written


# ----- comparing ------------------------------------------------------------------------------


@dataclass
class Change:
    action: str  # create, update or delete
    key: Key
    local: dict[str, Any] | None
    remote: dict[str, Any] | None

    @property
    def label(self) -> str:
        return _label(self.key)

    def unified(self) -> str:
        before = _sorted_yaml(self.remote) if self.remote is not None else ""
        after = _sorted_yaml(self.local) if self.local is not None else ""
        lines = difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"environment: {self.label}",
            tofile=f"files: {self.label}",
        )
        return "".join(lines)


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def _sorted_yaml(document: dict[str, Any]) -> str:
    return yamlio.dumps(_sorted(document))


def compare(
    local: dict[Key, dict[str, Any]], remote: dict[Key, dict[str, Any]], *, prune: bool
) -> list[Change]:
    changes = []
    for key in sorted(set(local) | set(remote)):
        mine, theirs = local.get(key), remote.get(key)
        if theirs is None:
            changes.append(Change("create", key, mine, None))
        elif mine is None:
            if prune:
                changes.append(Change("delete", key, None, theirs))
        elif _strip(_secrets_masked(mine)) != _strip(_secrets_masked(theirs)):
            changes.append(Change("update", key, mine, theirs))
    return changes


# ----- applying -------------------------------------------------------------------------------


def _project(document: dict[str, Any], type_: str) -> bytes:
    """The declarative API (``api``) or API product (``api_product``) as the project zip its
    ``/import`` endpoint takes: descriptor, documents and deployment environments."""
    data = {k: v for k, v in document.items() if k not in ("kind", "deploymentEnvironments", "documents")}
    root = re.sub(r"[^A-Za-z0-9._-]", "", str(document["name"])) + f"-{document['version']}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{root}/{type_}.yaml", yamlio.dumps(envelope(type_, data)))
        for index, item in enumerate(document.get("documents") or []):
            archive.writestr(
                f"{root}/Docs/doc{index}/document.yaml", yamlio.dumps(envelope("document", item))
            )
        environments = document.get("deploymentEnvironments") or []
        archive.writestr(
            f"{root}/deployment_environments.yaml",
            yamlio.dumps(envelope("deployment_environments", environments)),
        )
    return buffer.getvalue()


def _find(items: list[dict[str, Any]], key: Key) -> dict[str, Any] | None:
    _, name, version = key
    return next((i for i in items if i["name"] == name and str(i.get("version") or "") == version), None)


def _project_applier(collection: str, kind: str, overwrite: str) -> Callable[[Client, Change], None]:
    """Apply an API or an API product as its project: imported (created or overwritten, a revision
    rotated in and deployed) or deleted. The publisher finds a product's APIs by name and version,
    as an exported product names them."""

    def apply(client: Client, change: Change) -> None:
        if change.action == "delete":
            found = _find(client.list_all("publisher", collection), change.key)
            if found is not None:
                client.request("DELETE", "publisher", f"{collection}/{found['id']}")
            return
        assert change.local is not None
        client.request(
            "POST",
            "publisher",
            f"{collection}/import",
            params={overwrite: "true", "rotateRevision": "true"},
            files={"file": ("project.zip", _project(change.local, kind), "application/zip")},
        )

    return apply


def _subscription_targets(client: Client, change: Change) -> dict[tuple[str, str], str] | None:
    """The id of every API or API product the application subscribes to, all found before anything
    is written; None when the application comes without subscriptions (existing ones stay)."""
    assert change.local is not None
    if "subscriptions" not in change.local:
        return None
    wanted = [(str(s["apiName"]), str(s["apiVersion"])) for s in change.local.get("subscriptions") or []]
    if not wanted:
        return {}
    subscribable = client.list_all("publisher", "/apis") + client.list_all("publisher", "/api-products")
    targets = {}
    for name, version in wanted:
        found = _find(subscribable, ("API", name, version))
        if found is None:
            raise UsageError(
                f"{change.label} subscribes to {name} {version}, "
                "which is neither an API nor an API product in this environment"
            )
        targets[(name, version)] = str(found["id"])
    return targets


def _apply_application(client: Client, change: Change) -> None:
    existing = _find(client.list_all("devportal", "/applications"), change.key)
    if change.action == "delete":
        if existing is not None:
            client.request("DELETE", "devportal", f"/applications/{existing['applicationId']}")
        return
    assert change.local is not None
    targets = _subscription_targets(client, change)
    body = {k: change.local[k] for k in APP_FIELDS if k in change.local}
    if existing is None:
        created = client.json("POST", "devportal", "/applications", json=body)
        app_id = created["applicationId"]
    else:
        app_id = existing["applicationId"]
        client.request("PUT", "devportal", f"/applications/{app_id}", json={**existing, **body})
    if targets is None:
        return
    wanted = {(str(s["apiName"]), str(s["apiVersion"])): s for s in change.local.get("subscriptions") or []}
    current = client.list_all("devportal", "/subscriptions", {"applicationId": app_id})
    have = {
        (str((s.get("apiInfo") or {}).get("name")), str((s.get("apiInfo") or {}).get("version"))): s
        for s in current
    }
    for identity, subscription in wanted.items():
        if identity in have:
            continue
        client.request(
            "POST",
            "devportal",
            "/subscriptions",
            json={
                "applicationId": app_id,
                "apiId": targets[identity],
                "throttlingPolicy": subscription["throttlingPolicy"],
            },
        )
    for identity, held in have.items():
        if identity not in wanted:
            client.request("DELETE", "devportal", f"/subscriptions/{held['subscriptionId']}")


APPLIERS: dict[str, Callable[[Client, Change], None]] = {
    "API": _project_applier("/apis", "api", "overwrite"),
    "Application": _apply_application,
    "APIProduct": _project_applier("/api-products", "api_product", "overwriteAPIProduct"),
}
# APIs first on create (applications subscribe to them, products bundle them); the reverse on delete.
ORDER = {"API": 0, "APIProduct": 1, "Application": 2}


def apply(
    client: Client, changes: list[Change], on_change: Callable[[Change], None] = lambda _: None
) -> None:
    creates = sorted((c for c in changes if c.action != "delete"), key=lambda c: (ORDER[c.key[0]], c.key))
    deletes = sorted((c for c in changes if c.action == "delete"), key=lambda c: (-ORDER[c.key[0]], c.key))
    for change in [*creates, *deletes]:
        on_change(change)
        try:
            APPLIERS[change.key[0]](client, change)
        except ApiError as exc:
            exc.message = f"{change.action} {change.label}: {exc.message}"
            raise
