"""Development mode runs on a secret published in the source, so it listens only on loopback."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from apim_common.settings import ServiceSettings
from apim_standalone.__main__ import main


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "apim.example.com"])
def test_development_mode_refuses_to_listen_beyond_this_machine(host: str) -> None:
    with pytest.raises(ValidationError, match="development mode serves only this machine"):
        ServiceSettings(mode="development", host=host)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
def test_development_mode_listens_on_loopback(host: str) -> None:
    assert ServiceSettings(mode="development", host=host).host == host


def test_production_mode_with_its_own_secret_may_listen_on_any_address() -> None:
    settings = ServiceSettings(mode="production", host="0.0.0.0", secret_key="s" * 40)
    assert settings.host == "0.0.0.0"


def test_the_standalone_runner_refuses_a_public_host_in_development_mode(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APIM_MODE", "development")
    monkeypatch.setenv("APIM_HOST", "0.0.0.0")
    assert main() == 2
    assert "development mode serves only this machine" in capsys.readouterr().err
