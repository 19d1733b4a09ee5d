"""HMAC signatures of WebSub bodies: what the hub signs for subscribers and checks of providers.

A subscriber that gave ``hub.secret`` gets ``X-Hub-Signature: sha256=<hex HMAC of the body>``.
A provider signs its events with the API's ``websubSubscriptionConfiguration`` secret and
algorithm, in its ``signatureHeader``, as ``<algorithm>=<hex>`` (GitHub's form) or the bare hex.
"""

from __future__ import annotations

import hmac

SIGNATURE_HEADER = "X-Hub-Signature"
# signingAlgorithm as WSO2 spells it -> the hashlib name.
ALGORITHMS = {"SHA1": "sha1", "SHA256": "sha256", "SHA384": "sha384", "SHA512": "sha512"}


def algorithm_name(value: str | None) -> str:
    """The hashlib name of a ``signingAlgorithm`` (SHA1 when none is set, as in WSO2's example)."""
    name = ALGORITHMS.get((value or "SHA1").upper().replace("-", ""))
    if name is None:
        raise ValueError(f"signingAlgorithm {value!r} is not one of {', '.join(ALGORITHMS)}")
    return name


def sign(secret: bytes, body: bytes, algorithm: str = "sha256") -> str:
    return f"{algorithm}={hmac.new(secret, body, algorithm).hexdigest()}"


def verify(secret: bytes, body: bytes, algorithm: str, presented: str | None) -> bool:
    if not presented:
        return False
    value = presented.strip()
    prefix, sep, rest = value.partition("=")
    if sep:
        if prefix.lower() != algorithm:
            return False
        value = rest
    expected = hmac.new(secret, body, algorithm).hexdigest()
    return hmac.compare_digest(expected, value.lower())


__all__ = ["ALGORITHMS", "SIGNATURE_HEADER", "algorithm_name", "sign", "verify"]
