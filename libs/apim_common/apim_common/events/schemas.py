"""The data of events that several services read, as the models their producers build it from.

The producer makes the event's data with ``model_dump(mode="json", exclude_none=True)`` of one of
these, and the platform's AsyncAPI document (``apim_common.events.asyncapi``) publishes their JSON
Schema, so what consumers are told is what producers send. Consumers ignore fields they do not
know: a field may be added, never renamed or removed.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class KeyMappingData(BaseModel):
    """``key-mapping.created|deleted`` on ``keys``: which consumer key belongs to which application
    (never its secret)."""

    applicationId: str
    keyType: str = Field(description="PRODUCTION or SANDBOX")
    keyManager: str = Field(description="the key manager's name")
    consumerKey: str
    keyMappingId: str


class DeploymentData(BaseModel):
    """``deployment.deployed|undeployed`` on ``deployments``: a revision in force in an environment."""

    apiId: str
    revisionId: str
    environment: str
    vhost: str | None = None
    context: str
    version: str


class TokenRevokedData(BaseModel):
    """``token.revoked`` on ``token-revocations``: one token (by its ``jti``) refused until it expires."""

    jti: str
    expiresAt: int = Field(description="the token's expiry, seconds since the epoch")
    tokenType: str | None = Field(default=None, description="apiKey for an API key")
    applicationId: str | None = None


class TokensRevokedBeforeData(BaseModel):
    """``tokens.revoked-before`` on ``token-revocations``: every token of a client or of a user
    issued before ``before`` is refused."""

    before: int = Field(description="seconds since the epoch")
    clientId: str | None = None
    username: str | None = Field(default=None, description="user@tenant")


class WorkflowRequestedData(BaseModel):
    """``workflow.requested`` on ``workflows``: an action (an API's state change, an application,
    a subscription...) waits for an administrator's approval."""

    workflowReferenceId: str
    workflowType: str = Field(description="e.g. AM_API_STATE, AM_APPLICATION_CREATION")
    createdBy: str
    description: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)


class WorkflowDecidedData(BaseModel):
    """``workflow.decided`` on ``workflows``: the administrator's answer to a request."""

    workflowReferenceId: str
    workflowType: str
    status: str = Field(description="APPROVED or REJECTED")
    description: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
