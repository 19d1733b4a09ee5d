"""Where the publisher's internal calls go; ``call`` itself is shared by every service."""

from __future__ import annotations

from fastapi import Request

from apim_common.internal_calls import call
from apim_common.settings import ServiceSettings

__all__ = ["call", "devportal", "key_manager"]


def devportal(request: Request, path: str) -> str:
    settings: ServiceSettings = request.app.state.settings
    return f"{settings.devportal_url.rstrip('/')}/api/am/devportal/v3/internal{path}"


def key_manager(request: Request, path: str) -> str:
    settings: ServiceSettings = request.app.state.settings
    return f"{settings.key_manager_url.rstrip('/')}/api/am/keymanager/v1/internal{path}"
