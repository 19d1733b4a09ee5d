"""Lifecycle DTOs of Publisher v4."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Transition(BaseModel):
    event: str
    targetState: str


class CheckItem(BaseModel):
    name: str
    value: bool = False
    requiredStates: list[str] = Field(default_factory=list)


class LifecycleState(BaseModel):
    state: str
    checkItems: list[CheckItem] = Field(default_factory=list)
    availableTransitions: list[Transition] = Field(default_factory=list)


class WorkflowResponse(BaseModel):
    workflowStatus: str
    jsonPayload: str = ""
    lifecycleState: LifecycleState | None = None


class LifecycleHistoryItem(BaseModel):
    previousState: str | None = None
    postState: str
    user: str
    updatedTime: str | None = None


class LifecycleHistory(BaseModel):
    count: int
    list: list[LifecycleHistoryItem]
