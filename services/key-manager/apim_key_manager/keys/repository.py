"""SQL of the signing keys."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_

from apim_common.repository import Repository
from apim_key_manager.keys.models import SigningKey


class SigningKeyRepository(Repository[SigningKey]):
    model = SigningKey

    async def active(self, purpose: str) -> SigningKey | None:
        """The newest key of ``purpose`` still in service (the oldest wins if two replicas raced)."""
        statement = (
            self.select()
            .where(SigningKey.purpose == purpose, SigningKey.retired_at.is_(None))
            .order_by(SigningKey.created_at, SigningKey.kid)
        )
        return await self.one_or_none(statement)

    async def published(self, now: int) -> Sequence[SigningKey]:
        statement = (
            self.select()
            .where(or_(SigningKey.publish_until.is_(None), SigningKey.publish_until > now))
            .order_by(SigningKey.created_at)
        )
        return await self.all(statement)
