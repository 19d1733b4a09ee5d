"""SQL of revoked jtis and revocation rules."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, exists, or_, select

from apim_common.repository import Repository
from apim_key_manager.revocation.models import RevocationRule, RevokedToken


class RevocationRepository(Repository[RevokedToken]):
    model = RevokedToken

    async def jti_revoked(self, jti: str) -> bool:
        return bool(await self.session.scalar(select(exists().where(RevokedToken.jti == jti))))

    async def revoked(
        self, jti: str | None, client_id: str | None, subject: str | None, issued_at: int | None
    ) -> bool:
        """The jti is revoked, or a rule covers the client or subject issued before: one round trip."""
        checks = []
        if jti:
            checks.append(exists().where(RevokedToken.jti == jti))
        conditions = []
        if client_id:
            conditions.append(RevocationRule.client_id == client_id)
        if subject:
            conditions.append(RevocationRule.subject == subject)
        if conditions and issued_at is not None:
            checks.append(exists().where(or_(*conditions), RevocationRule.before > issued_at))
        if not checks:
            return False
        return bool(await self.session.scalar(select(or_(*checks))))

    async def add_rule(self, rule: RevocationRule) -> None:
        self.session.add(rule)
        await self.session.flush()

    async def revoked_until(self, now: int) -> Sequence[RevokedToken]:
        """The revoked jtis whose tokens have not expired yet."""
        rows = await self.session.scalars(select(RevokedToken).where(RevokedToken.expires_at >= now))
        return rows.all()

    async def rules_until(self, now: int) -> Sequence[RevocationRule]:
        """The rules that can still match an unexpired token."""
        rows = await self.session.scalars(select(RevocationRule).where(RevocationRule.expires_at >= now))
        return rows.all()

    async def prune(self, now: int) -> None:
        await self.session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now))
        await self.session.execute(delete(RevocationRule).where(RevocationRule.expires_at < now))
