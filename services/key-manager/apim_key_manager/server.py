"""``python -m apim_key_manager``: the key manager alone (distributed mode), over TLS itself when
``APIM_KEY_MANAGER_TLS_*`` are set, so the token endpoint sees its clients' certificates."""

from __future__ import annotations

from typing import Any

from apim_common.certificate_binding import tls_listener as peer_tls_listener
from apim_common.crypto_policy import policy_for
from apim_common.runner import run_service
from apim_key_manager.app import create_app
from apim_key_manager.settings import Settings


def tls_listener(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for the key manager's own TLS listener; none without a certificate."""
    if settings.key_manager_tls_certfile is None or settings.key_manager_tls_keyfile is None:
        return {}
    return peer_tls_listener(
        settings.key_manager_tls_certfile,
        settings.key_manager_tls_keyfile,
        settings.key_manager_tls_client_ca,
        policy_for(settings.crypto_provider).tls_ciphers,
    )


def main() -> int:
    return run_service("apim_key_manager", Settings, create_app, tls_listener)
