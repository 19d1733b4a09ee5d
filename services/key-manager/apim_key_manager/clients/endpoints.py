"""WSO2's dynamic client registration (v0.17) and the internal API devportal-api keeps its
applications' OAuth clients with."""

from __future__ import annotations

import hmac
import json
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from apim_common.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized
from apim_common.security import InternalPrincipal
from apim_key_manager.clients.models import OAuthClient
from apim_key_manager.clients.repository import ClientRepository
from apim_key_manager.clients.schemas import (
    ClientCreate,
    ClientPublic,
    ClientSecret,
    ClientUpdate,
    OAuthApplicationInfo,
    RegistrationProfile,
)
from apim_key_manager.clients.service import (
    APPLICATION_KIND,
    FIRST_PARTY_KIND,
    STRIPPED_GRANTS,
    ClientService,
)
from apim_key_manager.context import KeyManager, KeyManagerDep
from apim_key_manager.db import SessionDep
from apim_key_manager.users.auth import CHALLENGE, Caller, basic_user
from apim_key_manager.users.service import resolve_login

router = APIRouter(tags=["Dynamic client registration"])
internal = APIRouter(prefix="/api/am/keymanager/v1/internal/clients", tags=["Internal: OAuth clients"])

DCR_PATH = "/client-registration/v0.17/register"


def _application_info(clients: ClientService, client: OAuthClient, owner_login: str) -> OAuthApplicationInfo:
    grants = " ".join(client.grant_types)
    return OAuthApplicationInfo(
        clientId=client.client_id,
        clientName=client.client_name,
        callBackURL=client.callback_url or None,
        clientSecret=clients.secret_of(client),
        isSaasApplication=client.saas,
        appOwner=owner_login,
        jsonString=json.dumps(
            {"grant_types": grants, "redirect_uris": client.callback_url, "client_name": client.client_name}
        ),
        applicationUUID=client.application_uuid,
        tokenType=client.token_type,
    )


async def _dcr_caller(km: KeyManager, session: SessionDep, request: Request) -> Caller:
    found = await basic_user(km, session, request)
    if found is None:
        raise Unauthorized("Basic credentials of a user are required", headers=CHALLENGE)
    return found[1]


async def _owner(km: KeyManager, session: SessionDep, caller: Caller, owner: str | None) -> tuple[str, str]:
    """``(username, tenant)`` of the owner, who must exist and be the caller unless a super admin calls."""
    if owner is None or not owner.strip():
        raise BadRequest("Application owner is empty")
    username, tenant = await resolve_login(session, owner.strip(), caller.tenant)
    user = await km.users.find(session, f"{username}@{tenant}")
    if user is None:
        raise Forbidden(f"Application owner {owner} does not exist")
    if (user.username, user.tenant) != (caller.username, caller.tenant) and not caller.is_super_admin:
        raise Forbidden(f"User {caller.username} may not register an application for {owner}")
    return user.username, user.tenant


@router.post(DCR_PATH, summary="Register a client (WSO2 DCR)")
async def register(
    profile: RegistrationProfile, request: Request, session: SessionDep, km: KeyManagerDep
) -> OAuthApplicationInfo:
    caller = await _dcr_caller(km, session, request)
    owner, tenant = await _owner(km, session, caller, profile.owner)
    owner_login = (profile.owner or "").strip()
    existing = await ClientRepository(session).by_name(tenant, owner, profile.clientName)
    if existing is not None:
        return _application_info(km.clients, existing, owner_login)
    grants = [g for g in profile.grantType.split() if g not in STRIPPED_GRANTS]
    client, _ = await km.clients.create(
        session,
        tenant=tenant,
        owner=owner,
        client_name=profile.clientName,
        grant_types=grants,
        callback_url=profile.callbackUrl or "",
        saas=profile.saasApp,
        token_type=profile.tokenType or "JWT",
    )
    return _application_info(km.clients, client, owner_login)


@router.delete(DCR_PATH, summary="Unregister a client (WSO2 DCR)")
async def unregister(
    request: Request,
    session: SessionDep,
    km: KeyManagerDep,
    applicationName: Annotated[str | None, Query()] = None,
    userId: Annotated[str | None, Query()] = None,
    consumerKey: Annotated[str | None, Query()] = None,
) -> Response:
    caller = await _dcr_caller(km, session, request)
    client: OAuthClient | None = None
    if consumerKey:
        client = await ClientRepository(session).get(consumerKey)
    elif applicationName:
        owner, tenant = await _owner(km, session, caller, userId or caller.username)
        client = await ClientRepository(session).by_name(tenant, owner, applicationName)
    else:
        raise BadRequest("consumerKey or applicationName is required")
    if client is None or client.kind in ("internal", FIRST_PARTY_KIND):
        raise NotFound("No such application")
    if (client.owner, client.tenant) != (caller.username, caller.tenant) and not caller.is_super_admin:
        raise Forbidden(f"User {caller.username} may not remove this application")
    await km.clients.delete(session, client)
    return Response(status_code=200)


# Internal API of devportal-api's applications


async def _owner_of(km: KeyManager, session: SessionDep, owner: str) -> tuple[str, str]:
    username, tenant = await resolve_login(session, owner)
    user = await km.users.find(session, f"{username}@{tenant}")
    if user is None:
        raise BadRequest(f"Owner {owner} does not exist")
    return user.username, user.tenant


def _public(km: KeyManager, client: OAuthClient) -> ClientPublic:
    owner = f"{client.owner}@{client.tenant}"
    return ClientPublic(
        clientId=client.client_id,
        clientSecret=km.clients.secret_of(client),
        clientName=client.client_name,
        owner=owner,
        tenant=client.tenant,
        grantTypes=client.grant_types,
        callbackUrl=client.callback_url,
        applicationId=client.application_uuid,
    )


async def _application_client(km: KeyManager, session: SessionDep, client_id: str) -> OAuthClient:
    client = await ClientRepository(session).get(client_id)
    if client is None or client.kind in ("internal", FIRST_PARTY_KIND):
        raise NotFound(f"OAuth client {client_id} not found")
    return client


async def _belongs_to(
    session: SessionDep, client: OAuthClient, owner: str, tenant: str, application_id: str | None
) -> bool:
    """Whether ``client`` is an application client of ``owner`` in ``tenant`` (or was created for
    ``application_id``, which still holds once the application changed owner)."""
    if client.kind != APPLICATION_KIND or client.tenant != tenant:
        return False
    if application_id is not None and hmac.compare_digest(client.application_uuid, application_id):
        return True
    username, owner_tenant = await resolve_login(session, owner, tenant)
    return (username, owner_tenant) == (client.owner, client.tenant)


@internal.post("", status_code=201, summary="Create an application's OAuth client")
async def create_client(
    body: ClientCreate, session: SessionDep, km: KeyManagerDep, _: InternalPrincipal
) -> ClientPublic:
    owner, tenant = await _owner_of(km, session, body.owner)
    existing = await ClientRepository(session).by_name(tenant, owner, body.clientName)
    if existing is not None:
        raise Conflict(f"Client {body.clientName} already exists for {body.owner}")
    client, _secret = await km.clients.create(
        session,
        tenant=tenant,
        owner=owner,
        client_name=body.clientName,
        grant_types=body.grantTypes,
        callback_url=body.callbackUrl,
        saas=body.saasApp,
        kind=APPLICATION_KIND,
        application_uuid=body.applicationId,
    )
    return _public(km, client)


@internal.get("/{client_id}", summary="Read an application's OAuth client, as its owner")
async def get_client(
    client_id: str,
    session: SessionDep,
    km: KeyManagerDep,
    _: InternalPrincipal,
    owner: Annotated[str, Query(min_length=1, max_length=255)],
    tenant: Annotated[str, Query(min_length=1, max_length=255)],
    applicationId: Annotated[str | None, Query(max_length=64)] = None,
) -> ClientPublic:
    """The secret goes only to the client's owner: a client of anyone else, of another tenant, or
    one that is not an application's (DCR, internal, portal) reads as absent."""
    client = await ClientRepository(session).get(client_id)
    if client is None or not await _belongs_to(session, client, owner, tenant, applicationId):
        raise NotFound(f"OAuth client {client_id} not found")
    return _public(km, client)


@internal.put("/{client_id}", summary="Change grant types or callback URL")
async def update_client(
    client_id: str, body: ClientUpdate, session: SessionDep, km: KeyManagerDep, _: InternalPrincipal
) -> ClientPublic:
    client = await _application_client(km, session, client_id)
    if body.grantTypes is not None:
        client.grant_types = list(dict.fromkeys(body.grantTypes))
    if body.callbackUrl is not None:
        client.callback_url = body.callbackUrl
    km.clients.forget(client.client_id)
    return _public(km, client)


@internal.delete("/{client_id}", status_code=204, summary="Delete an application's OAuth client")
async def delete_client(
    client_id: str, session: SessionDep, km: KeyManagerDep, _: InternalPrincipal
) -> Response:
    await km.clients.delete(session, await _application_client(km, session, client_id))
    return Response(status_code=204)


@internal.post("/{client_id}/regenerate-secret", summary="Regenerate the secret; old tokens are revoked")
async def regenerate_secret(
    client_id: str, session: SessionDep, km: KeyManagerDep, _: InternalPrincipal
) -> ClientSecret:
    client = await _application_client(km, session, client_id)
    secret = await km.clients.regenerate_secret(session, client)
    return ClientSecret(clientId=client.client_id, clientSecret=secret)
