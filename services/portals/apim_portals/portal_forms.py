"""What the Publisher and Admin portals' forms share: calling their REST API, scopes, field errors."""

from __future__ import annotations

import json
from typing import Any

from apim_portals.client import ApiError
from apim_portals.web import Page

PUBLISHER_API = "/api/am/publisher/v4"
ADMIN_API = "/api/am/admin/v4"


async def call(page: Page, base: str, method: str, path: str, **kwargs: Any) -> Any:
    """A Publisher or Admin REST call as the signed-in user (who must be signed in)."""
    return await page.platform.rest(base, method, path, page.user(), **kwargs)


async def quiet(page: Page, base: str, path: str, default: Any, **kwargs: Any) -> Any:
    """A side list; its failure must not take the page down."""
    try:
        return await call(page, base, "GET", path, **kwargs)
    except ApiError:
        return default


def scopes_of(page: Page) -> frozenset[str]:
    session = page.session
    if session is None or session.tokens is None:
        return frozenset()
    return session.tokens.scopes


def holds(page: Page, *any_of: str) -> bool:
    """The signed-in user holds one of ``any_of`` (``apim:admin`` admits every Admin section)."""
    held = scopes_of(page)
    return bool(held & {*any_of, "apim:admin"})


def refused(message: str) -> ApiError:
    return ApiError(403, "Forbidden", message)


def lines(value: str) -> list[str]:
    return [part.strip() for part in value.replace(",", "\n").splitlines() if part.strip()]


def parse_json(value: str, field: str) -> Any:
    try:
        return json.loads(value) if value.strip() else None
    except ValueError as exc:
        raise ApiError(400, "Bad Request", f"{field} is not JSON: {exc}", {field: str(exc)}) from exc


def regroup(exc: ApiError, into: dict[str, str]) -> ApiError:
    """The API's field errors shown by the inputs that sent them: ``into`` maps a field path of
    the body (or its prefix; ``"body"`` is the body as a whole) to the name of its input."""
    for name, message in list(exc.fields.items()):
        for prefix, target in into.items():
            if name == prefix or name.startswith(prefix + "."):
                if target != name:
                    exc.fields.setdefault(target, message if prefix == "body" else f"{name}: {message}")
                break
    return exc
