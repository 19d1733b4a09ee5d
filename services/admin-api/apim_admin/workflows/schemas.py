from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class WorkflowRequest(BaseModel):
    """What a service registers (``workflow.requested`` data, or the internal endpoint's body)."""

    workflowReferenceId: str = Field(min_length=1, max_length=255)
    workflowType: str = Field(min_length=1, max_length=64)
    createdBy: str = ""
    description: str = ""
    properties: dict[str, Any] = Field(default_factory=dict)


class InternalWorkflowRequest(WorkflowRequest):
    tenant: str = "carbon.super"


class WorkflowDecision(BaseModel):
    status: Literal["APPROVED", "REJECTED"]
    attributes: dict[str, Any] = Field(default_factory=dict)
    description: str = ""


class WorkflowInfo(BaseModel):
    workflowType: str
    workflowStatus: str
    createdTime: datetime
    updatedTime: datetime
    referenceId: str
    properties: dict[str, Any]
    description: str


class WorkflowList(BaseModel):
    count: int
    next: str = ""
    previous: str = ""
    list: list[WorkflowInfo]
