"""Secrets kept at rest and carried to the gateways sealed with a key derived from APIM_SECRET_KEY.

A sealed value is ``sealed:`` followed by a compact JWE (``dir``, ``A256GCM``): authenticated, so a
value altered or sealed under another installation's key fails to open rather than yielding
garbage. Every service of one deployment shares APIM_SECRET_KEY, so the publisher seals and a
gateway opens without a key exchange; each ``purpose`` derives its own key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from jwcrypto import jwe, jwk
from jwcrypto.common import JWException

from apim_common.crypto_policy import active

PREFIX = "sealed:"
# The purpose under which the publisher seals backend credentials and the gateways open them.
ENDPOINT_SECRETS = "endpoint-security"
_HEADER = json.dumps({"alg": "dir", "enc": "A256GCM"})


class SealedSecretError(ValueError):
    """The value is not one this installation sealed (another APIM_SECRET_KEY, or altered)."""


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


class SecretBox:
    """Seals and opens strings for one purpose."""

    __slots__ = ("_key",)

    def __init__(self, secret_key: str, purpose: str) -> None:
        active().check_jwe("dir", "A256GCM")  # approved in FIPS mode too (apim_common.crypto_policy)
        raw = hmac.new(secret_key.encode(), b"apim-sealed:" + purpose.encode(), hashlib.sha256).digest()
        self._key = jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(raw).rstrip(b"=").decode())

    def seal(self, plaintext: str) -> str:
        token = jwe.JWE(plaintext.encode(), protected=_HEADER)
        token.add_recipient(self._key)
        compact: str = token.serialize(compact=True)
        return PREFIX + compact

    def open(self, sealed: str) -> str:
        if not is_sealed(sealed):
            raise SealedSecretError("the value is not sealed")
        token = jwe.JWE()
        try:
            token.deserialize(sealed[len(PREFIX) :], key=self._key)
        except (JWException, ValueError) as exc:
            raise SealedSecretError(
                "cannot open: APIM_SECRET_KEY differs from the one that sealed it"
            ) from exc
        payload: bytes = token.payload
        return payload.decode()
