"""GraphQL DTOs of Publisher v4: schema validation, the schema, complexity values and the types."""

from __future__ import annotations

import builtins
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Far above any cost a field is given in practice; a bound keeps the gateway's sums in range.
MAX_COMPLEXITY_VALUE = 1_000_000


class GraphQLSchemaPublic(BaseModel):
    """``GraphQLSchema``: the schema's file name and its text, as imported or last PUT."""

    name: str
    schemaDefinition: str


class GraphQLInfo(BaseModel):
    operations: list[dict[str, Any]]
    graphQLSchema: GraphQLSchemaPublic


class GraphQLValidationResponse(BaseModel):
    """``GraphQLValidationResponse``; ``errorMessage`` is empty for a valid schema."""

    isValid: bool
    errorMessage: str
    graphQLInfo: GraphQLInfo | None = None


class GraphQLCustomComplexityInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(min_length=1)
    field: str = Field(min_length=1)
    complexityValue: int = Field(ge=0, le=MAX_COMPLEXITY_VALUE)


class GraphQLQueryComplexityInfo(BaseModel):
    """``GraphQLQueryComplexityInfo``: a (type, field) without a value costs 1."""

    model_config = ConfigDict(extra="forbid")

    list: builtins.list[GraphQLCustomComplexityInfo] = Field(default_factory=builtins.list)


class GraphQLSchemaType(BaseModel):
    type: str
    fieldList: list[str]


class GraphQLSchemaTypeList(BaseModel):
    typeList: list[GraphQLSchemaType]
