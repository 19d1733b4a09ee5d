"""Revocation without token persistence: a revoked jti is kept until the token expires; indirect
revocation keeps a rule "tokens of client K / subject U issued before T". Each one goes out on the
token-revocations topic, in the same transaction, for the gateways and every control-plane
service (apim_common.revocations), which also pull ``snapshot`` on start."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.events.envelope import new_event
from apim_common.events.outbox import emit
from apim_common.events.schemas import TokenRevokedData, TokensRevokedBeforeData
from apim_common.events.topics import Topic
from apim_key_manager.models import outbox
from apim_key_manager.revocation.models import RevocationRule, RevokedToken
from apim_key_manager.revocation.repository import RevocationRepository
from apim_key_manager.tenants.repository import TenantRepository

SOURCE = "key-manager"
TOKEN_REVOKED = "token.revoked"
TOKENS_REVOKED_BEFORE = "tokens.revoked-before"
BARRIER = "revocation_before"


async def revoke_token(session: AsyncSession, jti: str, expires_at: int, tenant: str) -> bool:
    """Revoke one token by its jti; False if it already was."""
    repo = RevocationRepository(session)
    if await repo.jti_revoked(jti):
        return False
    await repo.add(RevokedToken(jti=jti, expires_at=expires_at))
    data = TokenRevokedData(jti=jti, expiresAt=expires_at).model_dump(mode="json", exclude_none=True)
    event = new_event(SOURCE, TOKEN_REVOKED, jti, data, tenant=tenant)
    await emit(session, outbox, Topic.TOKEN_REVOCATIONS, event)
    return True


async def revoke_issued_before(
    session: AsyncSession,
    *,
    tenant: str,
    lifetime: int,
    client_id: str | None = None,
    subject: str | None = None,
) -> int:
    """Revoke every token of ``client_id`` or of ``subject`` (``user@tenant``) issued until now.

    ``lifetime`` is the longest life of a token the rule can match: the rule is kept that long.
    Tokens carry whole-second ``iat``s, so the rule starts at the next whole second, shared by
    every rule of the transaction, and ``settle`` holds the commit until then: tokens issued under
    the old state have ``iat < before``, tokens issued once the change is visible have
    ``iat >= before`` (only those issued while the commit itself runs are not told apart).
    """
    before: int = session.info.setdefault(BARRIER, math.floor(time.time()) + 1)
    now = int(time.time())
    await RevocationRepository(session).add_rule(
        RevocationRule(client_id=client_id, subject=subject, before=before, expires_at=now + lifetime)
    )
    data = TokensRevokedBeforeData(before=before, clientId=client_id, username=subject).model_dump(
        mode="json", exclude_none=True
    )
    event = new_event(SOURCE, TOKENS_REVOKED_BEFORE, client_id or subject or "", data, tenant=tenant)
    await emit(session, outbox, Topic.TOKEN_REVOCATIONS, event)
    return before


async def settle(session: AsyncSession) -> None:
    """Wait, before committing, until the rules written in this transaction take effect."""
    before = session.info.pop(BARRIER, None)
    if before is not None:
        await asyncio.sleep(max(0.0, before - time.time()))


async def is_revoked(session: AsyncSession, claims: dict[str, Any]) -> bool:
    """Revoked by jti or by a rule, or of a tenant that is inactive (refused until reactivated)."""
    tenant = claims.get("tenant")
    if isinstance(tenant, str) and await TenantRepository(session).is_inactive(tenant):
        return True
    jti = claims.get("jti")
    iat = claims.get("iat")
    client_id = claims.get("azp") or claims.get("client_id")
    subject = claims.get("sub")
    return await RevocationRepository(session).revoked(
        jti if isinstance(jti, str) else None,
        str(client_id) if client_id else None,
        str(subject) if subject else None,
        iat if isinstance(iat, int) else None,
    )


async def snapshot(session: AsyncSession) -> dict[str, Any]:
    """Everything refused now: unexpired revoked jtis, live rules, inactive tenants."""
    repo = RevocationRepository(session)
    now = int(time.time())
    rules = []
    for rule in await repo.rules_until(now):
        entry: dict[str, Any] = {"before": rule.before}
        if rule.client_id is not None:
            entry["clientId"] = rule.client_id
        if rule.subject is not None:
            entry["username"] = rule.subject
        rules.append(entry)
    return {
        "revokedTokens": [{"jti": t.jti, "expiresAt": t.expires_at} for t in await repo.revoked_until(now)],
        "rules": rules,
        "inactiveTenants": list(await TenantRepository(session).inactive_domains()),
    }
