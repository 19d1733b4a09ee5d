"""The long-lived parts of the service, built once on start and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from apim_common.db import Database
from apim_key_manager.clients.service import ClientService
from apim_key_manager.keys.service import KeyService
from apim_key_manager.oauth.service import TokenService
from apim_key_manager.scopes.service import ScopePolicy
from apim_key_manager.settings import Settings
from apim_key_manager.users.service import UserService


@dataclass
class KeyManager:
    settings: Settings
    database: Database
    keys: KeyService
    scopes: ScopePolicy
    users: UserService
    clients: ClientService
    tokens: TokenService


async def _key_manager(request: Request) -> KeyManager:
    # async: FastAPI runs a plain def dependency in a worker thread, a hop on every token request.
    km: KeyManager = request.app.state.key_manager
    return km


KeyManagerDep = Annotated[KeyManager, Depends(_key_manager)]
