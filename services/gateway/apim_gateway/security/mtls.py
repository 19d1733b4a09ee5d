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
"""

from __future__ import annotations

import binascii
import hashlib
import ipaddress
import time
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote

from apim_common.outbound import IPNetwork, embedded, parse_networks
from apim_gateway.context import Headers, header
from apim_gateway.runtime.client_certificates import ClientCertificate, MutualTls

_BEGIN = "-----BEGIN CERTIFICATE-----"
_END = "-----END CERTIFICATE-----"
_HEX = frozenset("0123456789abcdef")


def pem_fingerprint(pem: str) -> str | None:
    """The hex SHA-256 of the DER of the first certificate in ``pem``, or None if there is none."""
    start = pem.find(_BEGIN)
    end = pem.find(_END, start + 1)
    if start < 0 or end < 0:
        return None
    body = "".join(pem[start + len(_BEGIN) : end].split())
    try:
        der = binascii.a2b_base64(body.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError):
        return None
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
    """The fingerprint of the right-most element of an ``x-forwarded-client-cert`` value."""
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
class ClientCertificateReader:
    """Built once from the settings; read only for APIs with mutual TLS."""

    header: str  # lower-case
    form: Literal["nginx", "envoy"]
    trusted: tuple[IPNetwork, ...]

    @classmethod
    def of(
        cls, header: str, form: Literal["nginx", "envoy"], trusted_proxies: str
    ) -> ClientCertificateReader:
        return cls(header=header.strip().lower(), form=form, trusted=parse_networks(trusted_proxies))

    def trusts(self, client_ip: str) -> bool:
        if not self.trusted or not client_ip:
            return False
        try:
            address = embedded(ipaddress.ip_address(client_ip))
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

    def fingerprint(self, headers: Headers, client_ip: str) -> str | None:
        """The forwarded certificate's fingerprint; None without one or from an untrusted peer."""
        value = header(headers, self.header)
        if value is None or not self.trusts(client_ip):
            return None
        if self.form == "envoy":
            return envoy_fingerprint(value)
        return pem_fingerprint(unquote(value))

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
