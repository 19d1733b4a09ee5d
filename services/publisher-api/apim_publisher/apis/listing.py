"""Each replica's copy of its tenants' listed APIs, kept under the tenant's list version
(models.py raises it with every write that changes a list), made once per app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from apim_common.tenant_versions import TenantRows
from apim_publisher.apis.repository import ListedApi


@contextlib.asynccontextmanager
async def keep(app: FastAPI) -> AsyncIterator[None]:
    app.state.listed_apis = TenantRows[ListedApi]()
    yield


async def _listed_apis(request: Request) -> TenantRows[ListedApi]:
    # async: FastAPI would hand a plain function to its thread pool on every request.
    kept: TenantRows[ListedApi] = request.app.state.listed_apis
    return kept


ListedApisDep = Annotated[TenantRows[ListedApi], Depends(_listed_apis)]
