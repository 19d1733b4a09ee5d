"""What the gateway asks the control plane for, with a service token (scope ``apim:internal``).

- publisher-api ``internal/snapshot?environment=``: every artifact deployed to this gateway's
  environment and the global policies deployed to its label;
- devportal-api ``internal/gateway-snapshot``: applications, subscriptions, key mappings;
- admin-api ``internal/gateway-snapshot``: throttling tiers, deny policies, key managers;
- publisher-api ``internal/runtime-artifacts/{revisionId}``: one revision, on a deployment event.

Before each pull of the publisher's part the gateway reports the policy implementations it has
(``PUT internal/environments/{environment}/policy-implementations``), so the publisher refuses to
attach or deploy a policy no gateway of the environment could run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import httpx

from apim_common.service_auth import ServiceTokenProvider
from apim_gateway.policies.discovery import implementation_names

logger = logging.getLogger(__name__)

PUBLISHER = "/api/am/publisher/v4/internal"
DEVPORTAL = "/api/am/devportal/v3/internal"
ADMIN = "/api/am/admin/v4/internal"
PARTS = ("publisher", "devportal", "admin")


class ControlPlaneError(Exception):
    """A control-plane call failed (unreachable, refused, or not answering JSON)."""


class NotDeployed(ControlPlaneError):
    """The control plane answered 404: the revision is no longer deployed to this environment."""


class ControlPlane:
    def __init__(
        self,
        http: httpx.AsyncClient,
        tokens: ServiceTokenProvider,
        *,
        publisher_url: str,
        devportal_url: str,
        admin_url: str,
        environment: str,
        timeout: float = 10.0,
        implementations: Sequence[str] | None = None,
    ) -> None:
        """``implementations``: the policy implementations reported (those installed, by default)."""
        self._http = http
        self._tokens = tokens
        self._environment = environment
        self._timeout = timeout
        self._urls = {
            "publisher": f"{publisher_url.rstrip('/')}{PUBLISHER}/snapshot",
            "devportal": f"{devportal_url.rstrip('/')}{DEVPORTAL}/gateway-snapshot",
            "admin": f"{admin_url.rstrip('/')}{ADMIN}/gateway-snapshot",
        }
        self._artifacts = f"{publisher_url.rstrip('/')}{PUBLISHER}/runtime-artifacts"
        self._report_url = (
            f"{publisher_url.rstrip('/')}{PUBLISHER}/environments/{quote(environment, safe='')}"
            "/policy-implementations"
        )
        self.implementations = sorted(implementation_names() if implementations is None else implementations)

    async def _get(self, url: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        try:
            headers = await self._tokens.headers()
            response = await self._http.get(url, params=params, headers=headers, timeout=self._timeout)
            if response.status_code == 404:
                raise NotDeployed(f"GET {url}: 404")
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            raise ControlPlaneError(f"GET {url}: {exc!r}") from exc
        if not isinstance(body, dict):
            raise ControlPlaneError(f"GET {url}: not a JSON object")
        return body

    async def report(self) -> None:
        """Tell the publisher which policy implementations this gateway has."""
        try:
            headers = await self._tokens.headers()
            response = await self._http.put(
                self._report_url,
                json={"implementations": self.implementations},
                headers=headers,
                timeout=self._timeout,
            )
            if response.status_code in (404, 405):
                # A publisher older than the report cannot check attachments against it either.
                logger.warning(
                    "the publisher takes no policy-implementation report (%s)", response.status_code
                )
                return
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise ControlPlaneError(f"PUT {self._report_url}: {exc!r}") from exc

    async def part(self, name: str) -> dict[str, Any]:
        if name == "publisher":
            await self.report()
        params = {"environment": self._environment} if name == "publisher" else None
        return await self._get(self._urls[name], params)

    async def artifact(self, revision_id: str) -> dict[str, Any]:
        return await self._get(f"{self._artifacts}/{revision_id}", {"environment": self._environment})
