"""AsyncAPI DTOs of Publisher v4."""

from __future__ import annotations

import builtins
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from apim_common.errors import ErrorListItem

# WSO2's Topic.name pattern: no path separators, spaces or punctuation that would break a channel.
TOPIC_NAME = r"""^[^~!@#;:%^*()+={}|\\<>"',&$\s+\[\]/]*$"""


class AsyncAPIValidationResponse(BaseModel):
    """``AsyncAPISpecificationValidationResponse``."""

    isValid: bool
    content: str | None = None
    info: dict[str, Any] | None = None
    errors: list[ErrorListItem] = Field(default_factory=list)


class TopicIn(BaseModel):
    """One topic of ``PUT /apis/{apiId}/topics``: a channel and what clients do on it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=50, pattern=TOPIC_NAME)
    mode: Literal["SUBSCRIBE", "PUBLISH"]
    # Written into the AsyncAPI definition as the channel's description.
    description: str | None = Field(default=None, max_length=32766)

    @field_validator("mode", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class TopicListIn(BaseModel):
    """``TopicList``; ``count``, when sent, must be the number of topics (a truncated list is refused)."""

    model_config = ConfigDict(extra="forbid")

    count: int | None = None
    list: builtins.list[TopicIn] = Field(min_length=1)

    @model_validator(mode="after")
    def _count_matches(self) -> TopicListIn:
        if self.count is not None and self.count != len(self.list):
            raise ValueError(f"count is {self.count} but the list holds {len(self.list)} topics")
        return self
