from collections.abc import AsyncIterator

import pytest

from tests.admin_api.harness import Admin, running_admin
from tests.support.tokens import TokenFactory


@pytest.fixture
async def admin(tokens: TokenFactory, sqlite_url: str) -> AsyncIterator[Admin]:
    async with running_admin(tokens, sqlite_url) as running:
        yield running
