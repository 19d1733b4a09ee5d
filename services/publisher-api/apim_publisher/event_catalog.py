"""The events the Publisher produces, each with the model its data is made from.

``make asyncapi-schemas`` writes their JSON Schema to ``event_schemas.json`` beside this file,
which the platform's AsyncAPI document is built from (``apim_common.events.asyncapi``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from apim_common.events import Topic
from apim_common.events.asyncapi import Catalog, EventType, crud
from apim_common.events.schemas import DeploymentData, WorkflowRequestedData
from apim_publisher.apis.schemas import APIPublic
from apim_publisher.documents.schemas import DocumentPublic
from apim_publisher.products.schemas import APIProductBody
from apim_publisher.revisions.schemas import APIRevision


class APIEventData(APIPublic):
    """An API as ``GET /apis/{apiId}`` shows it (secrets masked), with what the Developer Portal's
    catalog serves from it."""

    tenant: str
    wsdlDefinition: str | None = Field(default=None, description="a SOAP API's WSDL")
    graphQLSchema: Any = Field(default=None, description="a GraphQL API's schema")
    graphQLComplexity: Any = None


class APILifecycleData(APIEventData):
    apiId: str
    previousState: str | None = None
    state: str


class APIProductEventData(APIProductBody):
    """An API product as ``GET /api-products/{apiProductId}`` shows it."""

    id: str
    provider: str
    state: str
    lifeCycleStatus: str
    apiType: str = "APIPRODUCT"
    type: str = "APIPRODUCT"
    hasThumbnail: bool = False
    workflowStatus: str | None = None
    createdTime: str | None = None
    lastUpdatedTime: str | None = None
    tenant: str


class APIProductLifecycleData(APIProductEventData):
    apiId: str
    previousState: str | None = None


class DocumentEventData(DocumentPublic):
    apiId: str


class RevisionCreatedData(APIRevision):
    apiId: str


class RevisionDeletedData(BaseModel):
    apiId: str
    id: str
    displayName: str


class GatewayPolicyDeploymentData(BaseModel):
    """A gateway policy mapping put in force on (or taken off) one gateway label, its policies
    resolved as the gateways run them."""

    id: str
    gatewayLabel: str
    policyMapping: dict[str, list[dict[str, Any]]] = Field(
        description="flow (request, response, fault) -> policies"
    )


CATALOG: Catalog = {
    Topic.APIS: [
        *crud("api", "an API", APIEventData),
        EventType(
            "api.lifecycle-changed",
            "an API's lifecycle state changed; data is the API with its previous and new state",
            APILifecycleData,
        ),
        *crud("api-product", "an API product", APIProductEventData),
        EventType(
            "api-product.lifecycle-changed",
            "an API product's lifecycle state changed",
            APIProductLifecycleData,
        ),
        *crud("document", "a document of an API", DocumentEventData),
        EventType("revision.created", "a revision of an API was made", RevisionCreatedData),
        EventType("revision.deleted", "a revision of an API was deleted", RevisionDeletedData),
    ],
    Topic.DEPLOYMENTS: [
        EventType("deployment.deployed", "a revision was deployed to a gateway environment", DeploymentData),
        EventType(
            "deployment.undeployed", "a revision was undeployed from a gateway environment", DeploymentData
        ),
    ],
    Topic.GATEWAY_POLICIES: [
        EventType(
            "gateway-policy.deployed",
            "a gateway policy mapping was deployed to a gateway label",
            GatewayPolicyDeploymentData,
        ),
        EventType(
            "gateway-policy.undeployed",
            "a gateway policy mapping was undeployed from a label",
            GatewayPolicyDeploymentData,
        ),
    ],
    Topic.WORKFLOWS: [
        EventType("workflow.requested", "an API's change waits for an approval", WorkflowRequestedData),
    ],
}
