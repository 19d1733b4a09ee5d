"""FIPS mode at start-up: without a FIPS OpenSSL (as on this machine) a service process refuses to
start with one line and exit code 3; ``python -m apim_common.fips verify`` says why."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from apim_common import crypto_policy, fips
from apim_common.crypto_policy import FIPS_TLS_CIPHERS, CryptoProvider
from apim_common.fips import EXIT_NOT_FIPS
from apim_common.runner import run_service
from apim_gateway.server import main as gateway_main
from apim_gateway.server import tls_listener as gateway_tls_listener
from apim_gateway.settings import Settings as GatewaySettings
from apim_key_manager.server import tls_listener as key_manager_tls_listener
from apim_key_manager.settings import Settings as KeyManagerSettings
from apim_standalone.__main__ import control_plane_tls
from apim_standalone.__main__ import main as standalone_main
from apim_standalone.settings import StandaloneSettings
from apim_throttle_sync.settings import Settings as ThrottleSyncSettings

pytestmark = pytest.mark.skipif(
    fips.cryptography_fips_enabled() and fips.hashlib_fips_enabled(),
    reason="this interpreter runs a FIPS OpenSSL: the refusal cannot happen here",
)


def _start(module: str, provider: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "APIM_CRYPTO_PROVIDER": provider,
        "APIM_MODE": "development",
        "APIM_PORT": "1",  # never reached: the refusal comes first, or the bind fails at once
        "APIM_HOST": "127.0.0.1",
    }
    return subprocess.run(
        [sys.executable, "-m", module], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def _assert_one_refusal_line(stderr: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("apim: refusing to start: APIM_CRYPTO_PROVIDER=fips")
    assert "cryptography (OpenSSL" in lines[0]
    assert "hashlib (OpenSSL" in lines[0]


def test_a_service_process_in_fips_mode_refuses_to_start_without_fips_openssl() -> None:
    result = _start("apim_throttle_sync", "fips")
    assert result.returncode == EXIT_NOT_FIPS, result.stderr
    _assert_one_refusal_line(result.stderr)


@pytest.mark.parametrize("entry", ["gateway", "standalone", "runner"])
def test_every_entry_point_refuses_fips_mode_without_fips_openssl(
    entry: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APIM_CRYPTO_PROVIDER", "fips")
    monkeypatch.setenv("APIM_MODE", "development")
    monkeypatch.setattr(sys, "argv", ["apim"])
    main: Callable[[], object] = {
        "gateway": gateway_main,
        "standalone": standalone_main,
        "runner": lambda: run_service("apim_throttle_sync", ThrottleSyncSettings, _never_built),
    }[entry]
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == EXIT_NOT_FIPS
    _assert_one_refusal_line(capsys.readouterr().err)


def _never_built(settings: object) -> object:
    raise AssertionError("the app is built only once the FIPS check passed")


def test_verify_reports_each_openssl_and_the_fips_provider(capsys: pytest.CaptureFixture[str]) -> None:
    assert fips.main(["verify"]) == EXIT_NOT_FIPS
    out = capsys.readouterr().out
    assert "system OpenSSL (ssl, hashlib): OpenSSL" in out
    assert "FIPS provider loaded: no" in out
    assert "hashlib FIPS mode: no" in out
    assert "cryptography " in out
    assert "its own copy, not the system's" in out or "the system's" in out
    assert out.strip().endswith("verdict: FIPS mode would refuse to start")


def test_verify_names_the_password_hashing_of_the_chosen_provider() -> None:
    assert any(
        line.startswith("password hashing: PBKDF2-HMAC-SHA256") for line in fips.report("fips").lines()
    )
    assert "password hashing: argon2id" in fips.report("default").lines()


def test_verify_without_the_command_prints_its_usage() -> None:
    assert fips.main([]) == 2


def test_every_tls_listener_serves_only_the_fips_suites_in_fips_mode() -> None:
    """The gateway's, the key manager's and the standalone control plane's own TLS listeners."""
    files = {"certfile": Path("server.crt"), "keyfile": Path("server.key")}
    gateway = GatewaySettings(
        mode="development",
        crypto_provider="fips",
        gateway_server="uvicorn",
        gateway_tls_certfile=files["certfile"],
        gateway_tls_keyfile=files["keyfile"],
    )
    key_manager = KeyManagerSettings(
        mode="development",
        crypto_provider="fips",
        key_manager_tls_certfile=files["certfile"],
        key_manager_tls_keyfile=files["keyfile"],
    )
    assert gateway_tls_listener(gateway)["ssl_ciphers"] == FIPS_TLS_CIPHERS
    assert key_manager_tls_listener(key_manager)["ssl_ciphers"] == FIPS_TLS_CIPHERS
    standalone = StandaloneSettings(tls_certfile=files["certfile"], tls_keyfile=files["keyfile"])
    try:
        crypto_policy.activate(CryptoProvider.FIPS)
        assert control_plane_tls(standalone)["ssl_ciphers"] == FIPS_TLS_CIPHERS
    finally:
        crypto_policy.activate(CryptoProvider.DEFAULT)
    assert "ssl_ciphers" not in control_plane_tls(standalone)  # the default mode keeps uvicorn's
