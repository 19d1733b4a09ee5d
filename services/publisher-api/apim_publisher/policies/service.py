"""The policy catalogue and the checks every attachment passes.

Built-in policies come from ``builtin_policies.json`` (kept equal to the gateway's copy by a test);
users add common policies (every API of the tenant may use them) and API-specific ones. An
attachment names a policy by ``policyName`` and ``policyVersion``; the API's own policies are
looked up first, then the tenant's common ones, then the built-ins.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.archives import ArchiveLimits, ArchiveRefused, BoundedZip, MiB
from apim_common.errors import BadRequest, Conflict, ErrorListItem, Forbidden, NotFound
from apim_common.policy_specs import (
    FLOWS,
    PolicySpec,
    check_flow,
    check_spec,
    normalise_spec,
    resolve_parameters,
    validate_parameters,
)
from apim_common.security import Principal
from apim_publisher.apis.models import API
from apim_publisher.apis.schemas import Operation, OperationPolicies, OperationPolicy
from apim_publisher.common import utcnow
from apim_publisher.definitions import parsing
from apim_publisher.definitions.parsing import ParseError
from apim_publisher.environments import service as environments
from apim_publisher.policies.models import StoredPolicy
from apim_publisher.policies.repository import PolicyRepository

BUILTIN_PATH = Path(__file__).with_name("builtin_policies.json")
_BUILTIN_NAMESPACE = uuid.UUID("6f1f8c3e-4c1a-4e0b-9a57-0d0f7d6a2b10")
DEFINITION_SUFFIXES = (".j2", ".gotmpl", ".xml", ".yaml.j2")
# A policy archive is a spec and a few templates.
POLICY_ARCHIVE_LIMITS = ArchiveLimits(max_members=50, max_member_bytes=1 * MiB, max_total_bytes=5 * MiB)


@dataclass(frozen=True)
class KnownPolicy:
    id: str
    spec: PolicySpec
    api_id: str | None = None
    builtin: bool = False
    definitions: dict[str, str] = field(default_factory=dict)
    md5: str = ""
    # The gateway code that runs the policy: an ``apim.policies`` entry point name (the policy's
    # name when the spec does not say).
    implementation: str = ""

    def __post_init__(self) -> None:
        if not self.implementation:
            object.__setattr__(self, "implementation", self.spec["name"])


@cache
def builtin_specs() -> tuple[KnownPolicy, ...]:
    specs: list[PolicySpec] = json.loads(BUILTIN_PATH.read_text(encoding="utf-8"))
    return tuple(
        KnownPolicy(
            id=str(uuid.uuid5(_BUILTIN_NAMESPACE, f"{s['name']}:{s['version']}")),
            spec=s,
            builtin=True,
            md5=hashlib.md5(json.dumps(s, sort_keys=True).encode(), usedforsecurity=False).hexdigest(),
        )
        for s in specs
    )


def _known(row: StoredPolicy) -> KnownPolicy:
    return KnownPolicy(
        id=row.id,
        spec=normalise_spec(row.spec),
        api_id=row.api_id,
        definitions=dict(row.definitions),
        md5=row.md5,
        implementation=str(row.spec.get("implementation") or ""),
    )


def public(policy: KnownPolicy) -> dict[str, Any]:
    """WSO2's OperationPolicyData."""
    spec = policy.spec
    return {
        "category": spec["category"],
        "id": policy.id,
        "name": spec["name"],
        "version": spec["version"],
        "displayName": spec["displayName"],
        "description": spec["description"],
        "applicableFlows": spec["applicableFlows"],
        "supportedGateways": ["Synapse"],
        "supportedApiTypes": spec["supportedApiTypes"],
        "multipleAllowed": spec["multipleAllowed"],
        "isAPISpecific": policy.api_id is not None,
        "md5": policy.md5,
        "policyAttributes": spec["policyAttributes"],
        "implementation": policy.implementation,
    }


async def common(session: AsyncSession, tenant: str) -> list[KnownPolicy]:
    stored = [_known(r) for r in await PolicyRepository(session).common(tenant)]
    return sorted([*builtin_specs(), *stored], key=lambda p: (p.spec["name"].lower(), p.spec["version"]))


async def of_api(session: AsyncSession, api_id: str) -> list[KnownPolicy]:
    return [_known(r) for r in await PolicyRepository(session).of_api(api_id)]


async def find(
    session: AsyncSession, tenant: str, api_id: str | None, name: str, version: str
) -> KnownPolicy | None:
    repository = PolicyRepository(session)
    if api_id is not None:
        row = await repository.named(tenant, api_id, name, version)
        if row is not None:
            return _known(row)
    row = await repository.named(tenant, None, name, version)
    if row is not None:
        return _known(row)
    return next((p for p in builtin_specs() if (p.spec["name"], p.spec["version"]) == (name, version)), None)


async def get_common(session: AsyncSession, tenant: str, policy_id: str) -> KnownPolicy:
    builtin = next((p for p in builtin_specs() if p.id == policy_id), None)
    if builtin is not None:
        return builtin
    row = await PolicyRepository(session).get(policy_id)
    if row is None or row.tenant != tenant or row.api_id is not None:
        raise NotFound(f"Operation policy '{policy_id}' not found", message="Operation Policy Not Found")
    return _known(row)


async def get_of_api(session: AsyncSession, api_id: str, policy_id: str) -> KnownPolicy:
    row = await PolicyRepository(session).get(policy_id)
    if row is None or row.api_id != api_id:
        raise NotFound(
            f"Operation policy '{policy_id}' of API '{api_id}' not found",
            message="Operation Policy Not Found",
        )
    return _known(row)


def parse_spec_file(content: bytes) -> dict[str, Any]:
    """A spec file in JSON or YAML, bare or wrapped as apictl writes it (``{type, version, data}``)."""
    try:
        document = parsing.load_yaml(content.decode("utf-8"))
    except (UnicodeDecodeError, ParseError) as exc:
        raise BadRequest(f"The policy spec file is not JSON or YAML: {exc}") from exc
    if isinstance(document, dict) and "name" not in document and isinstance(document.get("data"), dict):
        document = document["data"]
    if not isinstance(document, dict):
        raise BadRequest("The policy spec file must hold one object")
    return document


async def add(
    session: AsyncSession,
    principal: Principal,
    raw_spec: dict[str, Any],
    definitions: dict[str, str],
    *,
    api_id: str | None,
) -> KnownPolicy:
    errors = check_spec(raw_spec)
    implementation = raw_spec.get("implementation")
    if implementation is not None and not (
        isinstance(implementation, str) and environments.IMPLEMENTATION_NAME.fullmatch(implementation)
    ):
        errors.append(
            "implementation: the name of an 'apim.policies' entry point installed in the gateway "
            "(a letter or '_' followed by letters, digits, '_', '.' or '-')"
        )
    elif any(implementation == p.spec["name"] for p in builtin_specs()):
        # A built-in checks its parameters against its own spec, not the uploaded one.
        errors.append(f"implementation: '{implementation}' is a built-in policy; attach it as it is")
    if errors:
        raise BadRequest(
            "; ".join(errors),
            message="Invalid policy specification",
            errors=[ErrorListItem(code="400", message=e.split(":")[0], description=e) for e in errors],
        )
    spec = normalise_spec(raw_spec)
    name, version = spec["name"], spec["version"]
    if any((p.spec["name"], p.spec["version"]) == (name, version) for p in builtin_specs()):
        raise Conflict(f"'{name}' {version} is a built-in policy", message="Operation policy already exists")
    if await PolicyRepository(session).named(principal.tenant, api_id, name, version) is not None:
        raise Conflict(
            f"A policy '{name}' {version} already exists", message="Operation policy already exists"
        )
    digest = hashlib.md5(
        json.dumps([spec, definitions], sort_keys=True).encode(), usedforsecurity=False
    ).hexdigest()
    row = StoredPolicy(
        id=str(uuid.uuid4()),
        tenant=principal.tenant,
        api_id=api_id,
        name=name,
        version=version,
        spec={**spec, "implementation": implementation or name},
        definitions=definitions,
        md5=digest,
        created_by=principal.username,
        created_at=utcnow(),
        description=spec["description"],
    )
    await PolicyRepository(session).add(row)
    return _known(row)


def _attachments(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """Every (policyName, policyVersion) an API's stored DTO attaches."""
    names: list[tuple[str, str]] = []
    holders = [spec.get("apiPolicies") or {}] + [
        o.get("operationPolicies") or {} for o in spec.get("operations") or []
    ]
    for holder in holders:
        for flow in FLOWS:
            for item in holder.get(flow) or []:
                names.append((str(item.get("policyName")), str(item.get("policyVersion") or "v1")))
    return names


async def remove(session: AsyncSession, tenant: str, policy: KnownPolicy, users: list[Any]) -> None:
    """``users`` are the APIs that could attach the policy; one that does keeps it alive."""
    if policy.builtin:
        raise Forbidden("Built-in policies cannot be deleted", message="Cannot delete a built-in policy")
    key = (policy.spec["name"], policy.spec["version"])
    using = [a.name for a in users if key in _attachments(a.spec)]
    if using:
        raise Conflict(
            f"Policy '{key[0]}' {key[1]} is attached by {', '.join(sorted(using))}; detach it first",
            message="Operation policy in use",
        )
    row = await PolicyRepository(session).get(policy.id)
    if row is not None and row.tenant == tenant:
        await PolicyRepository(session).delete(row)


def archive(policy: KnownPolicy) -> bytes:
    """The policy as WSO2 downloads it: a zip of the spec (YAML) and its definition files."""
    buffer = io.BytesIO()
    base = f"{policy.spec['name']}_{policy.spec['version']}"
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive_file:
        spec: dict[str, Any] = dict(policy.spec)
        if not policy.builtin:
            spec["implementation"] = policy.implementation
        archive_file.writestr(f"{base}/{base}.yaml", yaml.safe_dump(spec, sort_keys=False))
        for name, text in sorted(policy.definitions.items()):
            archive_file.writestr(f"{base}/{name}", text)
    return buffer.getvalue()


def read_archive(content: bytes) -> tuple[dict[str, Any], dict[str, str]]:
    """The spec and definition files of a policy zip as ``archive`` writes (and WSO2 exports) it."""
    try:
        archive_file = BoundedZip(content, POLICY_ARCHIVE_LIMITS)
        files = {Path(n).name: archive_file.read(n) for n in archive_file.names()}
    except ArchiveRefused as exc:
        raise BadRequest(exc.description, message="Invalid policy archive") from exc
    specs = [n for n in files if n.endswith((".yaml", ".yml", ".json"))]
    if len(specs) != 1:
        raise BadRequest("A policy archive holds exactly one spec file (.yaml, .yml or .json)")
    definitions = {n: files[n].decode("utf-8", "replace") for n in files if n.endswith(DEFINITION_SUFFIXES)}
    return parse_spec_file(files[specs[0]]), definitions


async def _check_flows(
    session: AsyncSession,
    tenant: str,
    api_id: str | None,
    policies: OperationPolicies,
    where: str,
    errors: list[ErrorListItem],
    installed: dict[str, list[str]],
    api_type: str | None = None,
) -> None:
    """``installed``: the policy implementations the gateway environments reported; ``api_type``:
    the type of the API the policies are attached to, which the spec's supportedApiTypes must list
    (None where the policies apply to every API, as a gateway policy mapping does)."""
    for flow in FLOWS:
        attached: list[OperationPolicy] = getattr(policies, flow)
        for item in attached:
            label = f"{where} {flow} policy {item.policyName} {item.policyVersion}"
            known = await find(session, tenant, api_id, item.policyName, item.policyVersion)
            if known is None:
                errors.append(
                    ErrorListItem(code="400", message=item.policyName, description=f"{label}: unknown")
                )
                continue
            item.policyId = known.id
            if not known.builtin and known.implementation not in installed:
                errors.append(
                    ErrorListItem(
                        code="400",
                        message=item.policyName,
                        description=f"{label}: its implementation '{known.implementation}' is not "
                        "installed in any gateway environment",
                    )
                )
                continue
            supported = known.spec.get("supportedApiTypes") or []
            if api_type is not None and api_type not in supported:
                errors.append(
                    ErrorListItem(
                        code="400",
                        message="supportedApiTypes",
                        description=f"{label}: the policy supports {', '.join(supported) or 'no'} APIs, "
                        f"not {api_type} APIs (its supportedApiTypes)",
                    )
                )
                continue
            count = sum(1 for other in attached if other.policyName == item.policyName)
            problems = check_flow(known.spec, flow, count) + validate_parameters(known.spec, item.parameters)
            for problem in dict.fromkeys(problems):
                errors.append(
                    ErrorListItem(
                        code="400", message=problem.split(":")[0], description=f"{label}: {problem}"
                    )
                )


def _refuse(errors: list[ErrorListItem]) -> None:
    if errors:
        raise BadRequest(
            "; ".join(e.description for e in errors),
            message="Invalid operation policy",
            code=902005,
            errors=errors,
        )


async def check_attachments(
    session: AsyncSession,
    tenant: str,
    api_id: str | None,
    api_policies: OperationPolicies,
    operations: list[Operation],
    api_type: str,
) -> None:
    """Refuse (400, naming policy and attribute) any attachment its spec does not allow."""
    errors: list[ErrorListItem] = []
    installed = await environments.implementations_anywhere(session)
    await _check_flows(session, tenant, api_id, api_policies, "API", errors, installed, api_type)
    for operation in operations:
        where = f"{operation.verb} {operation.target}"
        flows = operation.operationPolicies
        await _check_flows(session, tenant, api_id, flows, where, errors, installed, api_type)
    _refuse(errors)


async def check_member_implementations(session: AsyncSession, tenant: str, members: Iterable[API]) -> None:
    """A product runs its member APIs' policies: refuse (400) one whose implementation no gateway
    environment reports having any more."""
    installed = await environments.implementations_anywhere(session)
    errors: list[ErrorListItem] = []
    for api in members:
        for name, version in dict.fromkeys(_attachments(api.spec)):
            known = await find(session, tenant, api.id, name, version)
            if known is None or known.builtin or known.implementation in installed:
                continue
            errors.append(
                ErrorListItem(
                    code="400",
                    message=name,
                    description=f"member API {api.name} {api.version}: policy {name} {version}: its "
                    f"implementation '{known.implementation}' is not installed in any gateway environment",
                )
            )
    _refuse(errors)


async def check_mapping(session: AsyncSession, tenant: str, mapping: OperationPolicies) -> None:
    errors: list[ErrorListItem] = []
    installed = await environments.implementations_anywhere(session)
    await _check_flows(session, tenant, None, mapping, "Gateway", errors, installed)
    _refuse(errors)


async def resolve_flows(
    session: AsyncSession, tenant: str, api_id: str | None, raw: Any
) -> dict[str, list[dict[str, Any]]]:
    """Ordered attachments with typed parameters, defaults filled in, as the gateway compiles them."""
    raw = raw if isinstance(raw, dict) else {}
    resolved: dict[str, list[dict[str, Any]]] = {}
    for flow in FLOWS:
        items: list[dict[str, Any]] = []
        for item in raw.get(flow) or []:
            name, version = str(item.get("policyName")), str(item.get("policyVersion") or "v1")
            known = await find(session, tenant, api_id, name, version)
            parameters = dict(item.get("parameters") or {})
            entry: dict[str, Any] = {"policyName": name, "policyVersion": version, "parameters": parameters}
            if known is not None:
                entry["policyId"] = known.id
                entry["parameters"] = resolve_parameters(known.spec, parameters)
                if not known.builtin:
                    entry["policyType"] = "custom"
                    entry["implementation"] = known.implementation
                    entry["definitions"] = known.definitions
            items.append(entry)
        resolved[flow] = items
    return resolved


async def resolve_api(
    session: AsyncSession, tenant: str, api_id: str, spec: dict[str, Any]
) -> dict[str, Any]:
    """An API's policies as it runs: API-level ones, when there are any, replace the operations' (4.3)."""
    api_level = await resolve_flows(session, tenant, api_id, spec.get("apiPolicies"))
    api_level_wins = any(api_level.values())
    operations: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for operation in spec.get("operations") or []:
        key = f"{operation.get('verb')} {operation.get('target')}"
        operations[key] = (
            {flow: [] for flow in FLOWS}
            if api_level_wins
            else await resolve_flows(session, tenant, api_id, operation.get("operationPolicies"))
        )
    return {"apiPolicies": api_level, "operations": operations}


async def clone_for(session: AsyncSession, principal: Principal, source_api_id: str, api_id: str) -> None:
    """A new version of an API takes its own copies of the source's API-specific policies."""
    for row in await PolicyRepository(session).of_api(source_api_id):
        await PolicyRepository(session).add(
            StoredPolicy(
                id=str(uuid.uuid4()),
                tenant=row.tenant,
                api_id=api_id,
                name=row.name,
                version=row.version,
                spec=dict(row.spec),
                definitions=dict(row.definitions),
                md5=row.md5,
                created_by=principal.username,
                created_at=utcnow(),
                description=row.description,
            )
        )


def _custom_attachments(node: Any, found: dict[str, set[str]]) -> None:
    """Every added policy a revision snapshot attaches (an API's or a product's members'), by the
    implementation it needs."""
    if isinstance(node, dict):
        if node.get("policyType") == "custom" and node.get("policyName"):
            implementation = str(node.get("implementation") or node["policyName"])
            found.setdefault(implementation, set()).add(str(node["policyName"]))
        for value in node.values():
            _custom_attachments(value, found)
    elif isinstance(node, list):
        for value in node:
            _custom_attachments(value, found)


async def check_deployable(session: AsyncSession, environment: str, snapshot: dict[str, Any]) -> None:
    """Refuse (400) a revision attaching a policy whose implementation the environment's gateways
    did not report."""
    needed: dict[str, set[str]] = {}
    _custom_attachments(snapshot, needed)
    if not needed:
        return
    installed = await environments.implementations_of(session, environment)
    errors = [
        ErrorListItem(
            code="400",
            message=policy,
            description=f"policy {policy}: its implementation '{implementation}' is not installed "
            f"in the gateways of environment '{environment}'",
        )
        for implementation, names in sorted(needed.items())
        if implementation not in installed
        for policy in sorted(names)
    ]
    if errors:
        raise BadRequest(
            "; ".join(e.description for e in errors),
            message="Policy implementation not installed",
            errors=errors,
        )
