"""SQL of the signing keys."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_

from apim_common.repository import Repository
from apim_key_manager.keys.models import SigningKey, TenantSigningAlgorithm


class SigningKeyRepository(Repository[SigningKey]):
    model = SigningKey

    async def active(self, purpose: str, algorithm: str) -> SigningKey | None:
        """The key of ``purpose`` and ``algorithm`` in service (the oldest wins if two replicas raced)."""
        statement = (
            self.select()
            .where(
                SigningKey.purpose == purpose,
                SigningKey.algorithm == algorithm,
                SigningKey.retired_at.is_(None),
            )
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


class TenantAlgorithmRepository(Repository[TenantSigningAlgorithm]):
    model = TenantSigningAlgorithm

    async def every_tenant(self) -> dict[str, str]:
        return {row.tenant: row.algorithm for row in await self.all(self.select())}

    async def put(self, tenant: str, algorithm: str) -> None:
        row = await self.session.get(TenantSigningAlgorithm, tenant)
        if row is None:
            self.session.add(TenantSigningAlgorithm(tenant=tenant, algorithm=algorithm))
        else:
            row.algorithm = algorithm
        await self.session.flush()
