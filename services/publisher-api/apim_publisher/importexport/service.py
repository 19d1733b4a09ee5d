"""API and API product projects in apictl's layout, written on export and read back on import.

A project is one folder (zipped)::

    PizzaShack-1.0.0/
      api.yaml                      {type: api, version: v4.3.0, data: <the API DTO>}
      Definitions/swagger.yaml      the OpenAPI definition (asyncapi.yaml for a streaming API,
                                    schema.graphql for a GraphQL API, byte for byte)
      Definitions/graphql-complexity.yaml  a GraphQL API's complexity values, when it has any
      Docs/<name>/document.yaml     {type: document, ...} and the content (inline text or the file)
      Policies/<name>_<version>.yaml  the policies the API attaches (API level and per operation)
      Sequences/soap_to_rest.yaml   a SOAPTOREST API's mappings, one per resource (where WSO2
                                    keeps its generated sequences)
      deployment_environments.yaml  {type: deployment_environments, data: [{deploymentEnvironment, ...}]}

Import creates the API (or, with ``overwrite``, updates it), brings its documents in line, and
when the project names deployment environments creates a revision and deploys it there; the
lifecycle then walks to the state the project records.

An API product's project has ``api_product.yaml`` ({type: api_product, data: <the APIProduct DTO>})
in place of ``api.yaml`` and no policies; its import does the same, and finds each member API by
the name and version the project gives it, since the ids are those of the exporting environment.
"""

from __future__ import annotations

import io
import json
import posixpath
import re
import zipfile
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import yaml  # type: ignore[import-untyped]
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.archives import ArchiveLimits, ArchiveRefused, BoundedZip, MiB
from apim_common.errors import BadRequest, Conflict, ErrorListItem, NotFound
from apim_common.sealed import SecretBox
from apim_common.security import Principal
from apim_publisher import scopes
from apim_publisher.apis import access, views
from apim_publisher.apis import service as apis
from apim_publisher.apis.models import API
from apim_publisher.apis.repository import APIRepository
from apim_publisher.apis.schemas import APIBody
from apim_publisher.asyncapi import service as asyncapi
from apim_publisher.definitions import parsing
from apim_publisher.definitions import service as definitions
from apim_publisher.definitions.parsing import ParseError
from apim_publisher.documents import service as documents
from apim_publisher.documents.models import Document
from apim_publisher.documents.repository import DocumentRepository
from apim_publisher.documents.schemas import DocumentBody
from apim_publisher.graphql import service as graphql
from apim_publisher.graphql.schemas import GraphQLQueryComplexityInfo
from apim_publisher.lifecycle import service as lifecycle
from apim_publisher.products import service as products
from apim_publisher.products import views as product_views
from apim_publisher.products.schemas import APIProductBody
from apim_publisher.revisions import service as revisions
from apim_publisher.revisions.repository import DeploymentRepository, RevisionRepository
from apim_publisher.revisions.schemas import DeploymentTarget
from apim_publisher.soaptorest.schemas import SoapMapping

PROJECT_VERSION = "v4.3.0"
MAX_ARCHIVE_BYTES = 50 * 1024 * 1024
MAX_MEMBERS = 2000
# Uncompressed: a document file may be 20 MiB (as an upload may), a project 100 MiB in all.
PROJECT_LIMITS = ArchiveLimits(max_members=MAX_MEMBERS, max_member_bytes=20 * MiB, max_total_bytes=100 * MiB)
# Read-only fields of the API DTO (what a revision computes, plus the provider and the lifecycle
# state); a project may carry them, an import ignores them.
COMPUTED_FIELDS = apis.COMPUTED_FIELDS | {"provider", "lifeCycleStatus"}
PRODUCT_COMPUTED_FIELDS = COMPUTED_FIELDS | {"state", "apiType", "type", "gatewayVendor"}
DOCUMENT_COMPUTED = {"documentId", "createdTime", "createdBy", "lastUpdatedTime", "lastUpdatedBy"}
GRAPHQL_SCHEMA_FILE = "Definitions/schema.graphql"
COMPLEXITY_ENVELOPE = "graphql_complexity"
SOAP_TO_REST_FILE = "Sequences/soap_to_rest"
SOAP_TO_REST_ENVELOPE = "soap_to_rest_mappings"


def _safe(name: str) -> str:
    """A file-system friendly form of a name (apictl drops what a path may not hold)."""
    return re.sub(r"[^A-Za-z0-9._-]", "", name.replace(" ", "")) or "item"


def _dump(data: Any, ext: str) -> str:
    if ext == "yaml":
        return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return json.dumps(data, indent=2)


def _envelope(type_: str, data: Any) -> dict[str, Any]:
    return {"type": type_, "version": PROJECT_VERSION, "data": data}


def referenced_policies(api_data: dict[str, Any]) -> list[tuple[str, str]]:
    """Every (policyName, policyVersion) the API attaches, API level first, in order of first use."""
    flows: list[dict[str, Any]] = [api_data.get("apiPolicies") or {}]
    flows += [op.get("operationPolicies") or {} for op in api_data.get("operations") or []]
    seen: dict[tuple[str, str], None] = {}
    for policies in flows:
        for flow in ("request", "response", "fault"):
            for attachment in policies.get(flow) or []:
                seen.setdefault((str(attachment["policyName"]), str(attachment.get("policyVersion") or "v1")))
    return list(seen)


def _policy_flows(api_data: dict[str, Any], name: str, version: str) -> list[str]:
    flows: list[dict[str, Any]] = [api_data.get("apiPolicies") or {}]
    flows += [op.get("operationPolicies") or {} for op in api_data.get("operations") or []]
    used = {
        flow
        for policies in flows
        for flow in ("request", "response", "fault")
        for a in policies.get(flow) or []
        if a["policyName"] == name and (a.get("policyVersion") or "v1") == version
    }
    return [f for f in ("request", "response", "fault") if f in used]


async def _deployments(session: AsyncSession, api: API) -> list[dict[str, Any]]:
    return [
        {
            "deploymentEnvironment": d.environment,
            "deploymentVhost": d.vhost,
            "displayOnDevportal": d.display_on_devportal,
        }
        for d in await DeploymentRepository(session).approved_for_api(api.id)
    ]


async def _write_documents(
    session: AsyncSession, api: API, archive: zipfile.ZipFile, root: str, ext: str
) -> None:
    for document in await DocumentRepository(session).of_api(api.id):
        folder = f"{root}/Docs/{_safe(document.name)}"
        meta = documents.public(document).model_dump(mode="json", exclude_none=True)
        if document.source_type in ("INLINE", "MARKDOWN") and document.inline_content is not None:
            archive.writestr(f"{folder}/{_safe(document.name)}", document.inline_content)
        if document.source_type == "FILE" and document.file_content is not None:
            archive.writestr(f"{folder}/{_safe(document.file_name or 'document')}", document.file_content)
        archive.writestr(f"{folder}/document.{ext}", _dump(_envelope("document", meta), ext))


async def _project_zip(
    session: AsyncSession,
    item: API,
    fmt: str,
    kind: str,
    data: Any,
    policies: list[tuple[str, dict[str, Any]]] | None = None,
) -> bytes:
    """An apictl project zip: the ``kind`` descriptor holding ``data``, the definition, documents,
    the given policy specs (file name, spec) and deployments."""
    ext = "yaml" if fmt.upper() == "YAML" else "json"
    root = f"{_safe(item.name)}-{item.version}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{root}/{kind}.{ext}", _dump(_envelope(kind, data), ext))
        if isinstance(item.spec.get("asyncapi"), dict):
            archive.writestr(f"{root}/Definitions/asyncapi.{ext}", _dump(item.spec["asyncapi"], ext))
        elif isinstance(item.spec.get("graphQLSchema"), str):
            archive.writestr(f"{root}/{GRAPHQL_SCHEMA_FILE}", item.spec["graphQLSchema"].encode())
            complexity = item.spec.get("graphQLComplexity")
            if isinstance(complexity, dict) and complexity.get("list"):
                archive.writestr(
                    f"{root}/Definitions/graphql-complexity.{ext}",
                    _dump(_envelope(COMPLEXITY_ENVELOPE, complexity), ext),
                )
        else:
            archive.writestr(f"{root}/Definitions/swagger.{ext}", _dump(item.definition or {}, ext))
        mappings = item.spec.get(apis.SOAP_TO_REST_FIELD)
        if mappings:
            archive.writestr(
                f"{root}/{SOAP_TO_REST_FILE}.{ext}",
                _dump(_envelope(SOAP_TO_REST_ENVELOPE, {"list": mappings}), ext),
            )
        await _write_documents(session, item, archive, root, ext)
        for name, spec in policies or []:
            archive.writestr(
                f"{root}/Policies/{name}.{ext}", _dump(_envelope("operation_policy_specification", spec), ext)
            )
        archive.writestr(
            f"{root}/deployment_environments.{ext}",
            _dump(_envelope("deployment_environments", await _deployments(session, item)), ext),
        )
    return buffer.getvalue()


async def export_archive(session: AsyncSession, api: API, fmt: str) -> bytes:
    """The API as an apictl project zip: descriptor, definition, documents, policies, deployments."""
    data = views.public(api).model_dump(mode="json")
    policies = [
        (
            f"{_safe(name)}_{_safe(version)}",
            {"name": name, "version": version, "applicableFlows": _policy_flows(data, name, version)},
        )
        for name, version in referenced_policies(data)
    ]
    return await _project_zip(session, api, fmt, "api", data, policies)


async def export_product_archive(session: AsyncSession, product: API, fmt: str) -> bytes:
    """The API product as an apictl project zip: descriptor (member APIs by name and version as well
    as id), definition, documents, deployments, and under ``APIs/`` each member API's own project,
    which an import with ``importAPIs`` brings in first."""
    base = await _project_zip(session, product, fmt, "api_product", product_views.public(product))
    root = f"{_safe(product.name)}-{product.version}"
    buffer = io.BytesIO(base)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        for api_id in dict.fromkeys(str(m.get("apiId")) for m in product.spec.get("apis") or []):
            member = await APIRepository(session).get(api_id)
            if member is None or member.tenant != product.tenant:
                continue
            with zipfile.ZipFile(io.BytesIO(await export_archive(session, member, fmt))) as project:
                for name in project.namelist():
                    archive.writestr(f"{root}/{API_PROJECTS}/{name}", project.read(name))
    return buffer.getvalue()


@dataclass
class ProjectDocument:
    body: DocumentBody
    content: bytes | None = None
    file_name: str | None = None


@dataclass
class Project:
    """What an import needs from an archive, read and checked before anything is written."""

    api: dict[str, Any]
    definition: dict[str, Any] | None
    documents: list[ProjectDocument] = field(default_factory=list)
    asyncapi: dict[str, Any] | None = None
    graphql: graphql.Schema | None = None
    complexity: GraphQLQueryComplexityInfo | None = None
    environments: list[DeploymentTarget] = field(default_factory=list)
    soap_to_rest: list[dict[str, Any]] | None = None


def _invalid(problem: str) -> BadRequest:
    return BadRequest(
        problem,
        message="Invalid API project",
        errors=[ErrorListItem(code="900756", message="Invalid API project", description=problem)],
    )


def _parse(raw: bytes, where: str) -> Any:
    """A project file, without YAML aliases and with bounded nesting."""
    try:
        return parsing.load(raw.decode("utf-8-sig"), as_json=where.endswith(".json"))
    except UnicodeDecodeError as exc:
        raise _invalid(f"{where} is not UTF-8 text") from exc
    except ParseError as exc:
        raise _invalid(f"{where}: {exc}") from exc


def _unwrap(document: Any, type_: str, where: str) -> Any:
    """The ``data`` of an apictl envelope; a bare document is accepted as its data."""
    if isinstance(document, dict) and "data" in document and "type" in document:
        if document["type"] != type_:
            raise _invalid(f"{where} has type '{document['type']}', expected '{type_}'")
        return document["data"]
    return document


@dataclass
class _Archive:
    """An opened project zip: its files by path relative to the descriptor's folder."""

    zipped: BoundedZip
    files: dict[str, str]
    descriptor: str

    def read(self, relative: str) -> bytes:
        try:
            return self.zipped.read(self.files[relative])
        except ArchiveRefused as exc:
            raise _invalid(exc.description) from exc

    def first(self, *candidates: str) -> str | None:
        return next((c for c in candidates if c in self.files), None)

    def data(self, type_: str) -> dict[str, Any]:
        data = _unwrap(_parse(self.read(self.descriptor), self.descriptor), type_, self.descriptor)
        if not isinstance(data, dict):
            what = "API product" if type_ == "api_product" else "API"
            raise _invalid(f"{self.descriptor} must hold the {what}'s fields")
        return data

    def environments(self) -> list[DeploymentTarget]:
        found = self.first(
            "deployment_environments.yaml", "deployment_environments.yml", "deployment_environments.json"
        )
        if found is None:
            return []
        targets = []
        for item in _unwrap(_parse(self.read(found), found), "deployment_environments", found) or []:
            if not isinstance(item, dict) or not item.get("deploymentEnvironment"):
                raise _invalid(f"{found}: every entry needs a deploymentEnvironment")
            targets.append(
                DeploymentTarget(
                    name=str(item["deploymentEnvironment"]),
                    vhost=item.get("deploymentVhost"),
                    displayOnDevportal=bool(item.get("displayOnDevportal", True)),
                )
            )
        return targets


def _open(archive: bytes, descriptor: str) -> _Archive:
    """The project zip whose descriptor (``api`` or ``api_product``, YAML or JSON) is nearest the top."""
    if len(archive) > MAX_ARCHIVE_BYTES:
        raise _invalid("The project archive is larger than 50 MiB")
    try:
        zipped = BoundedZip(archive, PROJECT_LIMITS)
    except ArchiveRefused as exc:
        raise _invalid(exc.description) from exc
    names = zipped.names()
    accepted = {f"{descriptor}.{ext}" for ext in ("yaml", "yml", "json")}
    descriptors = sorted((n for n in names if posixpath.basename(n) in accepted), key=lambda n: n.count("/"))
    if not descriptors:
        raise _invalid(f"The project has no {descriptor}.yaml (or {descriptor}.json)")
    root = posixpath.dirname(descriptors[0])
    prefix = f"{root}/" if root else ""
    files = {n[len(prefix) :]: n for n in names if n.startswith(prefix)}
    return _Archive(zipped, files, posixpath.basename(descriptors[0]))


async def read_project(archive: bytes) -> Project:
    opened = _open(archive, "api")
    definition: dict[str, Any] | None = None
    swagger = opened.first("Definitions/swagger.yaml", "Definitions/swagger.yml", "Definitions/swagger.json")
    if swagger is not None:
        definition, errors = await definitions.parse_and_validate(opened.read(swagger))
        if errors or definition is None:
            raise _invalid(f"{swagger}: {'; '.join(errors)}")
    project = Project(api=opened.data("api"), definition=definition)
    found = opened.first("Definitions/asyncapi.yaml", "Definitions/asyncapi.yml", "Definitions/asyncapi.json")
    if found is not None:
        document, errors = await asyncapi.check(opened.read(found))
        if errors or document is None:
            raise _invalid(f"{found}: {'; '.join(errors or ['the definition is empty'])}")
        project.asyncapi = document
    if GRAPHQL_SCHEMA_FILE in opened.files:
        schema, errors = await graphql.check(opened.read(GRAPHQL_SCHEMA_FILE))
        if schema is None:
            raise _invalid(f"{GRAPHQL_SCHEMA_FILE}: {'; '.join(errors)}")
        project.graphql = schema
    project.complexity = _complexity(opened)
    project.soap_to_rest = _soap_to_rest(opened)
    project.documents = _read_documents(opened.files, opened.read)
    project.environments = opened.environments()
    return project


def _complexity(opened: _Archive) -> GraphQLQueryComplexityInfo | None:
    found = opened.first(
        "Definitions/graphql-complexity.yaml",
        "Definitions/graphql-complexity.yml",
        "Definitions/graphql-complexity.json",
    )
    if found is None:
        return None
    data = _unwrap(_parse(opened.read(found), found), COMPLEXITY_ENVELOPE, found)
    try:
        return GraphQLQueryComplexityInfo.model_validate(data)
    except ValidationError as exc:
        raise _invalid(f"{found}: {_first_error(exc)}") from exc


def _soap_to_rest(opened: _Archive) -> list[dict[str, Any]] | None:
    """A SOAPTOREST API's mappings, each checked as the resource-policy edit checks it."""
    found = opened.first(*(f"{SOAP_TO_REST_FILE}.{ext}" for ext in ("yaml", "yml", "json")))
    if found is None:
        return None
    data = _unwrap(_parse(opened.read(found), found), SOAP_TO_REST_ENVELOPE, found)
    items = data.get("list") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise _invalid(f"{found} must hold the mappings as a list")
    try:
        return [SoapMapping.model_validate(item).model_dump(mode="json") for item in items]
    except ValidationError as exc:
        raise _invalid(f"{found}: {_first_error(exc)}") from None


def _read_documents(files: dict[str, str], read: Any) -> list[ProjectDocument]:
    found: list[ProjectDocument] = []
    metas = sorted(
        n for n in files if n.startswith("Docs/") and posixpath.basename(n).startswith("document.")
    )
    for meta in metas:
        folder = posixpath.dirname(meta)
        data = _unwrap(_parse(read(meta), meta), "document", meta)
        if not isinstance(data, dict):
            raise _invalid(f"{meta} must hold the document's fields")
        try:
            body = DocumentBody.model_validate({k: v for k, v in data.items() if k not in DOCUMENT_COMPUTED})
        except ValidationError as exc:
            raise _invalid(f"{meta}: {_first_error(exc)}") from exc
        item = ProjectDocument(body=body)
        if body.sourceType in ("INLINE", "MARKDOWN") and body.inlineContent is None:
            content = f"{folder}/{_safe(body.name)}"
            if content in files:
                body.inlineContent = read(content).decode("utf-8")
        elif body.sourceType == "FILE":
            file_name = _safe(str(data.get("fileName") or "document"))
            if f"{folder}/{file_name}" in files:
                item.file_name = str(data.get("fileName") or file_name)
                item.content = read(f"{folder}/{file_name}")
        found.append(item)
    return found


def _first_error(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors())


# What an API shows in the developer portal rather than how the gateway serves it: an overwrite
# with preservePortalConfigurations keeps the API's own values of these (WSO2 4.3's flag, used when
# a gateway pushes the API it serves to the control plane where the portal side is edited).
PORTAL_FIELDS = (
    "description",
    "tags",
    "categories",
    "visibility",
    "visibleRoles",
    "businessInformation",
    "additionalProperties",
    "subscriptionAvailability",
    "subscriptionAvailableTenants",
)


def _with_portal_configurations(body: APIBody, existing: API) -> APIBody:
    """The project's body with the existing API's portal configurations in place of its own."""
    kept = views.public(existing).model_dump(mode="json", include=set(PORTAL_FIELDS))
    return APIBody.model_validate({**body.model_dump(), **kept})


def _body_of(project: Project) -> APIBody:
    fields = {k: v for k, v in project.api.items() if k not in COMPUTED_FIELDS}
    try:
        return APIBody.model_validate(fields)
    except ValidationError as exc:
        raise _invalid(f"api.yaml: {_first_error(exc)}") from exc


def _graphql_operations(body: APIBody, schema: graphql.Schema) -> None:
    """A GraphQL project's operations: one per root field of its schema, with the settings
    ``api.yaml`` gives them (an operation naming no root field is refused)."""
    if body.type != "GRAPHQL":
        raise _invalid(f"{GRAPHQL_SCHEMA_FILE} belongs to a GRAPHQL API, and api.yaml says {body.type}")
    try:
        apis.check_graphql_operations(body, schema.text)
    except BadRequest as exc:
        raise _invalid(f"api.yaml: {exc.description}") from exc
    body.operations = graphql.operations(schema, body.operations)


def lifecycle_path(current: str, target: str) -> list[str]:
    """The shortest list of lifecycle actions from one state to another (empty if none is needed)."""
    queue: deque[tuple[str, list[str]]] = deque([(current, [])])
    seen = {current}
    while queue:
        state, path = queue.popleft()
        if state == target:
            return path
        for action, following in lifecycle.TRANSITIONS[state].items():
            if following not in seen:
                seen.add(following)
                queue.append((following, [*path, action]))
    raise _invalid(f"The API cannot move from {current} to {target}")


async def _sync_documents(
    session: AsyncSession, principal: Principal, api: API, wanted: list[ProjectDocument]
) -> None:
    repository = DocumentRepository(session)
    existing: dict[str, Document] = {d.name: d for d in await repository.of_api(api.id)}
    names = {item.body.name for item in wanted}
    for name, document in existing.items():
        if name not in names:
            await documents.delete(session, api, document)
    for item in wanted:
        current = existing.get(item.body.name)
        if current is None:
            current = await documents.create(session, principal, api, item.body)
        else:
            current = await documents.update(session, principal, api, current, item.body)
        if item.content is not None:
            upload = (item.file_name or "document", item.content, "application/octet-stream")
            await documents.set_content(session, principal, api, current, inline=None, file=upload)


async def _revise_and_deploy(
    session: AsyncSession, principal: Principal, api: API, targets: list[DeploymentTarget], rotate: bool
) -> str | None:
    if not targets:
        return None
    repository = RevisionRepository(session)
    if rotate and await repository.count(api.id) >= revisions.MAX_REVISIONS:
        # WSO2's rotateRevision: the earliest revision makes room, undeployed first if it must be.
        oldest = min(await repository.of_api(api.id), key=lambda r: r.number)
        await revisions.undeploy(session, api, oldest, [], all_environments=True)
        for pending in await DeploymentRepository(session).of_revision(oldest.id):
            await DeploymentRepository(session).delete(pending)
        await revisions.delete(session, api, oldest)
    revision = await revisions.create(session, principal, api, "Imported")
    await revisions.deploy(session, principal, api, revision, targets)
    return str(revision.number)


async def _walk_lifecycle(session: AsyncSession, principal: Principal, api: API, target: str) -> None:
    """The lifecycle actions from the API's state to the one a project records, if it names one."""
    target = target.upper()
    if target in lifecycle.TRANSITIONS and target != api.lifecycle_status:
        for action in lifecycle_path(api.lifecycle_status, target):
            status, _ = await lifecycle.change(session, principal, api, action, None)
            if status == 202:  # an approval holds the walk; the approver finishes it
                break


async def import_project(
    session: AsyncSession,
    principal: Principal,
    archive: bytes,
    *,
    overwrite: bool,
    rotate_revision: bool,
    preserve_provider: bool = True,
    user_exists: UserCheck | None = None,
    preserve_portal_configurations: bool = False,
    secrets: SecretBox | None = None,
) -> tuple[API, str | None]:
    """Create or (with ``overwrite``) update the API a project describes; the API and its new revision.
    ``preserve_provider`` keeps the project's provider, a user of the importer's tenant, else the
    importer becomes the provider; ``preserve_portal_configurations`` keeps an overwritten API's
    portal configurations (``PORTAL_FIELDS`` and its documents) instead of the project's."""
    if preserve_portal_configurations and not overwrite:
        raise BadRequest(
            "preservePortalConfigurations keeps the portal configurations of the API an import "
            "overwrites; it applies only with overwrite=true",
            message="Invalid import options",
        )
    project = await read_project(archive)
    body = _body_of(project)
    # The import scope stands for every publisher right over the API it brings in.
    principal = principal.model_copy(update={"scopes": principal.scopes | {scopes.API_MANAGE}})
    matches = [a for a in await APIRepository(session).with_name(principal.tenant, body.name)]
    existing = next((a for a in matches if a.version == body.version), None)
    if existing is not None and not access.allows(principal, existing):
        # An API the importer cannot see is not found, before anything else is asked about it.
        raise apis.not_found(existing.id)
    if existing is not None and not overwrite:
        raise Conflict(
            f"The API '{body.name}' version '{body.version}' already exists; import with overwrite=true",
            message="API already exists",
            code=apis.NAME_EXISTS,
        )
    # Checked before anything is written, so a provider that is not a user leaves nothing behind.
    provider = await _provider(principal, project.api.get("provider"), preserve_provider, user_exists)
    keep_portal = existing is not None and preserve_portal_configurations
    if keep_portal and existing is not None:
        body = _with_portal_configurations(body, existing)
    if project.graphql is not None:
        _graphql_operations(body, project.graphql)
    elif project.complexity is not None:
        raise _invalid("Complexity values need the GraphQL schema, Definitions/schema.graphql")
    if (body.type == "SOAPTOREST") != (project.soap_to_rest is not None):
        raise _invalid(f"A SOAPTOREST API, and only one, carries its mappings in {SOAP_TO_REST_FILE}.yaml")
    if existing is None:
        api = await apis.create(
            session,
            principal,
            body,
            definition=project.definition,
            secrets=secrets,
            graphql_schema=project.graphql.text if project.graphql is not None else None,
            soap_to_rest=project.soap_to_rest,
        )
    else:
        api = existing
        if body.context != api.context:
            raise _invalid(
                f"The project's context '{body.context}' differs from the API's '{api.context}'; "
                "a context cannot change"
            )
        if project.definition is not None:
            api = await apis.set_definition(session, principal, api, project.definition)
        if project.graphql is not None:
            api = await graphql.set_schema(session, principal, api, project.graphql)
        if project.soap_to_rest is not None:
            api.spec = {**api.spec, apis.SOAP_TO_REST_FIELD: project.soap_to_rest}
        api = await apis.update(session, principal, api, body, secrets=secrets)
    if project.asyncapi is not None:
        # The topics follow the definition, keeping the settings api.yaml gives them.
        api = await asyncapi.set_definition(session, principal, api, project.asyncapi)
    if project.graphql is not None and (project.complexity or api.spec.get("graphQLComplexity")):
        complexity = project.complexity or GraphQLQueryComplexityInfo()
        api = await graphql.set_complexity(session, principal, api, complexity)
    if api.provider != provider:
        await apis.change_provider(session, api, provider)
    if not keep_portal:
        await _sync_documents(session, principal, api, project.documents)
    revision = await _revise_and_deploy(session, principal, api, project.environments, rotate_revision)
    await _walk_lifecycle(session, principal, api, str(project.api.get("lifeCycleStatus") or ""))
    return api, revision


# Where a product project carries its member APIs' own projects, one folder each (apictl's layout).
API_PROJECTS = "APIs"

# Does a user exist in a tenant: answers the name as the user signs in, or raises NotFound.
UserCheck = Callable[[str, str], Awaitable[str]]


def _member_projects(opened: _Archive) -> list[bytes]:
    """Each ``APIs/<folder>/`` of the product project as an API project zip of its own."""
    folders: dict[str, list[str]] = {}
    for name in opened.files:
        parts = name.split("/")
        if len(parts) > 2 and parts[0] == API_PROJECTS:
            folders.setdefault(parts[1], []).append(name)
    projects = []
    for folder, names in sorted(folders.items()):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in names:
                archive.writestr(f"{folder}/{name.split('/', 2)[2]}", opened.read(name))
        projects.append(buffer.getvalue())
    return projects


async def _provider(
    principal: Principal, archived: Any, preserve: bool, user_exists: UserCheck | None
) -> str:
    """The provider an imported API or product gets: the project's with ``preserveProvider`` (it must
    be a user of the importer's tenant), else the importer."""
    if not preserve or not isinstance(archived, str) or not archived or archived == principal.username:
        return principal.username
    if user_exists is None:
        return principal.username
    try:
        return await user_exists(archived, principal.tenant)
    except NotFound as exc:
        raise BadRequest(
            f"The provider '{archived}' is not a user of tenant {principal.tenant}; "
            "import with preserveProvider=false to become the provider",
            message="Invalid provider",
        ) from exc


async def _attribute(
    session: AsyncSession,
    principal: Principal,
    item: API,
    archived: Any,
    preserve: bool,
    user_exists: UserCheck | None,
) -> None:
    provider = await _provider(principal, archived, preserve, user_exists)
    if item.provider != provider:
        await apis.change_provider(session, item, provider)


async def _import_member_apis(
    session: AsyncSession,
    principal: Principal,
    opened: _Archive,
    *,
    overwrite: bool,
    preserve_provider: bool,
    user_exists: UserCheck | None,
    secrets: SecretBox | None,
) -> None:
    """importAPIs: each member API's project is imported before the product; one that exists is
    used as it is unless ``overwriteAPIs``."""
    for project in _member_projects(opened):
        data = _open(project, "api").data("api")
        name, version = str(data.get("name") or ""), str(data.get("version") or "")
        exists = any(
            a.version == version for a in await APIRepository(session).with_name(principal.tenant, name)
        )
        if exists and not overwrite:
            continue
        await import_project(
            session,
            principal,
            project,
            overwrite=overwrite,
            rotate_revision=True,
            preserve_provider=preserve_provider,
            user_exists=user_exists,
            secrets=secrets,
        )


async def _member_ids(session: AsyncSession, tenant: str, data: dict[str, Any]) -> None:
    """Each member API named by name and version gets this environment's id for it; the id a project
    carries is the one of the environment it was exported from."""
    repository = APIRepository(session)
    for member in data.get("apis") or []:
        if not isinstance(member, dict) or not member.get("name") or not member.get("version"):
            continue  # an id alone is checked like a created product's
        name, version = str(member["name"]), str(member["version"])
        found = next(
            (
                a
                for a in await repository.with_name(tenant, name)
                if a.version == version and not products.is_product(a)
            ),
            None,
        )
        if found is None:
            raise NotFound(
                f"The API product includes the API '{name}' version '{version}', which does not exist",
                message="API Not Found",
                code=900310,
            )
        member["apiId"] = found.id


async def import_product_project(
    session: AsyncSession,
    principal: Principal,
    archive: bytes,
    *,
    overwrite: bool,
    rotate_revision: bool,
    import_apis: bool = False,
    overwrite_apis: bool = False,
    preserve_provider: bool = True,
    user_exists: UserCheck | None = None,
    secrets: SecretBox | None = None,
) -> API:
    """Create or (with ``overwrite``) update the API product a project describes, as ``import_project``
    does an API: documents brought in line, a revision deployed where the project says, and the
    lifecycle walked to the state it records. With ``import_apis`` the member APIs' projects under
    ``APIs/`` come in first (``overwrite_apis`` updates those that exist); without it they must
    exist. ``preserve_provider`` keeps the project's provider, a user of the importer's tenant."""
    opened = _open(archive, "api_product")
    data = opened.data("api_product")
    if import_apis:
        await _import_member_apis(
            session,
            principal,
            opened,
            overwrite=overwrite_apis,
            preserve_provider=preserve_provider,
            user_exists=user_exists,
            secrets=secrets,
        )
    await _member_ids(session, principal.tenant, data)
    try:
        body = APIProductBody.model_validate(
            {k: v for k, v in data.items() if k not in PRODUCT_COMPUTED_FIELDS}
        )
    except ValidationError as exc:
        raise _invalid(f"{opened.descriptor}: {_first_error(exc)}") from exc
    wanted = _read_documents(opened.files, opened.read)
    environments = opened.environments()
    principal = principal.model_copy(update={"scopes": principal.scopes | {scopes.API_MANAGE}})
    existing = next(
        (
            p
            for p in await products.of_tenant(session, principal.tenant)
            if (p.name, p.version) == (body.name, body.version)
        ),
        None,
    )
    if existing is not None and not overwrite:
        raise Conflict(
            f"The API product '{body.name}' version '{body.version}' already exists; "
            "import with overwriteAPIProduct=true",
            message="API Product already exists",
            code=apis.NAME_EXISTS,
        )
    if existing is None:
        product = await products.create(session, principal, body)
    else:
        product = await products.update(session, principal, existing, body)
    await _attribute(session, principal, product, data.get("provider"), preserve_provider, user_exists)
    await _sync_documents(session, principal, product, wanted)
    await _revise_and_deploy(session, principal, product, environments, rotate_revision)
    await _walk_lifecycle(
        session, principal, product, str(data.get("lifeCycleStatus") or data.get("state") or "")
    )
    return product
