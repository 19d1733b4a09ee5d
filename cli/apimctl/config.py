"""Environments (``main_config.yaml``) and their tokens, kept in the system keyring when it works.

The config folder is ``APIMCTL_CONFIG_DIR`` or the platform's user config dir (``~/.config/apimctl``).
Without a usable keyring, tokens go to ``credentials.json`` (mode 0600) beside the config.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from apimctl import yamlio
from apimctl.errors import UsageError

KEYRING_SERVICE = "apimctl"
CONFIG_FILE = "main_config.yaml"
CREDENTIALS_FILE = "credentials.json"


def config_dir() -> Path:
    override = os.environ.get("APIMCTL_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir("apimctl"))


@dataclass
class Environment:
    name: str
    apim: str
    token_endpoint: str | None = None
    registration_endpoint: str | None = None
    publisher: str | None = None
    devportal: str | None = None
    admin: str | None = None

    @property
    def token_url(self) -> str:
        return self.token_endpoint or f"{self.apim.rstrip('/')}/oauth2/token"

    @property
    def registration_url(self) -> str:
        return self.registration_endpoint or f"{self.apim.rstrip('/')}/client-registration/v0.17/register"

    def base(self, service: str) -> str:
        defaults = {
            "publisher": "/api/am/publisher/v4",
            "devportal": "/api/am/devportal/v3",
            "admin": "/api/am/admin/v4",
        }
        override = getattr(self, service)
        return str(override).rstrip("/") if override else self.apim.rstrip("/") + defaults[service]

    def to_dict(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v is not None and k != "name"}


def load_environments() -> dict[str, Environment]:
    path = config_dir() / CONFIG_FILE
    if not path.exists():
        return {}
    document = yamlio.load_file(path) or {}
    listed = document.get("environments") or {}
    if not isinstance(listed, dict):
        raise UsageError(f"{path}: 'environments' must be a mapping of names to settings")
    return {name: Environment(name=name, **dict(values)) for name, values in listed.items()}


def save_environments(environments: dict[str, Environment]) -> None:
    folder = config_dir()
    folder.mkdir(parents=True, exist_ok=True)
    document = {"environments": {name: env.to_dict() for name, env in sorted(environments.items())}}
    yamlio.dump_file(folder / CONFIG_FILE, document)


def environment(name: str) -> Environment:
    environments = load_environments()
    if name not in environments:
        known = ", ".join(sorted(environments)) or "none yet"
        raise UsageError(f"Unknown environment '{name}' (known: {known}); add it with `apimctl add env`")
    return environments[name]


class Credentials:
    """Tokens per environment: the keyring when one works, else a private file."""

    _warned = False

    def __init__(self) -> None:
        self._keyring: Any = None
        if os.environ.get("APIMCTL_KEYRING", "1").lower() not in ("0", "false", "no", "off"):
            try:
                import keyring

                self._keyring = keyring
            except ImportError:  # pragma: no cover - keyring is a dependency
                self._keyring = None

    def _file(self) -> Path:
        return config_dir() / CREDENTIALS_FILE

    def _read_file(self) -> dict[str, Any]:
        path = self._file()
        if not path.exists():
            return {}
        try:
            data: dict[str, Any] = json.loads(path.read_text())
        except ValueError as exc:
            raise UsageError(f"{path} is damaged ({exc}); delete it and log in again") from exc
        return data

    def _write_file(self, data: dict[str, Any]) -> None:
        path = self._file()
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            json.dump(data, out, indent=2)
        path.chmod(0o600)

    def _fallback(self, exc: Exception) -> None:
        self._keyring = None
        if not Credentials._warned:
            Credentials._warned = True
            print(
                f"No usable system keyring ({type(exc).__name__}); "
                f"keeping tokens in {self._file()} (mode 0600)",
                file=sys.stderr,
            )

    def get(self, env: str) -> dict[str, Any] | None:
        if self._keyring is not None:
            try:
                raw = self._keyring.get_password(KEYRING_SERVICE, env)
                if raw is not None:
                    value: dict[str, Any] = json.loads(raw)
                    return value
            except Exception as exc:  # keyring backends raise many kinds; any means "not usable"
                self._fallback(exc)
        found = self._read_file().get(env)
        return dict(found) if isinstance(found, dict) else None

    def set(self, env: str, value: dict[str, Any]) -> None:
        if self._keyring is not None:
            try:
                self._keyring.set_password(KEYRING_SERVICE, env, json.dumps(value))
                return
            except Exception as exc:  # see get()
                self._fallback(exc)
        data = self._read_file()
        data[env] = value
        self._write_file(data)

    def delete(self, env: str) -> bool:
        removed = False
        if self._keyring is not None:
            try:
                if self._keyring.get_password(KEYRING_SERVICE, env) is not None:
                    self._keyring.delete_password(KEYRING_SERVICE, env)
                    removed = True
            except Exception as exc:  # see get()
                self._fallback(exc)
        data = self._read_file()
        if env in data:
            del data[env]
            self._write_file(data)
            removed = True
        return removed
