"""The one guard for server-side fetches a user can aim: an endpoint to probe, a definition or a
WSDL by URL, a key manager's well-known document.

Before any connection the host is resolved and every address it resolves to is classified;
loopback, link-local (the cloud metadata service), private, shared, multicast, reserved and
unspecified addresses are refused unless the operator's allow-list (``APIM_OUTBOUND_ALLOW``,
comma-separated networks) names them. Development mode allows loopback, so local backends work.
The connection then goes to the very address that was checked (a second lookup could answer
differently), and each redirect hop is a new request through the same check.

    OutboundRefused (BadRequest, 400)   the target is an address fetches may not reach
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

import httpx

from apim_common.crypto_policy import CryptoPolicy, active
from apim_common.errors import BadRequest, ErrorListItem
from apim_common.settings import ServiceSettings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

MAX_REDIRECTS = 5
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class OutboundRefused(BadRequest):
    """The URL names a scheme or an address that server-side fetches may not reach."""

    default_message = "Outbound address not allowed"

    def __init__(self, description: str) -> None:
        item = ErrorListItem(code="400", message=self.default_message, description=description)
        super().__init__(description, errors=[item])


def parse_networks(value: str | Iterable[str]) -> tuple[IPNetwork, ...]:
    """``"10.1.0.0/16, 192.168.5.7"`` as networks; a bad entry raises ``ValueError`` naming it."""
    items = value.split(",") if isinstance(value, str) else list(value)
    networks: list[IPNetwork] = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ValueError(f"'{item}' is not an IP address or network") from exc
    return tuple(networks)


def embedded(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64), so a wrapper hides nothing."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def in_networks(ip: IPAddress, networks: Sequence[IPNetwork]) -> bool:
    """Whether ``ip`` (or the IPv4 address it wraps) lies in one of ``networks``."""
    candidates = {ip, embedded(ip)}
    return any(c.version == n.version and c in n for c in candidates for n in networks)


def classify(ip: IPAddress) -> str | None:
    """Why fetches may not reach ``ip`` (``"loopback"``, ``"link-local"``...), None for a public one."""
    inner = embedded(ip)
    if inner.is_loopback:
        return "loopback"
    if inner.is_link_local:
        return "link-local"
    if inner.is_unspecified:
        return "unspecified"
    if inner.is_multicast:
        return "multicast"
    if inner.is_private:
        return "private"
    if inner.is_reserved or not inner.is_global:
        return "non-public"
    return None


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    """Which addresses fetches may reach: public ones, plus ``allow`` and (in development) loopback."""

    allow: tuple[IPNetwork, ...] = ()
    allow_loopback: bool = False

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> OutboundPolicy:
        return cls(allow=parse_networks(settings.outbound_allow), allow_loopback=settings.is_development)

    def refusal(self, ip: IPAddress) -> str | None:
        """The reason ``ip`` is refused, None when it may be reached."""
        reason = classify(ip)
        if reason is None or in_networks(ip, self.allow):
            return None
        if reason == "loopback" and self.allow_loopback:
            return None
        return reason


async def system_resolver(host: str, port: int) -> Sequence[str]:
    """The addresses the system resolver gives ``host`` (off the event loop, as asyncio does it)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def checked_address(host: str, port: int, policy: OutboundPolicy, resolver: Resolver) -> str:
    """The address to connect to for ``host``: every address it resolves to must be allowed."""
    try:
        literal: IPAddress | None = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        try:
            answers = await resolver(host, port)
        except OSError as exc:
            raise httpx.ConnectError(f"The host '{host}' cannot be resolved") from exc
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in answers]
        if not addresses:
            raise httpx.ConnectError(f"The host '{host}' cannot be resolved")
    for address in addresses:
        reason = policy.refusal(address)
        if reason is not None:
            what = f"{address} is a" if literal is not None else f"'{host}' resolves to a"
            raise OutboundRefused(
                f"{what} {reason} address; server-side fetches reach public addresses only "
                "(an operator may allow a network with APIM_OUTBOUND_ALLOW)"
            )
    return str(addresses[0])


class GuardedTransport(httpx.AsyncBaseTransport):
    """Checks each request's host before the wrapped transport connects, to the checked address."""

    def __init__(
        self,
        policy: OutboundPolicy,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.policy = policy
        self._transport = transport if transport is not None else httpx.AsyncHTTPTransport()
        self._resolver = resolver

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in _DEFAULT_PORTS:
            raise OutboundRefused(f"'{url.scheme}' URLs are not fetched; use http or https")
        port = url.port or _DEFAULT_PORTS[url.scheme]
        if not 0 < port < 65536:
            raise httpx.InvalidURL(f"Invalid port: {port}")
        address = await checked_address(url.host, port, self.policy, self._resolver)
        extensions = dict(request.extensions)
        if url.scheme == "https":
            # TLS still names (and verifies) the host, though the socket goes to the checked address.
            extensions["sni_hostname"] = url.host
        pinned = httpx.Request(
            request.method,
            url.copy_with(host=address),
            headers=request.headers,  # keeps the Host header of the name
            stream=request.stream,
            extensions=extensions,
        )
        return await self._transport.handle_async_request(pinned)

    async def aclose(self) -> None:
        await self._transport.aclose()


def guarded_client(
    policy: OutboundPolicy,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    resolver: Resolver = system_resolver,
    timeout: float = 10.0,
    crypto: CryptoPolicy | None = None,
) -> httpx.AsyncClient:
    """The HTTP client for fetches a user aims; created once per app (its lifespan closes it).
    ``crypto``: the TLS rules of its connections (the policy in force when not given)."""
    if transport is None:
        transport = httpx.AsyncHTTPTransport(verify=(crypto or active()).httpx_verify())
    return httpx.AsyncClient(
        transport=GuardedTransport(policy, transport=transport, resolver=resolver),
        timeout=timeout,
        max_redirects=MAX_REDIRECTS,
        trust_env=False,  # an environment proxy would connect on our behalf, past the check
    )


class TooLarge(BadRequest):
    default_message = "Response too large"


async def fetch_bytes(
    client: httpx.AsyncClient, url: str, *, max_bytes: int, follow_redirects: bool = True
) -> tuple[int, bytes]:
    """The status and at most ``max_bytes`` of the body of ``GET url`` (the rest is never buffered).

    Raises ``OutboundRefused`` for a refused target, ``httpx.InvalidURL`` for a URL that does not
    parse, ``TooLarge`` beyond the limit, and ``httpx.HTTPError`` when it cannot be reached.
    """
    too_large = TooLarge(f"The document at the URL is larger than {max_bytes} bytes")
    # Asked uncompressed: a compressed body is only bounded after each chunk is inflated.
    headers = {"Accept-Encoding": "identity"}
    request = client.build_request("GET", url, headers=headers)
    response = await client.send(request, stream=True, follow_redirects=follow_redirects)
    try:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise too_large
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > max_bytes:
                raise too_large
    finally:
        await response.aclose()
    return response.status_code, bytes(body)
