"""CloudEvents 1.0 structured JSON envelope, plus the platform's ``tenant`` extension."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_TENANT = "carbon.super"


class CloudEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    source: str
    type: str
    specversion: str = "1.0"
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    # The aggregate's id: the Kafka key, so one aggregate's events stay in order.
    subject: str
    datacontenttype: str = "application/json"
    tenant: str = DEFAULT_TENANT
    data: dict[str, Any] = Field(default_factory=dict)

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> CloudEvent:
        return cls.model_validate_json(raw)


def new_event(
    source: str, type: str, subject: str, data: dict[str, Any], *, tenant: str = DEFAULT_TENANT
) -> CloudEvent:
    return CloudEvent(source=source, type=type, subject=subject, data=data, tenant=tenant)
