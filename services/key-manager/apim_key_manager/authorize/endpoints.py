"""GET/POST /oauth2/authorize: the sign-in page of the authorization code flow.

The form is protected by a signed double-submit token: a random value in an HttpOnly,
SameSite=Strict cookie scoped to /oauth2, and the same value with its HMAC in a hidden field.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from apim_key_manager.authorize.service import (
    AuthorizationRequest,
    AuthorizationService,
    AuthorizeError,
    RedirectError,
)
from apim_key_manager.context import KeyManager, KeyManagerDep
from apim_key_manager.keys import crypto
from apim_key_manager.oauth.forms import read_form
from apim_key_manager.users.lockout import SignInLocked

router = APIRouter(prefix="/oauth2", tags=["OAuth2"])

CSRF_COOKIE = "apim_km_csrf"
_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Frame-Options": "DENY",
    # No form-action: browsers apply it to the redirect that follows the form, towards the client.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
    "base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("apim_key_manager.authorize", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def _authorizations(request: Request) -> AuthorizationService:
    service: AuthorizationService = request.app.state.authorizations
    return service


AuthorizationsDep = Annotated[AuthorizationService, Depends(_authorizations)]


def _csrf_key(km: KeyManager) -> bytes:
    return crypto.derive_key(km.settings.secret(), "authorize-csrf")


def _sign(km: KeyManager, value: str) -> str:
    mac = hmac.new(_csrf_key(km), value.encode(), hashlib.sha256).hexdigest()
    return f"{value}.{mac}"


def _csrf_ok(km: KeyManager, request: Request, field: str) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    value, _, _ = field.partition(".")
    if not cookie or not hmac.compare_digest(cookie, value):
        return False
    return hmac.compare_digest(_sign(km, value), field)


def _page(name: str, status: int, **context: Any) -> HTMLResponse:
    return HTMLResponse(_templates.get_template(name).render(**context), status_code=status, headers=_HEADERS)


def _login(
    km: KeyManager,
    request: Request,
    auth: AuthorizationRequest,
    *,
    error: str | None = None,
    username: str = "",
    status: int = 200,
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = _page(
        "login.html",
        status,
        client_name=auth.client_name,
        fields=auth.fields(),
        csrf=_sign(km, token),
        error=error,
        username=username,
    )
    response.set_cookie(
        CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/oauth2",
    )
    return response


def _invalid(message: str) -> HTMLResponse:
    return _page("error.html", 400, message=message)


@router.get("/authorize", summary="Sign in (authorization code flow)", response_class=HTMLResponse)
async def authorize_page(request: Request, km: KeyManagerDep, authorizations: AuthorizationsDep) -> Response:
    try:
        auth = await authorizations.validate(dict(request.query_params))
    except AuthorizeError as exc:
        return _invalid(str(exc))
    except RedirectError as exc:
        return RedirectResponse(exc.location(), status_code=303, headers={"Cache-Control": "no-store"})
    return _login(km, request, auth)


@router.post("/authorize", summary="Submit the sign-in form", response_class=HTMLResponse)
async def authorize_submit(
    request: Request, km: KeyManagerDep, authorizations: AuthorizationsDep
) -> Response:
    form = await read_form(request)
    try:
        auth = await authorizations.validate(form)
    except AuthorizeError as exc:
        return _invalid(str(exc))
    except RedirectError as exc:
        return RedirectResponse(exc.location(), status_code=303, headers={"Cache-Control": "no-store"})
    username = form.get("username", "").strip()
    if not _csrf_ok(km, request, form.get("csrf_token", "")):
        return _login(
            km, request, auth, error="The form expired; please sign in again.", username=username, status=403
        )
    async with km.database.session() as session, session.begin():
        try:
            user = (
                await km.users.authenticate(session, username, form.get("password", "")) if username else None
            )
        except SignInLocked as exc:
            locked = _login(km, request, auth, error=exc.description, username=username, status=429)
            locked.headers["Retry-After"] = str(exc.retry_after)
            return locked
        if user is None:
            return _login(
                km, request, auth, error="Wrong username or password.", username=username, status=401
            )
        location = await authorizations.issue(session, auth, user)
    response = RedirectResponse(location, status_code=303, headers={"Cache-Control": "no-store"})
    response.delete_cookie(CSRF_COOKIE, path="/oauth2")
    return response
