"""Start-up of the key manager: keys, the resident role map, the internal client, the bootstrap
admin, its own token checks and its event consumers. Everything here is idempotent, so every
replica runs it on every start."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from apim_common.crypto_policy import policy_for
from apim_common.db import Database
from apim_common.events.bus import EventBus
from apim_common.events.consumer import idempotent
from apim_common.events.envelope import DEFAULT_TENANT, CloudEvent
from apim_common.events.topics import Topic
from apim_common.jwt import JWKSVerifier
from apim_common.tasks import cancel_and_wait
from apim_key_manager.authorize.repository import AuthorizationCodeRepository
from apim_key_manager.authorize.service import AuthorizationService
from apim_key_manager.clients.service import ClientService
from apim_key_manager.context import KeyManager
from apim_key_manager.keys.service import KeyService, apply_key_manager_event
from apim_key_manager.models import processed_events
from apim_key_manager.oauth.service import TokenService
from apim_key_manager.revocation.repository import RevocationRepository
from apim_key_manager.revocation.service import is_revoked
from apim_key_manager.scopes.defaults import ADMIN
from apim_key_manager.scopes.service import ScopePolicy, apply_system_scopes, seed_defaults
from apim_key_manager.settings import Settings
from apim_key_manager.users.lockout import sign_in_guard
from apim_key_manager.users.passwords import Passwords
from apim_key_manager.users.repository import UserRepository
from apim_key_manager.users.service import UserService

logger = logging.getLogger(__name__)

SYSTEM_SCOPES_CONSUMER = "key-manager.system-scopes"
KEY_MANAGERS_CONSUMER = "key-manager.key-managers"
PRUNE_INTERVAL = 600.0


async def _bootstrap(km: KeyManager) -> None:
    settings = km.settings
    async with km.database.session() as session, session.begin():
        await seed_defaults(session, DEFAULT_TENANT)
        await km.clients.ensure_internal(session)
        for client_id, redirect_uris in settings.first_party_clients.items():
            await km.clients.ensure_first_party(session, client_id, redirect_uris)
        password = settings.bootstrap_admin_password
        # Set in development mode (admin/admin, as WSO2 out of the box) or explicitly by the operator.
        if password is not None:
            username = settings.bootstrap_admin_username
            if await UserRepository(session).by_name(DEFAULT_TENANT, username) is None:
                await km.users.create(
                    session,
                    tenant=DEFAULT_TENANT,
                    username=username,
                    password=password.get_secret_value(),
                    roles=[ADMIN],
                )
                logger.info("created the bootstrap administrator %s", username)


def _wire_token_checks(app: FastAPI, km: KeyManager) -> None:
    """This service checks bearer tokens against its own keys, not over HTTP to itself."""

    async def local_jwks() -> dict[str, Any]:
        return (await km.keys.current()).jwks_document()

    async def revoked(claims: dict[str, Any]) -> bool:
        async with km.database.session() as session:
            return await is_revoked(session, claims)

    app.state.token_verifier = JWKSVerifier(
        local_jwks, issuer=km.settings.token_issuer, min_refresh_interval=0
    )
    app.state.token_revoked = revoked


def _subscribe(bus: EventBus, km: KeyManager) -> None:
    apply = idempotent(km.database, processed_events, SYSTEM_SCOPES_CONSUMER, apply_system_scopes)

    async def on_system_scopes(event: CloudEvent) -> None:
        if event.type != "system-scopes.updated":
            return
        await apply(event)
        km.scopes.invalidate(event.tenant)

    bus.subscribe([Topic.SYSTEM_SCOPES], SYSTEM_SCOPES_CONSUMER, on_system_scopes)

    apply_key_manager = idempotent(
        km.database, processed_events, KEY_MANAGERS_CONSUMER, apply_key_manager_event
    )

    async def on_key_managers(event: CloudEvent) -> None:
        await apply_key_manager(event)
        await km.keys.reload()

    bus.subscribe([Topic.KEY_MANAGERS], KEY_MANAGERS_CONSUMER, on_key_managers)


async def _prune(database: Database) -> None:
    """Revoked jtis and rules are only needed until the tokens they match expire."""
    while True:
        await asyncio.sleep(PRUNE_INTERVAL)
        try:
            async with database.session() as session, session.begin():
                await RevocationRepository(session).prune(int(time.time()))
                await AuthorizationCodeRepository(session).prune(int(time.time()))
        except Exception:
            logger.warning("could not prune expired revocations", exc_info=True)


@contextlib.asynccontextmanager
async def key_manager_runtime(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    database: Database = app.state.database
    keys = KeyService(database, settings)
    await keys.ensure()
    lifetime = max(settings.access_token_ttl, settings.refresh_token_ttl)
    scopes = ScopePolicy(database, settings.cache_ttl)
    guard, close_guard = sign_in_guard(settings)
    users = UserService(
        Passwords(
            settings.password_time_cost,
            settings.password_memory_cost,
            fips=policy_for(settings.crypto_provider).fips,
        ),
        lifetime,
        guard,
    )
    clients = ClientService(database, settings.secret(), users, settings.cache_ttl, lifetime)

    def wake_relay() -> None:
        relay = getattr(app.state, "outbox_relay", None)
        if relay is not None:
            relay.wake()

    tokens = TokenService(settings, database, keys, clients, users, scopes, on_revoked=wake_relay)
    km = KeyManager(settings, database, keys, scopes, users, clients, tokens)
    app.state.key_manager = km
    app.state.authorizations = AuthorizationService(clients, settings.authorization_code_ttl)
    await _bootstrap(km)
    _wire_token_checks(app, km)
    _subscribe(app.state.bus, km)
    pruner = asyncio.create_task(_prune(database), name="key-manager-prune")
    try:
        yield
    finally:
        await cancel_and_wait(pruner)
        await close_guard()
