"""Revision and deployment DTOs of Publisher v4."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RevisionCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    description: str | None = Field(default=None, max_length=255)


class RevisionAPIInfo(BaseModel):
    id: str


class DeploymentTarget(BaseModel):
    """One element of deploy-revision's and undeploy-revision's body."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1)
    vhost: str | None = None
    displayOnDevportal: bool = True


class DeploymentUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    displayOnDevportal: bool = True


class APIRevisionDeployment(BaseModel):
    revisionUuid: str
    name: str
    vhost: str
    status: Literal["CREATED", "APPROVED", "REJECTED"]
    displayOnDevportal: bool
    deployedTime: str | None = None
    successDeployedTime: str | None = None


class APIRevision(BaseModel):
    id: str
    displayName: str
    description: str | None = None
    createdTime: str | None = None
    apiInfo: RevisionAPIInfo
    deploymentInfo: list[APIRevisionDeployment] = Field(default_factory=list)


class APIRevisionList(BaseModel):
    count: int
    list: list[APIRevision]


class APIRevisionDeploymentList(BaseModel):
    count: int
    list: list[APIRevisionDeployment]
