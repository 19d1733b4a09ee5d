"""Routing: vhost -> tenant (``/t/{tenant}``) -> context (static prefix lookup) -> version.

Rebuilt (cheaply, from already compiled APIs) whenever the set of deployed APIs changes, and
swapped in whole, so a request always sees one consistent table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from apim_gateway.runtime.apis import DEFAULT_TENANT, CompiledApi


@dataclass(slots=True)
class _Context:
    versions: dict[str, CompiledApi] = field(default_factory=dict)
    default: CompiledApi | None = None
    # The context holds {version}: matching the context is matching the version.
    versioned: CompiledApi | None = None


@dataclass(slots=True)
class _Tenant:
    contexts: dict[str, _Context] = field(default_factory=dict)
    depth: int = 1  # most segments of any context


def _put(entry: _Context, api: CompiledApi) -> None:
    if api.version_in_context:
        entry.versioned = api
    else:
        entry.versions[api.version] = api
        if api.is_default:
            entry.default = api


def _take(entry: _Context, api: CompiledApi) -> None:
    """Take ``api`` (any revision of it) out of ``entry``; other APIs sharing the context stay."""
    if entry.versioned is not None and entry.versioned.id == api.id:
        entry.versioned = None
    held = entry.versions.get(api.version)
    if held is not None and held.id == api.id:
        del entry.versions[api.version]
    if entry.default is not None and entry.default.id == api.id:
        # Another version still marked default takes over, as a table built afresh would have it.
        entry.default = next((v for v in entry.versions.values() if v.is_default), None)


class Router:
    __slots__ = ("_default", "_default_vhost", "_hosts", "memo")

    def __init__(self, apis: Iterable[CompiledApi], default_vhost: str) -> None:
        hosts: dict[str, dict[str, _Tenant]] = {}
        for api in apis:
            tenants = hosts.setdefault(api.vhost, {})
            tenant = tenants.setdefault(api.tenant, _Tenant())
            entry = tenant.contexts.setdefault(api.context, _Context())
            tenant.depth = max(tenant.depth, api.context.count("/"))
            _put(entry, api)
        self._use(hosts, default_vhost)

    def _use(self, hosts: dict[str, dict[str, _Tenant]], default_vhost: str) -> None:
        self._hosts = hosts
        self._default_vhost = default_vhost
        self._default = hosts.get(default_vhost.lower(), {})
        # What the request path found with this table (``request/route.py``), kept with it so a
        # new table starts with none.
        self.memo: dict[tuple[str, str, bytes], Any] = {}

    def changed(self, removed: CompiledApi | None, added: CompiledApi | None) -> Router:
        """A new table with ``removed`` taken out and ``added`` put in (one deployment): only the
        dicts on their way are copied, every other context entry is shared with this table, so a
        deployment costs the same with ten APIs or ten thousand. This table is left as it was."""
        hosts = dict(self._hosts)
        for api, put in ((removed, False), (added, True)):
            if api is None:
                continue
            tenants = hosts[api.vhost] = dict(hosts.get(api.vhost) or {})
            old_tenant = tenants.get(api.tenant)
            tenant = tenants[api.tenant] = (
                _Tenant(dict(old_tenant.contexts), old_tenant.depth) if old_tenant is not None else _Tenant()
            )
            old = tenant.contexts.get(api.context)
            entry = (
                _Context(dict(old.versions), old.default, old.versioned) if old is not None else _Context()
            )
            if put:
                tenant.depth = max(tenant.depth, api.context.count("/"))
                _put(entry, api)
            else:
                _take(entry, api)
            if entry.versions or entry.versioned is not None or entry.default is not None:
                tenant.contexts[api.context] = entry
            else:
                tenant.contexts.pop(api.context, None)
        router = Router.__new__(Router)
        router._use(hosts, self._default_vhost)  # noqa: SLF001 - a Router of this class, made without a build
        return router

    def route(self, host: str, path: str) -> tuple[CompiledApi, str] | None:
        """The API and the resource path below ``/{context}/{version}``; None when nothing matches."""
        tenants = self._hosts.get(host, self._default) if host else self._default
        tenant_name = DEFAULT_TENANT
        if path.startswith("/t/"):
            end = path.find("/", 3)
            if end < 0:
                tenant_name, path = path[3:], "/"
            else:
                tenant_name, path = path[3:end], path[end:]
        tenant = tenants.get(tenant_name)
        if tenant is None:
            return None
        contexts = tenant.contexts
        # The ends of the first `depth` segments, longest prefix first.
        ends = []
        position = 0
        for _ in range(tenant.depth):
            position = path.find("/", position + 1)
            if position < 0:
                ends.append(len(path))
                break
            ends.append(position)
        for end in reversed(ends):
            entry = contexts.get(path[:end])
            if entry is None:
                continue
            rest = path[end:]
            if entry.versioned is not None:
                return entry.versioned, rest or "/"
            if rest:
                next_end = rest.find("/", 1)
                segment = rest[1:] if next_end < 0 else rest[1:next_end]
                api = entry.versions.get(segment)
                if api is not None:
                    return api, (rest[next_end:] if next_end >= 0 else "/")
            if entry.default is not None:
                return entry.default, rest or "/"
        return None
