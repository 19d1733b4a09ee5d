"""Sign-in (authorization code + PKCE against the key manager), its callback, and sign-out.

The pending sign-in is kept on the server by its ``state`` and bound to the browser that started
it: ``/auth/login`` sets a short-lived HttpOnly cookie whose hash the pending sign-in keeps, and
the callback finishes only a sign-in whose cookie it receives. A victim who opens an attacker's
callback link (the attacker's own code and state) is therefore not signed in as the attacker
(login CSRF). The cookie is SameSite=Lax, so it comes along on the top-level redirect back from
the key manager's sign-in page. The session cookie is set only once signed in.
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from apim_portals.client import ApiError, Platform, token_claims
from apim_portals.security import pkce_pair
from apim_portals.sessions import COOKIE, SIGN_IN_TTL, PendingSignIn, SessionStore, binding_hash
from apim_portals.settings import PORTAL_SCOPES, Settings
from apim_portals.web import Page, _page_for

logger = logging.getLogger(__name__)

PORTALS = ("devportal", "publisher", "admin")
# Binds a started sign-in to the browser that started it (see the module docstring).
SIGN_IN_COOKIE = "apim_portal_signin"


def redirect_uri(settings: Settings, portal: str) -> str:
    return f"{settings.portal_url.rstrip('/')}/{portal}/auth/callback"


def safe_return(portal: str, target: str | None) -> str:
    """Only a path of the same portal: never another site (open redirect)."""
    if target and target.startswith(f"/{portal}") and not target.startswith("//") and "\\" not in target:
        return target
    return f"/{portal}/"


def set_session_cookie(response: Response, settings: Settings, session_id: str) -> None:
    response.set_cookie(
        COOKIE,
        session_id,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
        max_age=settings.session_ttl,
    )


def set_binding_cookie(response: Response, settings: Settings, portal: str, binding: str) -> None:
    response.set_cookie(
        SIGN_IN_COOKIE,
        binding,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path=f"/{portal}/auth",
        max_age=int(SIGN_IN_TTL),
    )


def _router(portal: str) -> APIRouter:
    router = APIRouter(prefix=f"/{portal}/auth", include_in_schema=False)
    page_of = _page_for(portal)

    @router.get("/login")
    async def login(request: Request, return_to: str | None = None) -> Response:
        settings: Settings = request.app.state.settings
        store: SessionStore = request.app.state.sessions
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(24)
        binding = secrets.token_urlsafe(32)
        store.start_sign_in(
            state, PendingSignIn(verifier, portal, safe_return(portal, return_to), binding_hash(binding))
        )
        query = urlencode(
            {
                "response_type": "code",
                "client_id": settings.portal_client_id,
                "redirect_uri": redirect_uri(settings, portal),
                "scope": " ".join(PORTAL_SCOPES),
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        response = RedirectResponse(f"{settings.sign_in_url}?{query}", status_code=303)
        set_binding_cookie(response, settings, portal, binding)
        return response

    @router.get("/callback")
    async def callback(
        request: Request,
        code: str | None = None,
        state: str | None = None,
        error: str | None = None,
        error_description: str | None = None,
    ) -> Response:
        page: Page = page_of(request)
        binding = request.cookies.get(SIGN_IN_COOKIE)
        pending = page.store.finish_sign_in(state, binding) if state else None
        if pending is None or pending.portal != portal:
            if state:
                logger.info("refused a sign-in callback not started by this browser (or expired)")
            return page.render(
                "signin_failed.html", 400, reason="The sign-in expired or was not started in this browser."
            )
        if error or not code:
            return page.render("signin_failed.html", 400, reason=error_description or error or "No code")
        platform: Platform = request.app.state.platform
        try:
            tokens = await platform.redeem(code, pending.verifier, redirect_uri(page.settings, portal))
        except ApiError as exc:
            return page.render("signin_failed.html", 400, reason=exc.description or exc.message)
        if page.session is not None:
            page.store.drop(page.session)  # a fresh id on sign-in: no session fixation
        session_id, session = page.store.create()
        session.tokens = tokens
        claims = token_claims(tokens.access_token)
        tenant = str(claims.get("tenant") or "carbon.super")
        subject = str(claims.get("sub") or "")
        session.username = subject.removesuffix("@carbon.super") if tenant == "carbon.super" else subject
        session.tenant = tenant
        response = RedirectResponse(pending.return_to, status_code=303)
        set_session_cookie(response, page.settings, session_id)
        response.delete_cookie(SIGN_IN_COOKIE, path=f"/{portal}/auth")
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        page: Page = page_of(request)
        await page.form()
        session = page.session
        if session is not None:
            if session.tokens is not None:
                try:
                    await page.platform.revoke(session.tokens)
                except Exception:  # the user is signed out here whatever the key manager says
                    logger.warning("could not revoke the tokens of a signed-out session", exc_info=True)
            page.store.drop(session)
        response: Response = RedirectResponse(f"/{portal}/", status_code=303)
        if page.htmx:
            response = Response(status_code=204, headers={"HX-Redirect": f"/{portal}/"})
        response.delete_cookie(COOKIE, path="/")
        return response

    return router


routers = [_router(portal) for portal in PORTALS]
