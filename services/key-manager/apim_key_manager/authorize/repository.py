"""SQL of authorization codes."""

from __future__ import annotations

from sqlalchemy import delete, update

from apim_common.repository import Repository
from apim_key_manager.authorize.models import AuthorizationCode


class AuthorizationCodeRepository(Repository[AuthorizationCode]):
    model = AuthorizationCode

    async def claim(self, code_hash: str, now: int) -> bool:
        """Mark the code used; False if it was already (only one concurrent redemption wins)."""
        result = await self.session.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.code_hash == code_hash, AuthorizationCode.used_at.is_(None))
            .values(used_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def prune(self, now: int) -> None:
        # A used code is kept until it expires, so a replay within its life is still recognised.
        await self.session.execute(delete(AuthorizationCode).where(AuthorizationCode.expires_at < now))
