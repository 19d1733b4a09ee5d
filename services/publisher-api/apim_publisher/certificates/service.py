"""Certificates are checked when uploaded (a readable X.509 certificate, a unique alias; a client
certificate unexpired, with a known subscription tier).

A revision keeps the API's client certificates as they are when it is taken (``for_revision``), so
a change reaches the gateway with the next deployed revision, as in WSO2 4.x.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.crypto_policy import CryptoPolicyError, active
from apim_common.errors import BadRequest, Conflict, NotFound
from apim_common.repository import Repository
from apim_publisher.catalog.service import SUBSCRIPTION_TIER, KnownRepository
from apim_publisher.certificates.models import Certificate
from apim_publisher.common import utcnow

CLIENT = "client"
ENDPOINT = "endpoint"


class CertificateRepository(Repository[Certificate]):
    model = Certificate

    async def of_kind(self, tenant: str, kind: str) -> Sequence[Certificate]:
        return await self.all(
            select(Certificate)
            .where(Certificate.tenant == tenant, Certificate.kind == kind)
            .order_by(Certificate.alias)
        )

    async def aliased(self, tenant: str, kind: str, alias: str) -> Certificate | None:
        return await self.one_or_none(
            select(Certificate).where(
                Certificate.tenant == tenant, Certificate.kind == kind, Certificate.alias == alias
            )
        )


def load(content: bytes) -> tuple[x509.Certificate, str]:
    """The certificate and its PEM text; PEM or DER (raw or base64) are accepted."""
    text = content.strip()
    try:
        if b"-----BEGIN CERTIFICATE-----" in text:
            certificate = x509.load_pem_x509_certificate(text)
        else:
            try:
                der = base64.b64decode(text, validate=True)
            except ValueError:
                der = text
            certificate = x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise BadRequest("The file is not an X.509 certificate", message="Invalid certificate") from exc
    return certificate, certificate.public_bytes(Encoding.PEM).decode()


def _check_crypto(certificate: x509.Certificate) -> None:
    """In FIPS mode a certificate's key and signature must be approved (apim_common.crypto_policy)."""
    policy = active()
    try:
        policy.check_key(certificate.public_key())
        digest = certificate.signature_hash_algorithm
        if digest is not None:
            policy.check_hash(digest.name)
    except CryptoPolicyError as exc:
        raise BadRequest(f"The certificate is refused: {exc}", message="Invalid certificate") from exc


def info(row: Certificate) -> dict[str, Any]:
    """WSO2's CertificateInfo."""
    certificate, _ = load(row.pem.encode())
    now = datetime.now(UTC)
    valid = certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc
    return {
        "status": "Active" if valid else "Expired",
        "validity": {
            "from": certificate.not_valid_before_utc.isoformat(),
            "to": certificate.not_valid_after_utc.isoformat(),
        },
        "version": str(certificate.version.value + 1),
        "subject": certificate.subject.rfc4514_string(),
    }


async def get(
    session: AsyncSession, tenant: str, kind: str, alias: str, api_id: str | None = None
) -> Certificate:
    row = await CertificateRepository(session).aliased(tenant, kind, alias)
    if row is None or (api_id is not None and row.api_id != api_id):
        raise NotFound(f"Certificate '{alias}' not found", message="Certificate Not Found")
    return row


async def add(
    session: AsyncSession,
    tenant: str,
    kind: str,
    alias: str,
    content: bytes,
    *,
    api_id: str | None = None,
    endpoint: str | None = None,
    tier: str | None = None,
) -> Certificate:
    if not alias.strip() or len(alias) > 100:
        raise BadRequest("An alias of 1 to 100 characters is required")
    if await CertificateRepository(session).aliased(tenant, kind, alias) is not None:
        raise Conflict(f"A certificate with alias '{alias}' exists", message="Certificate alias exists")
    certificate, pem = load(content)
    _check_crypto(certificate)
    if kind == CLIENT:
        _refuse_expired(certificate)
        await _check_tier(session, tenant, tier)
    row = Certificate(
        id=str(uuid.uuid4()),
        tenant=tenant,
        kind=kind,
        alias=alias,
        api_id=api_id,
        endpoint=endpoint,
        tier=tier,
        pem=pem,
        created_at=utcnow(),
    )
    return await CertificateRepository(session).add(row)


async def replace(
    session: AsyncSession, row: Certificate, content: bytes | None, tier: str | None
) -> Certificate:
    if content:
        certificate, pem = load(content)
        _check_crypto(certificate)
        if row.kind == CLIENT:
            _refuse_expired(certificate)
        row.pem = pem
    if tier:
        if row.kind == CLIENT:
            await _check_tier(session, row.tenant, tier)
        row.tier = tier
    await session.flush()
    return row


def _refuse_expired(certificate: x509.Certificate) -> None:
    if certificate.not_valid_after_utc < datetime.now(UTC):
        raise BadRequest(
            f"certificate: expired on {certificate.not_valid_after_utc.isoformat()}",
            message="Certificate is expired",
        )


async def _check_tier(session: AsyncSession, tenant: str, tier: str | None) -> None:
    """A client certificate's tier limits its calls as a subscription tier does: it must be one."""
    names = {
        str(r.data.get("name")) for r in await KnownRepository(session).visible(SUBSCRIPTION_TIER, tenant)
    }
    if tier not in names:
        raise BadRequest(
            f"tier: '{tier}' is not a subscription tier (one of: {', '.join(sorted(names))})",
            message="Invalid tier",
        )


def fingerprint(certificate: x509.Certificate) -> str:
    """Hex SHA-256 of the DER: what the gateway matches a forwarded certificate by."""
    return hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()


async def for_revision(session: AsyncSession, tenant: str, api_id: str) -> list[dict[str, Any]]:
    """The API's client certificates as a revision keeps them: public data only."""
    kept = []
    for row in await CertificateRepository(session).of_kind(tenant, CLIENT):
        if row.api_id != api_id:
            continue
        certificate, _ = load(row.pem.encode())
        kept.append(
            {
                "alias": row.alias,
                "tier": row.tier,
                "subject": certificate.subject.rfc4514_string(),
                "sha256": fingerprint(certificate),
                "notBefore": certificate.not_valid_before_utc.isoformat(),
                "notAfter": certificate.not_valid_after_utc.isoformat(),
            }
        )
    return kept
