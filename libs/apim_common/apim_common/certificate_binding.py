"""Client certificates of a call, and the tokens bound to them (RFC 8705).

A certificate-bound access token carries ``cnf: {"x5t#S256": <base64url SHA-256 of the DER>}``:
the key manager writes it when the client authenticated at the token endpoint with a
certificate, the gateway accepts the token only from a call presenting that certificate.

A service learns a call's certificate in one of two ways:

- Its own TLS listener, served with ``peer_certificate_protocol(...)``: the uvicorn HTTP protocol
  reads the peer certificate once per connection and hands it to the app as ASGI's ``tls`` scope
  extension (``client_cert_chain``), its thumbprint already computed under ``x5t#S256``, so a
  request costs a dict lookup.
- A TLS terminator in front (ingress-nginx, Envoy), forwarding it in a header
  (``ForwardedCertificate``), believed only from the trusted proxies. Two forms:
  ``nginx`` (the URL-encoded PEM, ``$ssl_client_escaped_cert``) and ``envoy``
  (``x-forwarded-client-cert``: comma-separated elements of ``Key=value`` pairs; the right-most is
  the nearest proxy's; its ``Cert`` is read, else its ``Hash``, the hex SHA-256 of the DER).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import ipaddress
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote

from uvicorn.protocols.http.auto import AutoHTTPProtocol
from uvicorn.protocols.websockets.auto import AutoWebSocketsProtocol

from apim_common.outbound import IPNetwork, embedded, parse_networks

# The confirmation method of RFC 8705 3.1, a key of the ``cnf`` claim.
X5T_S256 = "x5t#S256"
CNF = "cnf"

_BEGIN = "-----BEGIN CERTIFICATE-----"
_END = "-----END CERTIFICATE-----"
_HEX = frozenset("0123456789abcdef")


def thumbprint(der: bytes) -> str:
    """RFC 8705's ``x5t#S256``: the unpadded base64url SHA-256 of the certificate's DER."""
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode("ascii")


def thumbprint_of_hex(hex_digest: str) -> str:
    """The ``x5t#S256`` of a certificate known by its hex SHA-256 (as the gateway keys them)."""
    return base64.urlsafe_b64encode(bytes.fromhex(hex_digest)).rstrip(b"=").decode("ascii")


def pem_der(pem: str) -> bytes | None:
    """The DER of the first certificate in ``pem``, or None if there is none."""
    start = pem.find(_BEGIN)
    end = pem.find(_END, start + 1)
    if start < 0 or end < 0:
        return None
    body = "".join(pem[start + len(_BEGIN) : end].split())
    try:
        der = binascii.a2b_base64(body.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError):
        return None
    return der or None


def pem_fingerprint(pem: str) -> str | None:
    """The hex SHA-256 of the DER of the first certificate in ``pem``, or None if there is none."""
    der = pem_der(pem)
    return hashlib.sha256(der).hexdigest() if der else None


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def envoy_fingerprint(value: str) -> str | None:
    """The hex fingerprint of the right-most element of an ``x-forwarded-client-cert`` value."""
    element = _split_outside_quotes(value, ",")[-1]
    fields: dict[str, str] = {}
    for pair in _split_outside_quotes(element, ";"):
        key, sep, raw = pair.partition("=")
        if sep:
            raw = raw.strip()
            if len(raw) >= 2 and raw[0] == raw[-1] == '"':
                raw = raw[1:-1]
            fields[key.strip().lower()] = raw
    cert = fields.get("cert")
    if cert:
        return pem_fingerprint(unquote(cert))
    digest = fields.get("hash", "").lower()
    return digest if len(digest) == 64 and set(digest) <= _HEX else None


@dataclass(frozen=True, slots=True)
class ForwardedCertificate:
    """The header a TLS terminator forwards the client certificate in; built once from settings."""

    header: str  # lower-case; empty reads no header
    form: Literal["nginx", "envoy"]
    trusted: tuple[IPNetwork, ...]

    @classmethod
    def of(cls, header: str, form: Literal["nginx", "envoy"], trusted_proxies: str) -> ForwardedCertificate:
        return cls(header=header.strip().lower(), form=form, trusted=parse_networks(trusted_proxies))

    def trusts(self, client_ip: str) -> bool:
        if not self.trusted or not client_ip:
            return False
        try:
            address = embedded(ipaddress.ip_address(client_ip))
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

    def read(self, value: str | None, client_ip: str) -> str | None:
        """The hex fingerprint in the header's ``value``; None without one or from an untrusted peer."""
        if value is None or not self.header or not self.trusts(client_ip):
            return None
        if self.form == "envoy":
            return envoy_fingerprint(value)
        return pem_fingerprint(unquote(value))


def peer_thumbprint(scope: Mapping[str, Any]) -> str | None:
    """The ``x5t#S256`` of the certificate the TLS peer presented, from ASGI's ``tls`` extension."""
    extensions = scope.get("extensions")
    tls = extensions.get("tls") if extensions else None
    if not tls:
        return None
    known = tls.get(X5T_S256)
    if isinstance(known, str):
        return known
    chain = tls.get("client_cert_chain")
    if not chain:
        return None
    der = pem_der(str(chain[0]))
    return thumbprint(der) if der else None


def bound_thumbprint(claims: Mapping[str, Any]) -> str | Literal[False] | None:
    """The thumbprint a token is bound to; None for an unbound token; False for a ``cnf`` this
    platform cannot confirm (another method, a malformed value), which no call satisfies."""
    cnf = claims.get(CNF)
    if cnf is None:
        return None
    if not isinstance(cnf, dict):
        return False
    value = cnf.get(X5T_S256)
    return value if isinstance(value, str) and value else False


def confirms(bound: str, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(bound.encode(), presented.encode())


def tls_extension(der: bytes | None) -> dict[str, Any]:
    """ASGI's ``tls`` scope extension for a peer certificate, plus its ``x5t#S256``."""
    return {
        "server_cert": None,
        "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
        "client_cert_name": None,
        "client_cert_error": None,
        "tls_version": None,
        "cipher_suite": None,
        X5T_S256: thumbprint(der) if der else None,
    }


class _WithPeerCertificate:
    """The app as one connection sees it: each request's scope carries the connection's ``tls``."""

    __slots__ = ("app", "tls")

    def __init__(self, app: Any, tls: dict[str, Any]) -> None:
        self.app = app
        self.tls = tls

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            scope["extensions"] = {**(scope.get("extensions") or {}), "tls": self.tls}
        await self.app(scope, receive, send)


def peer_certificate_protocol(base: type[asyncio.Protocol]) -> type[asyncio.Protocol]:
    """A uvicorn HTTP protocol (``uvicorn.Config(http=...)``) giving the app the TLS peer's
    certificate, read and hashed once per connection. Plain connections are left as they are."""

    class PeerCertificateProtocol(base):  # type: ignore[misc,valid-type]
        app: Any  # uvicorn's protocols keep the (wrapped) application here

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            ssl_object = transport.get_extra_info("ssl_object")
            if ssl_object is not None:
                der = ssl_object.getpeercert(binary_form=True)
                self.app = _WithPeerCertificate(self.app, tls_extension(der))

    return PeerCertificateProtocol


def tls_listener(
    certfile: Path, keyfile: Path, client_ca: Path | None, ciphers: str | None = None
) -> dict[str, Any]:
    """uvicorn's options for a TLS listener handing the app its peers' certificates, asked for
    (optional at the handshake) when ``client_ca`` names the CA bundle that signs them."""
    options: dict[str, Any] = {
        "ssl_certfile": str(certfile),
        "ssl_keyfile": str(keyfile),
        "http": peer_certificate_protocol(AutoHTTPProtocol),
    }
    if AutoWebSocketsProtocol is not None:  # an upgraded connection gets a protocol of its own
        options["ws"] = peer_certificate_protocol(AutoWebSocketsProtocol)  # type: ignore[arg-type]
    if client_ca is not None:
        options["ssl_ca_certs"] = str(client_ca)
        options["ssl_cert_reqs"] = ssl.CERT_OPTIONAL  # a call without one is still served
    if ciphers is not None:
        options["ssl_ciphers"] = ciphers
    return options
