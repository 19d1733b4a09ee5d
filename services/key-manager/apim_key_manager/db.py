"""The request session of this service: apim_common's, held before its commit until revocation
rules written in it take effect (see ``revocation.service.settle``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.db import SessionDep as _CommonSessionDep
from apim_key_manager.revocation.service import settle


async def _settled_session(session: _CommonSessionDep) -> AsyncIterator[AsyncSession]:
    yield session
    await settle(session)


SessionDep = Annotated[AsyncSession, Depends(_settled_session, scope="function")]
