"""The chart's ``cryptoProvider`` reaches every service as ``APIM_CRYPTO_PROVIDER``."""

from __future__ import annotations

import subprocess

import pytest

from tests.helm.test_chart import helm, named, of_kind, render

__all__ = ["helm"]  # the module-scoped fixture, shared with the chart's own tests


def test_crypto_provider_fips_reaches_every_service(helm: list[str]) -> None:
    objects = render(helm, "--set", "cryptoProvider=fips")
    config = named(objects, "ConfigMap", "-config")
    assert config["data"]["APIM_CRYPTO_PROVIDER"] == "fips"
    deployments = of_kind(objects, "Deployment")
    assert deployments
    for deployment in deployments:
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            sources = [s.get("configMapRef", {}).get("name") for s in container.get("envFrom", [])]
            assert config["metadata"]["name"] in sources, deployment["metadata"]["name"]


def test_crypto_provider_defaults_to_default_and_refuses_another_value(helm: list[str]) -> None:
    assert named(render(helm), "ConfigMap", "-config")["data"]["APIM_CRYPTO_PROVIDER"] == "default"
    with pytest.raises(subprocess.CalledProcessError) as refused:
        render(helm, "--set", "cryptoProvider=bcfips")
    assert "cryptoProvider" in refused.value.stderr
