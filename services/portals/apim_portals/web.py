"""What every page handler shares: the session from the cookie, CSRF checks, rendering, errors."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from apim_portals.client import ApiError, Platform
from apim_portals.markdown import render_markdown
from apim_portals.security import CSRF_FIELD, CSRF_HEADER, csrf_matches
from apim_portals.sessions import COOKIE, Session, SessionStore
from apim_portals.settings import Settings

TENANT_COOKIE = "apim_portal_tenant"

templates = jinja2.Environment(
    loader=jinja2.PackageLoader("apim_portals", "templates"),
    autoescape=True,
    undefined=jinja2.ChainableUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.filters["markdown"] = render_markdown
templates.filters["urlquote"] = lambda value: quote(str(value), safe="")


def _when(value: Any) -> str:
    """Epoch millis (WSO2's createdTime) or ISO text as a short date."""
    try:
        seconds = int(value) / 1000
    except (TypeError, ValueError):
        return str(value or "")[:10]
    return time.strftime("%Y-%m-%d", time.gmtime(seconds))


templates.filters["date"] = _when


class SignInRequired(Exception):
    def __init__(self, portal: str, return_to: str) -> None:
        self.portal = portal
        self.return_to = return_to


class CsrfFailed(Exception):
    pass


@dataclass
class Page:
    """One request's view of the portal: who is signed in, which tenant, how to render."""

    request: Request
    settings: Settings
    platform: Platform
    store: SessionStore
    session: Session | None
    portal: str

    @property
    def tenant(self) -> str | None:
        if self.session is not None and self.session.tenant:
            return self.session.tenant
        return self.request.cookies.get(TENANT_COOKIE) or None

    @property
    def caller(self) -> Session | None:
        """The session to call the APIs with; an anonymous one only carries the tenant."""
        if self.session is not None:
            if not self.session.tenant and self.tenant:
                self.session.tenant = self.tenant
            return self.session
        if self.tenant:
            return Session(id_hash="", csrf="", tenant=self.tenant)
        return None

    def user(self) -> Session:
        if self.session is None or not self.session.signed_in:
            target = self.request.url.path
            if self.request.url.query:
                target += "?" + self.request.url.query
            raise SignInRequired(self.portal, target)
        return self.session

    async def api(self, method: str, path: str, **kwargs: Any) -> Any:
        return await self.platform.devportal(method, path, self.caller, **kwargs)

    @property
    def htmx(self) -> bool:
        return self.request.headers.get("hx-request") == "true"

    def render(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        session = self.session
        flash = session.flash if session is not None else []
        if session is not None:
            session.flash = []
        body = templates.get_template(name).render(
            page=self,
            portal=self.portal,
            base=f"/{self.portal}",
            session=session,
            signed_in=session is not None and session.signed_in,
            csrf=session.csrf if session is not None else "",
            hx_headers=json.dumps({"X-CSRF-Token": session.csrf}) if session is not None else "{}",
            tenant=self.tenant,
            flash=flash,
            gateway_url=self.settings.gateway_url.rstrip("/"),
            **context,
        )
        return HTMLResponse(body, status_code=status)

    def error(self, exc: ApiError, name: str = "partials/error.html") -> HTMLResponse:
        """An API's error body, shown where the action was (the alert region for htmx requests)."""
        status = exc.status if 400 <= exc.status < 600 else 502
        return self.render(name, status=status, error=exc)

    def notice(self, message: str, kind: str = "success") -> None:
        if self.session is not None:
            self.session.flash.append({"kind": kind, "message": message})

    def redirect(self, path: str) -> Response:
        url = f"/{self.portal}{path}"
        if self.htmx:
            return Response(status_code=204, headers={"HX-Location": url})
        return RedirectResponse(url, status_code=303)

    async def form(self) -> FormData:
        """The submitted form, once its CSRF token matched the session's."""
        form = await self.request.form()
        if self.session is None:
            raise CsrfFailed
        presented = form.get(CSRF_FIELD) or self.request.headers.get(CSRF_HEADER)
        if not csrf_matches(self.session.csrf, presented if isinstance(presented, str) else None):
            raise CsrfFailed
        return form


def _page_for(portal: str) -> Any:
    def dependency(request: Request) -> Page:
        store: SessionStore = request.app.state.sessions
        return Page(
            request=request,
            settings=request.app.state.settings,
            platform=request.app.state.platform,
            store=store,
            session=store.get(request.cookies.get(COOKIE)),
            portal=portal,
        )

    return dependency


DevportalPage = Annotated[Page, Depends(_page_for("devportal"))]
PublisherPage = Annotated[Page, Depends(_page_for("publisher"))]
AdminPage = Annotated[Page, Depends(_page_for("admin"))]


def form_list(form: FormData, name: str) -> list[str]:
    return [str(v) for v in form.getlist(name) if str(v).strip()]


def form_str(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else default
