"""API projects in apictl's layout, written on export and read back on import.

A project is one folder (zipped)::

    PizzaShack-1.0.0/
      api.yaml                      {type: api, version: v4.3.0, data: <the API DTO>}
      Definitions/swagger.yaml      the OpenAPI definition
      Docs/<name>/document.yaml     {type: document, ...} and the content (inline text or the file)
      Policies/<name>_<version>.yaml  the policies the API attaches (API level and per operation)
      deployment_environments.yaml  {type: deployment_environments, data: [{deploymentEnvironment, ...}]}

Import creates the API (or, with ``overwrite``, updates it), brings its documents in line, and
when the project names deployment environments creates a revision and deploys it there; the
lifecycle then walks to the state the project records.
"""

from __future__ import annotations

import io
import json
import posixpath
import re
import zipfile
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import yaml  # type: ignore[import-untyped]
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import BadRequest, Conflict, ErrorListItem
from apim_common.security import Principal
from apim_publisher import scopes
from apim_publisher.apis import service as apis
from apim_publisher.apis.models import API
from apim_publisher.apis.repository import APIRepository
from apim_publisher.apis.schemas import APIBody
from apim_publisher.definitions import openapi
from apim_publisher.definitions.openapi import DefinitionError
from apim_publisher.documents import service as documents
from apim_publisher.documents.models import Document
from apim_publisher.documents.repository import DocumentRepository
from apim_publisher.documents.schemas import DocumentBody
from apim_publisher.lifecycle import service as lifecycle
from apim_publisher.revisions import service as revisions
from apim_publisher.revisions.repository import DeploymentRepository, RevisionRepository
from apim_publisher.revisions.schemas import DeploymentTarget

PROJECT_VERSION = "v4.3.0"
MAX_ARCHIVE_BYTES = 50 * 1024 * 1024
MAX_MEMBERS = 2000
# Read-only fields of the API DTO; a project may carry them, an import ignores them.
COMPUTED_FIELDS = {
    "id",
    "provider",
    "lifeCycleStatus",
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
DOCUMENT_COMPUTED = {"documentId", "createdTime", "createdBy", "lastUpdatedTime", "lastUpdatedBy"}


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


async def export_archive(session: AsyncSession, api: API, fmt: str) -> bytes:
    """The API as an apictl project zip: descriptor, definition, documents, policies, deployments."""
    ext = "yaml" if fmt.upper() == "YAML" else "json"
    root = f"{_safe(api.name)}-{api.version}"
    data = apis.public(api).model_dump(mode="json")
    deployments = [
        {
            "deploymentEnvironment": d.environment,
            "deploymentVhost": d.vhost,
            "displayOnDevportal": d.display_on_devportal,
        }
        for d in await DeploymentRepository(session).approved_for_api(api.id)
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{root}/api.{ext}", _dump(_envelope("api", data), ext))
        archive.writestr(f"{root}/Definitions/swagger.{ext}", _dump(api.definition or {}, ext))
        for document in await DocumentRepository(session).of_api(api.id):
            folder = f"{root}/Docs/{_safe(document.name)}"
            meta = documents.public(document).model_dump(mode="json", exclude_none=True)
            if document.source_type in ("INLINE", "MARKDOWN") and document.inline_content is not None:
                archive.writestr(f"{folder}/{_safe(document.name)}", document.inline_content)
            if document.source_type == "FILE" and document.file_content is not None:
                archive.writestr(f"{folder}/{_safe(document.file_name or 'document')}", document.file_content)
            archive.writestr(f"{folder}/document.{ext}", _dump(_envelope("document", meta), ext))
        for name, version in referenced_policies(data):
            spec = {"name": name, "version": version, "applicableFlows": _policy_flows(data, name, version)}
            archive.writestr(
                f"{root}/Policies/{_safe(name)}_{_safe(version)}.{ext}",
                _dump(_envelope("operation_policy_specification", spec), ext),
            )
        archive.writestr(
            f"{root}/deployment_environments.{ext}",
            _dump(_envelope("deployment_environments", deployments), ext),
        )
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
    environments: list[DeploymentTarget] = field(default_factory=list)


def _invalid(problem: str) -> BadRequest:
    return BadRequest(
        problem,
        message="Invalid API project",
        errors=[ErrorListItem(code="900756", message="Invalid API project", description=problem)],
    )


def _parse(raw: bytes, where: str) -> Any:
    try:
        text = raw.decode("utf-8-sig")
        return json.loads(text) if where.endswith(".json") else yaml.safe_load(text)
    except (UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        raise _invalid(
            f"{where} is not valid {'JSON' if where.endswith('.json') else 'YAML'}: {exc}"
        ) from exc


def _unwrap(document: Any, type_: str, where: str) -> Any:
    """The ``data`` of an apictl envelope; a bare document is accepted as its data."""
    if isinstance(document, dict) and "data" in document and "type" in document:
        if document["type"] != type_:
            raise _invalid(f"{where} has type '{document['type']}', expected '{type_}'")
        return document["data"]
    return document


def read_project(archive: bytes) -> Project:
    if len(archive) > MAX_ARCHIVE_BYTES:
        raise _invalid("The project archive is larger than 50 MiB")
    try:
        zipped = zipfile.ZipFile(io.BytesIO(archive))
        names = [n for n in zipped.namelist() if not n.endswith("/")]
    except zipfile.BadZipFile as exc:
        raise _invalid("The file is not a zip archive of an API project") from exc
    if len(names) > MAX_MEMBERS:
        raise _invalid(f"The project holds more than {MAX_MEMBERS} files")
    descriptors = sorted(
        (n for n in names if posixpath.basename(n) in ("api.yaml", "api.json", "api.yml")),
        key=lambda n: n.count("/"),
    )
    if not descriptors:
        raise _invalid("The project has no api.yaml (or api.json)")
    root = posixpath.dirname(descriptors[0])
    prefix = f"{root}/" if root else ""
    files = {n[len(prefix) :]: n for n in names if n.startswith(prefix)}

    def read(relative: str) -> bytes:
        return zipped.read(files[relative])

    def first(*candidates: str) -> str | None:
        return next((c for c in candidates if c in files), None)

    descriptor = posixpath.basename(descriptors[0])
    data = _unwrap(_parse(read(descriptor), descriptor), "api", descriptor)
    if not isinstance(data, dict):
        raise _invalid(f"{descriptor} must hold the API's fields")
    definition: dict[str, Any] | None = None
    swagger = first("Definitions/swagger.yaml", "Definitions/swagger.yml", "Definitions/swagger.json")
    if swagger is not None:
        try:
            definition = openapi.parse(read(swagger))
            openapi.validate(definition)
        except DefinitionError as exc:
            raise _invalid(f"{swagger}: {'; '.join(exc.errors)}") from exc
    project = Project(api=data, definition=definition)
    project.documents = _read_documents(files, read)
    environments = first(
        "deployment_environments.yaml", "deployment_environments.yml", "deployment_environments.json"
    )
    if environments is not None:
        listed = _unwrap(_parse(read(environments), environments), "deployment_environments", environments)
        for item in listed or []:
            if not isinstance(item, dict) or not item.get("deploymentEnvironment"):
                raise _invalid(f"{environments}: every entry needs a deploymentEnvironment")
            project.environments.append(
                DeploymentTarget(
                    name=str(item["deploymentEnvironment"]),
                    vhost=item.get("deploymentVhost"),
                    displayOnDevportal=bool(item.get("displayOnDevportal", True)),
                )
            )
    return project


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


def _body_of(project: Project) -> APIBody:
    fields = {k: v for k, v in project.api.items() if k not in COMPUTED_FIELDS}
    try:
        return APIBody.model_validate(fields)
    except ValidationError as exc:
        raise _invalid(f"api.yaml: {_first_error(exc)}") from exc


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


async def import_project(
    session: AsyncSession, principal: Principal, archive: bytes, *, overwrite: bool, rotate_revision: bool
) -> tuple[API, str | None]:
    """Create or (with ``overwrite``) update the API a project describes; the API and its new revision."""
    project = read_project(archive)
    body = _body_of(project)
    # The import scope stands for every publisher right over the API it brings in.
    principal = principal.model_copy(update={"scopes": principal.scopes | {scopes.API_MANAGE}})
    matches = [a for a in await APIRepository(session).with_name(principal.tenant, body.name)]
    existing = next((a for a in matches if a.version == body.version), None)
    if existing is not None and not overwrite:
        raise Conflict(
            f"The API '{body.name}' version '{body.version}' already exists; import with overwrite=true",
            message="API already exists",
            code=apis.NAME_EXISTS,
        )
    if existing is None:
        api = await apis.create(session, principal, body, definition=project.definition)
    else:
        api = existing
        if body.context != api.context:
            raise _invalid(
                f"The project's context '{body.context}' differs from the API's '{api.context}'; "
                "a context cannot change"
            )
        if project.definition is not None:
            api = await apis.set_definition(session, principal, api, project.definition)
        api = await apis.update(session, principal, api, body)
    await _sync_documents(session, principal, api, project.documents)
    revision = await _revise_and_deploy(session, principal, api, project.environments, rotate_revision)
    target = str(project.api.get("lifeCycleStatus") or "").upper()
    if target and target in lifecycle.TRANSITIONS and target != api.lifecycle_status:
        for action in lifecycle_path(api.lifecycle_status, target):
            status, _ = await lifecycle.change(session, principal, api, action, None)
            if status == 202:  # an approval holds the walk; the approver finishes it
                break
    return api, revision
