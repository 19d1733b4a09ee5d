"""jwtClaimBasedAccessValidator: allow or deny by a claim of the caller's JWT.

The claim is read from ``exchange.auth.claims`` (a list claim matches if any of its values does).
It matches when it equals ``accessVerificationClaimValue`` or, with
``accessVerificationClaimValueRegex`` set, when both the configured value and the claim fully
match that pattern (WSO2's rule). ``shouldAllowValidation`` true lets only matching callers
through; false turns the policy into a deny rule. Refusals are 403 with WSO2's codes:
900913 when the claim is missing, 900912 when it does not pass. The pattern runs on RE2 (linear
time): a claim's value is the caller's to choose.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import re2

from apim_common.policy_specs import linear_pattern_error
from apim_gateway.context import Exchange
from apim_gateway.policies.base import PolicyRefusal, Reply, register
from apim_gateway.policies.builtin._common import BuiltinPolicy, utf8

CLAIMS_MISMATCH = ("900912", "Claim Mismatch")
CLAIMS_INVALID = ("900913", "Claim Invalid")


def _claim_values(value: Any) -> list[str]:
    items = value if isinstance(value, list | tuple | set | frozenset) else [value]
    out: list[str] = []
    for item in items:
        if item is None:
            continue
        text = ("true" if item else "false") if isinstance(item, bool) else str(item)
        if text.strip():
            out.append(text)
    return out


@register
class JwtClaimBasedAccess(BuiltinPolicy):
    name = "jwtClaimBasedAccessValidator"

    def __init__(self, parameters: Mapping[str, Any]) -> None:
        super().__init__(parameters)
        self.claim: str = self.values["accessVerificationClaim"]
        self.expected: str = self.values["accessVerificationClaimValue"]
        self.allow_on_match: bool = self.values["shouldAllowValidation"]
        regex: str | None = self.values["accessVerificationClaimValueRegex"]
        self.pattern: Any = None
        if regex:
            reason = linear_pattern_error(regex)
            if reason is not None:
                raise self.config_error("accessVerificationClaimValueRegex", reason)
            self.pattern = re2.compile(regex)
            # Decided once: with a pattern the configured value must match it too.
            self.expected_matches = self.pattern.fullmatch(utf8(self.expected)) is not None

    def _matches(self, values: list[str]) -> bool:
        if self.pattern is not None:
            return self.expected_matches and any(self.pattern.fullmatch(utf8(v)) for v in values)
        return self.expected in values

    async def on_request(self, exchange: Exchange) -> Reply | None:
        values = _claim_values(exchange.auth.claims.get(self.claim))
        if not values:
            code, message = CLAIMS_INVALID
            raise PolicyRefusal(403, code, message, f'Token doesn\'t contain the claim "{self.claim}"')
        if self._matches(values) != self.allow_on_match:
            code, message = CLAIMS_MISMATCH
            raise PolicyRefusal(
                403,
                code,
                message,
                "The claim configured in the system and the claim provided in the token do not align.",
            )
        return None
