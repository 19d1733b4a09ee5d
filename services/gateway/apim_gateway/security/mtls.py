"""The client certificate of a call, as the TLS terminator in front of the gateway forwards it.

The terminator (ingress-nginx, Envoy) does the TLS handshake and verifies the certificate's chain;
the gateway matches the certificate against those uploaded for the API (by the SHA-256 of its
DER) and their validity. The header is believed only when the TCP peer is one of the trusted
proxies (``APIM_GATEWAY_TRUSTED_PROXIES``): from any other address it is ignored, as if the call
carried no certificate, so a client reaching the gateway directly cannot claim one.

Two header forms:

- ``nginx``: the URL-encoded PEM (``$ssl_client_escaped_cert``, ingress-nginx's ``ssl-client-cert``).
- ``envoy``: ``x-forwarded-client-cert``, elements separated by commas, each ``Key=value`` pairs
  separated by semicolons (values may be quoted). Envoy appends its element, so the right-most is
  the one the nearest proxy wrote; its ``Cert`` (URL-encoded PEM) is read, else its ``Hash``
  (hex SHA-256 of the DER).

Certificate-bound access tokens (RFC 8705, ``apim_common.certificate_binding``): a token with
``cnf.x5t#S256`` is accepted on any API only from a call presenting that certificate, either to
the gateway's own TLS listener (ASGI's ``tls`` extension) or through the trusted header.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from apim_common.certificate_binding import (
    ForwardedCertificate,
    bound_thumbprint,
    confirms,
    envoy_fingerprint,
    peer_thumbprint,
    pem_fingerprint,
    thumbprint_of_hex,
)
from apim_gateway.context import Headers, header
from apim_gateway.runtime.client_certificates import ClientCertificate, MutualTls

__all__ = ["ClientCertificateReader", "envoy_fingerprint", "pem_fingerprint"]


@dataclass(frozen=True, slots=True)
class ClientCertificateReader:
    """Built once from the settings; read only for APIs with mutual TLS and for bound tokens."""

    forwarded: ForwardedCertificate

    @classmethod
    def of(
        cls, header: str, form: Literal["nginx", "envoy"], trusted_proxies: str
    ) -> ClientCertificateReader:
        return cls(ForwardedCertificate.of(header, form, trusted_proxies))

    def fingerprint(self, headers: Headers, client_ip: str) -> str | None:
        """The forwarded certificate's fingerprint; None without one or from an untrusted peer."""
        forwarded = self.forwarded
        return forwarded.read(header(headers, forwarded.header), client_ip)

    def certificate(
        self, mutual_tls: MutualTls, headers: Headers, client_ip: str
    ) -> ClientCertificate | None:
        """The API's uploaded certificate the call presents, valid now; None otherwise."""
        fingerprint = self.fingerprint(headers, client_ip)
        if fingerprint is None:
            return None
        known = mutual_tls.certificates.get(fingerprint)
        if known is None or not known.valid_at(time.time()):
            return None
        return known

    def presented_thumbprint(
        self, scope: Mapping[str, Any] | None, headers: Headers, client_ip: str
    ) -> str | None:
        """The ``x5t#S256`` of the call's certificate: the TLS peer's, else the trusted header's."""
        if scope is not None:
            peer = peer_thumbprint(scope)
            if peer is not None:
                return peer
        fingerprint = self.fingerprint(headers, client_ip)
        return thumbprint_of_hex(fingerprint) if fingerprint is not None else None

    def confirms(
        self, claims: Mapping[str, Any], scope: Mapping[str, Any] | None, headers: Headers, client_ip: str
    ) -> bool:
        """RFC 8705 3: a token bound to a certificate (``cnf.x5t#S256``) only with that certificate;
        an unbound token always. The certificate is read only for a bound token."""
        bound = bound_thumbprint(claims)
        if bound is None:
            return True
        if bound is False:
            return False
        return confirms(bound, self.presented_thumbprint(scope, headers, client_ip))
