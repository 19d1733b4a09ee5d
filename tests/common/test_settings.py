import pytest
from pydantic import ValidationError

from apim_common.events.kafka import KafkaBus
from apim_common.settings import DEV_SECRET_KEY, ServiceSettings


def test_development_mode_runs_on_builtin_secrets() -> None:
    settings = ServiceSettings(mode="development")
    assert settings.secret() == DEV_SECRET_KEY
    assert settings.bootstrap_admin_password is not None
    assert settings.bootstrap_admin_password.get_secret_value() == "admin"


def test_production_refuses_a_missing_secret_key() -> None:
    with pytest.raises(ValidationError, match="APIM_SECRET_KEY must be set"):
        ServiceSettings(mode="production")


def test_production_refuses_the_development_secret_key() -> None:
    with pytest.raises(ValidationError, match="APIM_SECRET_KEY must be set"):
        ServiceSettings(mode="production", secret_key=DEV_SECRET_KEY)


def test_production_refuses_the_default_bootstrap_password() -> None:
    with pytest.raises(ValidationError, match="BOOTSTRAP_ADMIN_PASSWORD"):
        ServiceSettings(mode="production", secret_key="x" * 40, bootstrap_admin_password="admin")


def test_production_has_no_bootstrap_password_unless_given() -> None:
    settings = ServiceSettings(mode="production", secret_key="x" * 40)
    assert settings.bootstrap_admin_password is None


def test_settings_come_from_apim_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APIM_MODE", "development")
    monkeypatch.setenv("APIM_KAFKA_TOPIC_PREFIX", "prod.")
    assert ServiceSettings().kafka_topic_prefix == "prod."


def test_a_services_kafka_consumers_wait_no_longer_than_the_fetch_setting() -> None:
    settings = ServiceSettings(mode="development", bus="kafka", kafka_fetch_max_wait_ms=40)
    bus = KafkaBus.from_settings(settings, consumer_options={"session_timeout_ms": 1500})
    assert bus._consumer_options == {"fetch_max_wait_ms": 40, "session_timeout_ms": 1500}
