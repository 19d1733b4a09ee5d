"""Application export and import (``/applications/export``, ``/applications/import``) in apimctl's
format: a zip holding ``{Name}/application.yaml`` (or ``.json``), ``{type: application, version,
data}``, where ``data`` is the application with its subscriptions by API name and version and, when
asked for (``withKeys``), its OAuth keys with their secrets, as WSO2 exports them.

Import acts for the caller, in the caller's tenant: the application is the caller's unless
``preserveOwner`` or ``appOwner`` name another user, which needs ``apim:admin`` and a user of the
same tenant. Subscriptions go through the Developer Portal's own subscribe rules (tiers, visibility,
approvals); keys through map-keys, which needs each client's secret.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal

import yaml  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import BadRequest, Conflict, Forbidden, NotFound
from apim_common.security import Principal
from apim_devportal.applications import service as applications
from apim_devportal.applications.models import Application
from apim_devportal.applications.repository import ApplicationRepository
from apim_devportal.applications.schemas import ApplicationIn
from apim_devportal.catalog import service as catalog
from apim_devportal.catalog.repository import CatalogRepository
from apim_devportal.keys import service as keys
from apim_devportal.keys.client import KeyManagerClient
from apim_devportal.keys.schemas import ApplicationKeyMappingRequest
from apim_devportal.subscriptions import service as subscriptions
from apim_devportal.subscriptions.repository import SubscriptionRepository
from apim_devportal.subscriptions.schemas import SubscriptionIn

PROJECT_VERSION = "v4.3.0"
MAX_ARCHIVE_BYTES = 1 << 20
ADMIN_SCOPE = "apim:admin"

# Does a user exist in a tenant: answers the name as the user signs in, or raises NotFound.
UserCheck = Callable[[str, str], Awaitable[str]]


class ExportedSubscription(BaseModel):
    model_config = ConfigDict(extra="forbid")

    apiName: str = Field(min_length=1)
    apiVersion: str = Field(min_length=1)
    throttlingPolicy: str = Field(min_length=1)


class ExportedKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keyType: Literal["PRODUCTION", "SANDBOX"]
    keyManager: str = "Resident Key Manager"
    consumerKey: str = Field(min_length=1)
    consumerSecret: str | None = None
    supportedGrantTypes: list[str] = []
    callbackUrl: str | None = None


class ExportedApplication(ApplicationIn):
    """``data`` of the archive: what import reads; anything else in it is refused, naming it."""

    model_config = ConfigDict(extra="forbid")

    owner: str | None = None
    subscriptions: list[ExportedSubscription] = []
    keys: list[ExportedKey] = []


class SkippedAPI(BaseModel):
    name: str
    version: str
    reason: str


def _plain_name(name: str) -> str:
    return "".join(name.split()) or "application"


async def export(
    session: AsyncSession,
    principal: Principal,
    client: KeyManagerClient,
    *,
    name: str,
    owner: str | None,
    with_keys: bool,
    fmt: str,
) -> tuple[str, bytes]:
    """The archive's file name and bytes. Another user's application needs ``apim:admin``; an
    application of another tenant is not found."""
    wanted = owner or principal.username
    if wanted != principal.username and ADMIN_SCOPE not in principal.scopes:
        raise Forbidden("Exporting another user's application needs apim:admin")
    app = await ApplicationRepository(session).by_name(principal.tenant, wanted, name)
    if app is None:
        raise NotFound(f"Application {name} of {wanted} not found", message="Application Not Found")
    data: dict[str, Any] = {
        "name": app.name,
        "throttlingPolicy": app.throttling_policy,
        "description": app.description or "",
        "tokenType": app.token_type or "JWT",
        "groups": list(app.groups or []),
        "attributes": dict(app.attributes or {}),
        "owner": app.owner,
        "subscriptions": await _subscriptions_of(session, app),
    }
    if with_keys:
        data["keys"] = [
            ExportedKey(
                keyType=k.keyType,
                keyManager=k.keyManager,
                consumerKey=k.consumerKey or "",
                consumerSecret=k.consumerSecret,
                supportedGrantTypes=list(k.supportedGrantTypes or []),
                callbackUrl=k.callbackUrl,
            ).model_dump(exclude_none=True)
            for k in await keys.keys(session, _as_owner(principal, app), app.id, client)
            if k.consumerKey
        ]
    document = {"type": "application", "version": PROJECT_VERSION, "data": data}
    folder = _plain_name(app.name)
    if fmt.upper() == "JSON":
        member, text = f"{folder}/application.json", json.dumps(document, indent=2)
    else:
        member, text = f"{folder}/application.yaml", yaml.safe_dump(document, sort_keys=False)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, text)
    return f"{folder}.zip", buffer.getvalue()


def _as_owner(principal: Principal, app: Application) -> Principal:
    """An administrator reads another user's application as that user would."""
    if app.owner == principal.username:
        return principal
    return principal.model_copy(update={"username": app.owner})


async def _subscriptions_of(session: AsyncSession, app: Application) -> list[dict[str, str]]:
    found = []
    repository = CatalogRepository(session)
    for sub in await SubscriptionRepository(session).of_application(app.id):
        api = await repository.get(sub.api_id)
        if api is not None:
            found.append(
                {"apiName": api.name, "apiVersion": api.version, "throttlingPolicy": sub.throttling_policy}
            )
    return sorted(found, key=lambda s: (s["apiName"], s["apiVersion"]))


def read_archive(archive: bytes) -> ExportedApplication:
    """The application of an archive, or 400 saying what is wrong with it."""
    if len(archive) > MAX_ARCHIVE_BYTES:
        raise BadRequest(f"An application archive may hold at most {MAX_ARCHIVE_BYTES} bytes")
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as opened:
            member = next(
                (
                    n
                    for n in opened.namelist()
                    if n.endswith(("application.yaml", "application.yml", "application.json"))
                ),
                None,
            )
            if member is None:
                raise BadRequest("The archive holds no application.yaml or application.json")
            if opened.getinfo(member).file_size > MAX_ARCHIVE_BYTES:
                raise BadRequest(f"{member} is larger than {MAX_ARCHIVE_BYTES} bytes")
            text = opened.read(member).decode("utf-8")
    except (zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise BadRequest(f"The file is not an application archive: {exc}") from exc
    try:
        document = json.loads(text) if member.endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise BadRequest(f"{member} is neither valid JSON nor YAML") from exc
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, dict) or (isinstance(document, dict) and document.get("type") != "application"):
        raise BadRequest(f"{member} must hold {{type: application, data: {{...}}}}")
    try:
        return ExportedApplication.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise BadRequest(f"{member}: {problems}") from exc


async def import_application(
    session: AsyncSession,
    principal: Principal,
    client: KeyManagerClient,
    token_endpoint: str,
    attributes: Sequence[dict[str, Any]],
    user_exists: UserCheck,
    exported: ExportedApplication,
    *,
    preserve_owner: bool,
    app_owner: str | None,
    skip_subscriptions: bool,
    skip_keys: bool,
    update: bool,
) -> tuple[Application, list[SkippedAPI]]:
    """The imported application and the subscriptions that could not be made (API absent or
    refused), which WSO2 answers with 207."""
    owner = app_owner or (exported.owner if preserve_owner and exported.owner else principal.username)
    if owner != principal.username:
        if ADMIN_SCOPE not in principal.scopes:
            raise Forbidden("Importing an application for another user needs apim:admin")
        owner = await user_exists(owner, principal.tenant)
    acting = principal.model_copy(update={"username": owner})
    body = ApplicationIn.model_validate(exported.model_dump(include=set(ApplicationIn.model_fields)))
    existing = await ApplicationRepository(session).by_name(principal.tenant, owner, exported.name)
    if existing is not None and not update:
        raise Conflict(
            f"{owner} already has an application named {exported.name}; import with update=true to update it",
            message="Application Already Exists",
        )
    if existing is not None:
        app = await applications.update(session, acting, existing.id, body, attributes)
    else:
        app = await applications.create(session, acting, body, attributes)
    skipped: list[SkippedAPI] = []
    if not skip_subscriptions:
        skipped = await _subscribe(session, acting, app, exported.subscriptions)
    if not skip_keys:
        await _map_keys(session, acting, app, exported.keys, client, token_endpoint)
    return app, skipped


async def _subscribe(
    session: AsyncSession, acting: Principal, app: Application, wanted: Sequence[ExportedSubscription]
) -> list[SkippedAPI]:
    who = await catalog.viewer(session, acting, None)
    listed = await CatalogRepository(session).listed_rows(acting.tenant)
    existing = {sub.api_id: sub for sub in await SubscriptionRepository(session).of_application(app.id)}
    skipped: list[SkippedAPI] = []
    for item in wanted:
        api = next(
            (
                a
                for a in listed
                if (a.name, a.version) == (item.apiName, item.apiVersion) and catalog.can_see(a, who)
            ),
            None,
        )
        if api is None:
            skipped.append(SkippedAPI(name=item.apiName, version=item.apiVersion, reason="API not found"))
            continue
        request = SubscriptionIn(applicationId=app.id, apiId=api.id, throttlingPolicy=item.throttlingPolicy)
        try:
            if api.id in existing:
                if existing[api.id].throttling_policy != item.throttlingPolicy:
                    await subscriptions.change_tier(session, acting, existing[api.id].id, request, None)
            else:
                await subscriptions.create(session, acting, request, None)
        except (BadRequest, Forbidden, NotFound) as exc:
            skipped.append(SkippedAPI(name=item.apiName, version=item.apiVersion, reason=exc.description))
    return skipped


async def _map_keys(
    session: AsyncSession,
    acting: Principal,
    app: Application,
    wanted: Sequence[ExportedKey],
    client: KeyManagerClient,
    token_endpoint: str,
) -> None:
    have = {
        (k.keyType, k.keyManager, k.consumerKey) for k in await keys.keys(session, acting, app.id, client)
    }
    for key in wanted:
        if (key.keyType, key.keyManager, key.consumerKey) in have:
            continue
        if not key.consumerSecret:
            raise BadRequest(
                f"keys: the {key.keyType} key has no consumerSecret; import with skipApplicationKeys=true",
                message="Consumer Secret Required",
            )
        request = ApplicationKeyMappingRequest(
            consumerKey=key.consumerKey,
            consumerSecret=key.consumerSecret,
            keyManager=key.keyManager,
            keyType=key.keyType,
        )
        await keys.map_keys(session, acting, app.id, request, client, token_endpoint)
