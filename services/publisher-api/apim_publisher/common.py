"""Small helpers every publisher domain uses: clock, ETags, and recording events in the outbox."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from apim_common.errors import PreconditionFailed
from apim_common.events import new_event
from apim_common.events.outbox import emit
from apim_publisher.base import outbox

SOURCE = "publisher-api"


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite hands back naive datetimes
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat().replace("+00:00", "Z")


def etag_of(*parts: object) -> str:
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()[:32]
    return f'"{digest}"'


def check_if_match(if_match: str | None, current: str) -> None:
    """WSO2 answers 412 when a conditional write names a version that is no longer current."""
    if if_match is None or if_match.strip() == "*":
        return
    if current not in _tags(if_match):
        raise PreconditionFailed("The resource has changed since it was read; fetch it again")


def not_modified(if_none_match: str | None, current: str) -> Response | None:
    """The 304 of a conditional read that names the current version, else None."""
    if if_none_match and current in _tags(if_none_match):
        return Response(status_code=304, headers={"ETag": current})
    return None


def _tags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}


async def record(
    session: AsyncSession, topic: str, type_: str, subject: str, data: dict[str, Any], *, tenant: str
) -> None:
    """Write an event to the outbox in the caller's transaction."""
    await emit(session, outbox, topic, new_event(SOURCE, type_, subject, data, tenant=tenant))
