"""OAuth2 access tokens for backends (``client_credentials`` and ``password`` grants).

One ``TokenSource`` per set of credentials, shared by every revision that names the same ones:
the token is fetched once and reused until shortly before ``expires_in`` runs out; concurrent
requests wait on the one fetch in flight, and for two seconds after a failed fetch requests fail
at once rather than each asking again. The token endpoint is reached through the outbound
guard's client, as the publisher's user chose its URL. The client authenticates with HTTP Basic
(RFC 6749 2.3.1), the form carries the grant and the endpoint's ``customParameters``.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping

import httpx

from apim_common.outbound import OutboundRefused
from apim_common.tasks import SingleFlight

# Renewed this long before the token expires (at most a tenth of its lifetime), so a request
# never leaves with a token that lapses on its way.
RENEW_BEFORE = 30.0
# A token endpoint that gives no expires_in: the token is kept this long, or until a backend 401.
DEFAULT_LIFETIME = 3600.0
# After a failed fetch, requests fail at once for this long rather than each asking again.
FAILURE_HOLD = 2.0


class TokenError(Exception):
    """The token endpoint gave no token; the message names why, never a credential."""


class TokenSource:
    __slots__ = ("_authorization", "_expires", "_failed", "_fetching", "_form", "_http", "_token", "url")

    def __init__(
        self,
        http: httpx.AsyncClient,
        url: str,
        client_id: str,
        client_secret: str,
        form: Mapping[str, str],
    ) -> None:
        self._http = http
        self.url = url
        pair = f"{client_id}:{client_secret}".encode()
        self._authorization = "Basic " + base64.b64encode(pair).decode("ascii")
        self._form = dict(form)
        self._token: str | None = None
        self._expires = 0.0
        # One fetch for every request that finds no token; a request that gives up does not cancel it.
        self._fetching: SingleFlight[None, str] = SingleFlight()
        self._failed: tuple[float, TokenError] | None = None

    async def token(self) -> str:
        token = self._token
        if token is not None and time.monotonic() < self._expires:
            return token
        failed = self._failed
        if failed is not None and time.monotonic() < failed[0]:
            raise TokenError(str(failed[1]))
        return await self._fetching.run(None, self._fetch)

    def refused(self, token: str) -> None:
        """A backend refused ``token``: the next request fetches another (unless one already has)."""
        if self._token == token:
            self._token = None

    async def _fetch(self) -> str:
        try:
            return await self._ask()
        except TokenError as error:
            self._failed = (time.monotonic() + FAILURE_HOLD, error)
            raise

    async def _ask(self) -> str:
        try:
            response = await self._http.post(
                self.url, data=self._form, headers={"Authorization": self._authorization}
            )
        except OutboundRefused as exc:
            raise TokenError(f"the token endpoint may not be reached: {exc.description}") from None
        except httpx.HTTPError as exc:
            raise TokenError(f"the token endpoint cannot be reached ({type(exc).__name__})") from None
        if response.status_code != 200:
            raise TokenError(f"the token endpoint answered HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise TokenError("the token endpoint answered something other than JSON") from None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise TokenError("the token endpoint's answer holds no access_token")
        lifetime = body.get("expires_in")
        seconds = float(lifetime) if isinstance(lifetime, int | float) and lifetime > 0 else DEFAULT_LIFETIME
        self._token = token
        self._failed = None
        self._expires = time.monotonic() + seconds - min(RENEW_BEFORE, seconds / 10)
        return token
