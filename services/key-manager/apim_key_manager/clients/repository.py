"""SQL of OAuth clients."""

from __future__ import annotations

from apim_common.repository import Repository
from apim_key_manager.clients.models import OAuthClient


class ClientRepository(Repository[OAuthClient]):
    model = OAuthClient

    async def by_name(self, tenant: str, owner: str, client_name: str) -> OAuthClient | None:
        return await self.one_or_none(
            self.select().where(
                OAuthClient.tenant == tenant,
                OAuthClient.owner == owner,
                OAuthClient.client_name == client_name,
            )
        )
