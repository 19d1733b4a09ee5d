"""Definition DTOs of Publisher v4."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from apim_common.errors import ErrorListItem


class OpenAPIDefinitionValidationResponse(BaseModel):
    isValid: bool
    content: str | None = None
    info: dict[str, Any] | None = None
    errors: list[ErrorListItem] = Field(default_factory=list)
