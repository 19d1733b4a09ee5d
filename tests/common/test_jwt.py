import base64
import json
import time
from typing import Any

import pytest
from jwcrypto import jwk, jwt

from apim_common import jwt as apim_jwt
from apim_common.jwt import ExpiredToken, InvalidToken, JWKSVerifier
from tests.support.tokens import TEST_ISSUER, TokenFactory


def verifier_for(document: dict[str, Any], calls: list[int] | None = None, **kwargs: Any) -> JWKSVerifier:
    async def fetch() -> dict[str, Any]:
        if calls is not None:
            calls.append(1)
        return document

    return JWKSVerifier(fetch, issuer=TEST_ISSUER, min_refresh_interval=0, **kwargs)


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_a_valid_rs256_token_verifies(tokens: TokenFactory) -> None:
    claims = await verifier_for(tokens.jwks()).verify(tokens.mint("alice", "apim:api_view"))
    assert claims["sub"] == "alice@carbon.super"
    assert claims["scope"] == "apim:api_view"


async def test_alg_none_is_refused(tokens: TokenFactory) -> None:
    forged = f"{b64({'alg': 'none', 'kid': tokens.kid})}.{b64({'sub': 'x', 'exp': time.time() + 60})}."
    with pytest.raises(InvalidToken, match="not accepted"):
        await verifier_for(tokens.jwks()).verify(forged)


async def test_hs256_signed_with_the_public_key_is_refused(tokens: TokenFactory) -> None:
    public_pem = tokens.key.export_to_pem()
    hmac_key = jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(public_pem).rstrip(b"=").decode())
    token = jwt.JWT(
        header={"alg": "HS256", "kid": tokens.kid},
        claims={"sub": "x", "iss": TEST_ISSUER, "exp": int(time.time()) + 60},
    )
    token.make_signed_token(hmac_key)
    with pytest.raises(InvalidToken):
        await verifier_for(tokens.jwks()).verify(token.serialize())


async def test_a_tampered_token_is_refused(tokens: TokenFactory) -> None:
    header, _, signature = tokens.mint("alice").split(".")
    tampered = f"{header}.{b64({'sub': 'admin@carbon.super', 'exp': time.time() + 60})}.{signature}"
    with pytest.raises(InvalidToken):
        await verifier_for(tokens.jwks()).verify(tampered)


async def test_an_expired_token_is_reported_as_expired(tokens: TokenFactory) -> None:
    with pytest.raises(ExpiredToken):
        await verifier_for(tokens.jwks(), leeway=0).verify(tokens.mint("alice", expires_in=-10))


async def test_an_untrusted_issuer_is_refused() -> None:
    other = TokenFactory(issuer="https://evil.example/token")
    with pytest.raises(InvalidToken, match="issuer"):
        await verifier_for(other.jwks()).verify(other.mint("alice"))


async def test_an_unknown_kid_refreshes_the_key_set_once(tokens: TokenFactory) -> None:
    rotated = TokenFactory()
    document: dict[str, Any] = tokens.jwks()
    calls: list[int] = []
    verifier = verifier_for(document, calls)
    await verifier.verify(tokens.mint("alice"))
    assert len(calls) == 1
    document["keys"] = document["keys"] + rotated.jwks()["keys"]  # the key manager rotated its key
    await verifier.verify(rotated.mint("bob"))
    assert len(calls) == 2
    await verifier.verify(tokens.mint("alice"))
    assert len(calls) == 2  # known kids are served from the cache


async def test_an_audience_is_checked_when_configured(tokens: TokenFactory) -> None:
    verifier = verifier_for(tokens.jwks(), audience="expected-client")
    with pytest.raises(InvalidToken, match="audience"):
        await verifier.verify(tokens.mint("alice", client_id="another-client"))
    assert (await verifier.verify(tokens.mint("alice", client_id="expected-client")))[
        "azp"
    ] == "expected-client"


async def test_an_api_key_is_not_accepted_as_an_access_token(tokens: TokenFactory) -> None:
    api_key = tokens.mint("admin", "apim:admin", token_type="apiKey")
    with pytest.raises(InvalidToken, match="API key"):
        await verifier_for(tokens.jwks()).verify(api_key)


async def test_a_token_sent_again_is_not_parsed_or_its_signature_checked_again(
    tokens: TokenFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier = verifier_for(tokens.jwks())
    token, other = tokens.mint("alice", "apim:api_view"), tokens.mint("bob")
    first = await verifier.verify(token)
    checked: list[str] = []
    original = apim_jwt.jwcrypto_jwt.JWT

    def counting(*args: Any, **kwargs: Any) -> Any:
        checked.append(kwargs["jwt"])
        return original(*args, **kwargs)

    monkeypatch.setattr(apim_jwt.jwcrypto_jwt, "JWT", counting)
    assert await verifier.verify(token) == first
    assert checked == []
    assert (await verifier.verify(other))["sub"] == "bob@carbon.super"
    assert checked == [other]


async def test_a_remembered_token_is_refused_once_it_expires(
    tokens: TokenFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier = verifier_for(tokens.jwks(), leeway=0)
    token = tokens.mint("alice", expires_in=60)
    await verifier.verify(token)
    later = time.time() + 120
    monkeypatch.setattr(apim_jwt.time, "time", lambda: later)
    with pytest.raises(ExpiredToken):
        await verifier.verify(token)


async def test_a_token_whose_key_left_the_set_is_refused_after_the_set_is_fetched_again(
    tokens: TokenFactory,
) -> None:
    rotated = TokenFactory()
    document: dict[str, Any] = tokens.jwks()
    verifier = verifier_for(document)
    old = tokens.mint("alice")
    await verifier.verify(old)
    document["keys"] = rotated.jwks()["keys"]  # the old key is withdrawn
    await verifier.verify(rotated.mint("bob"))  # an unknown kid: the set is fetched again
    with pytest.raises(InvalidToken, match="unknown key"):
        await verifier.verify(old)


async def test_a_verifier_remembers_a_bounded_number_of_tokens(
    tokens: TokenFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(apim_jwt, "VERIFIED_TOKENS", 3)
    verifier = verifier_for(tokens.jwks())
    minted = [tokens.mint(f"user{n}") for n in range(5)]
    for token in minted:
        await verifier.verify(token)
    assert list(verifier._verified) == minted[2:]
