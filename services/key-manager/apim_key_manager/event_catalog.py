"""The events the Key Manager produces, each with the model its data is made from.

``make asyncapi-schemas`` writes their JSON Schema to ``event_schemas.json`` beside this file,
which the platform's AsyncAPI document is built from (``apim_common.events.asyncapi``).
"""

from __future__ import annotations

from pydantic import BaseModel

from apim_common.events import Topic
from apim_common.events.asyncapi import Catalog, EventType
from apim_common.events.schemas import TokenRevokedData, TokensRevokedBeforeData
from apim_common.revocations import TENANT_ACTIVATED, TENANT_DEACTIVATED, TOKEN_REVOKED, TOKENS_REVOKED_BEFORE


class TenantStatusData(BaseModel):
    """A tenant's tokens are refused (deactivated) or accepted again (activated) from now on."""

    domain: str


CATALOG: Catalog = {
    Topic.TOKEN_REVOCATIONS: [
        EventType(TOKEN_REVOKED, "one access token was revoked", TokenRevokedData),
        EventType(
            TOKENS_REVOKED_BEFORE,
            "every token of a client or user issued before a time was revoked",
            TokensRevokedBeforeData,
        ),
        EventType(TENANT_DEACTIVATED, "a tenant was deactivated: its tokens are refused", TenantStatusData),
        EventType(TENANT_ACTIVATED, "a tenant was activated again", TenantStatusData),
    ],
}
