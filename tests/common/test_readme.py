"""The README's configuration table documents every ``APIM_`` setting of every service."""

import re
from pathlib import Path

from pydantic_settings import BaseSettings

from apim_admin.settings import Settings as AdminSettings
from apim_analytics.settings import Settings as AnalyticsSettings
from apim_common.settings import ServiceSettings
from apim_devportal.settings import Settings as DevportalSettings
from apim_gateway.settings import Settings as GatewaySettings
from apim_key_manager.settings import Settings as KeyManagerSettings
from apim_publisher.settings import Settings as PublisherSettings
from apim_standalone.settings import StandaloneSettings
from apim_throttle_sync.settings import Settings as ThrottleSyncSettings

README = Path(__file__).resolve().parents[2] / "README.md"
SETTINGS: list[type[BaseSettings]] = [
    ServiceSettings,
    StandaloneSettings,
    AdminSettings,
    DevportalSettings,
    GatewaySettings,
    KeyManagerSettings,
    PublisherSettings,
    ThrottleSyncSettings,
    AnalyticsSettings,
]


def test_every_apim_variable_is_in_the_readme_table() -> None:
    first_cells = re.findall(r"^\| ([^|]*`APIM_[^|]*)\|", README.read_text(), flags=re.MULTILINE)
    documented = {name for cell in first_cells for name in re.findall(r"`(APIM_[A-Z0-9_]+)`", cell)}
    variables = {f"APIM_{name.upper()}" for cls in SETTINGS for name in cls.model_fields}
    missing = sorted(variables - documented)
    assert not missing, f"README.md's configuration table lacks {missing}"
