"""Document DTOs of Publisher v4."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DocumentType = Literal[
    "HOWTO", "SAMPLES", "PUBLIC_FORUM", "SUPPORT_FORUM", "API_MESSAGE_FORMAT", "SWAGGER_DOC", "OTHER"
]
SourceType = Literal["INLINE", "MARKDOWN", "URL", "FILE"]


class DocumentBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=200)
    type: DocumentType
    summary: str | None = Field(default=None, max_length=32766)
    sourceType: SourceType
    sourceUrl: str | None = None
    otherTypeName: str | None = None
    visibility: Literal["OWNER_ONLY", "PRIVATE", "API_LEVEL"] = "API_LEVEL"
    inlineContent: str | None = None

    @model_validator(mode="after")
    def _source_fits(self) -> DocumentBody:
        if self.sourceType == "URL" and not (self.sourceUrl or "").startswith(("http://", "https://")):
            raise ValueError("a URL document needs an http(s) sourceUrl")
        if self.type == "OTHER" and not self.otherTypeName:
            raise ValueError("a document of type OTHER needs otherTypeName")
        return self


class DocumentPublic(DocumentBody):
    documentId: str
    fileName: str | None = None
    createdTime: str | None = None
    createdBy: str | None = None
    lastUpdatedTime: str | None = None
    lastUpdatedBy: str | None = None


class DocumentList(BaseModel):
    count: int
    list: list[DocumentPublic]
    pagination: dict[str, int] = Field(default_factory=dict)
