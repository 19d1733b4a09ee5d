"""Mutual TLS of one deployed revision: the client certificates uploaded for the API and the rule
saying how a certificate combines with the application-level schemes, compiled once per revision.

The rule comes from ``securityScheme`` as in WSO2 4.3. ``mutualssl`` turns mutual TLS on;
``mutualssl_mandatory`` makes the certificate required; ``oauth_basic_auth_api_key_mandatory``
makes the application-level credential (``oauth2``, ``api_key``, ``basic_auth``) required. An API
with ``mutualssl`` and no application-level scheme needs the certificate whatever the flags say.

=====================  ====================  =============================================
certificate mandatory  application mandatory  a call passes with
=====================  ====================  =============================================
yes                    yes                   a known certificate and an application credential
yes                    no                    a known certificate (the credential is not read)
no                     yes                   an application credential (the certificate is not read)
no                     no                    a known certificate, else an application credential
=====================  ====================  =============================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MUTUAL_SSL = "mutualssl"
MUTUAL_SSL_MANDATORY = "mutualssl_mandatory"
APPLICATION_MANDATORY = "oauth_basic_auth_api_key_mandatory"
APPLICATION_SCHEMES = frozenset(("oauth2", "api_key", "basic_auth"))


@dataclass(frozen=True, slots=True)
class Rule:
    """How a call to an API with mutual TLS is authenticated."""

    read_certificate: bool  # whether the certificate is looked at at all
    certificate_required: bool  # a missing, unknown or expired certificate is 401 900901
    certificate_suffices: bool  # a known certificate authenticates the call on its own


# (certificate mandatory, application credential mandatory) -> rule; the table of the docstring.
RULES: Mapping[tuple[bool, bool], Rule] = {
    (True, True): Rule(read_certificate=True, certificate_required=True, certificate_suffices=False),
    (True, False): Rule(read_certificate=True, certificate_required=True, certificate_suffices=True),
    (False, True): Rule(read_certificate=False, certificate_required=False, certificate_suffices=False),
    (False, False): Rule(read_certificate=True, certificate_required=False, certificate_suffices=True),
}


@dataclass(frozen=True, slots=True)
class ClientCertificate:
    """An uploaded certificate as the gateway knows it: never more than public data."""

    alias: str
    subject: str  # RFC 4514, e.g. CN=orders-client,O=Example
    tier: str | None  # the subscription-level tier of a call authenticated by this certificate
    sha256: str  # lower-case hex of the SHA-256 of the DER
    not_before: float  # POSIX seconds
    not_after: float

    def valid_at(self, now: float) -> bool:
        return self.not_before <= now <= self.not_after


@dataclass(frozen=True, slots=True)
class MutualTls:
    rule: Rule
    certificates: Mapping[str, ClientCertificate]  # by SHA-256 fingerprint


def _posix(value: Any) -> float:
    return datetime.fromisoformat(str(value)).timestamp()


def compile_mutual_tls(schemes: Iterable[str], raw_certificates: Any) -> MutualTls | None:
    """None when the API has no mutual TLS: the request path then checks one attribute, no more."""
    security = frozenset(schemes)
    if MUTUAL_SSL not in security:
        return None
    has_application = bool(security & APPLICATION_SCHEMES)
    certificate_mandatory = MUTUAL_SSL_MANDATORY in security or not has_application
    application_mandatory = has_application and APPLICATION_MANDATORY in security
    certificates: dict[str, ClientCertificate] = {}
    for raw in raw_certificates or ():
        certificate = ClientCertificate(
            alias=str(raw["alias"]),
            subject=str(raw.get("subject") or ""),
            tier=str(raw["tier"]) if raw.get("tier") else None,
            sha256=str(raw["sha256"]).lower(),
            not_before=_posix(raw["notBefore"]),
            not_after=_posix(raw["notAfter"]),
        )
        certificates[certificate.sha256] = certificate
    return MutualTls(rule=RULES[(certificate_mandatory, application_mandatory)], certificates=certificates)
