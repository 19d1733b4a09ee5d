"""The try-it panel's way to the gateway: a same-origin relay, so APIs need no CORS for the portal.

The API reference renderer sends each call to ``/devportal/try-it?scalar_url=<gateway URL>``. Only
URLs under the configured gateway are relayed, only for fetches of the portal's own pages
(``Sec-Fetch-Site: same-origin``), and the credential the user picked is added when the call has none.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from apim_portals.web import DevportalPage

router = APIRouter(prefix="/devportal", include_in_schema=False)

# Request headers passed to the API; the browser's own (cookies, origin, fetch metadata) are not.
_DROP = frozenset(
    {"host", "cookie", "origin", "referer", "connection", "content-length", "accept-encoding", "x-csrf-token"}
)
_RESPONSE_DROP = frozenset(
    {"content-length", "content-encoding", "transfer-encoding", "connection", "set-cookie"}
)
MAX_BODY = 10 * 1024 * 1024


def _under(url: str, base: str) -> bool:
    target, allowed = urlsplit(url), urlsplit(base)
    return (
        target.scheme == allowed.scheme
        and target.netloc == allowed.netloc
        and target.path.startswith(allowed.path.rstrip("/") + "/")
    )


def _refuse(status: int, description: str) -> JSONResponse:
    return JSONResponse({"code": status, "message": "Try-it refused", "description": description}, status)


@router.api_route("/try-it", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
async def relay(page: DevportalPage, request: Request, scalar_url: str = "") -> Response:
    if request.headers.get("sec-fetch-site") != "same-origin":
        return _refuse(403, "Only the portal's own pages may use the try-it relay")
    if not _under(scalar_url, page.settings.gateway_url):
        return _refuse(400, f"Only APIs on the gateway ({page.settings.gateway_url}) can be tried here")
    headers = {
        name: value
        for name, value in request.headers.items()
        if name not in _DROP and not name.startswith("sec-")
    }
    # The renderer sends an empty scheme ("Bearer ") when no token was typed in its own auth box.
    if headers.get("authorization", "").strip().lower() in ("", "bearer", "basic"):
        headers.pop("authorization", None)
    session = page.session
    chosen = session.try_it if session is not None else None
    if chosen is not None:
        if chosen.header == "authorization" and "authorization" not in headers:
            headers["authorization"] = f"Bearer {chosen.value}"
        elif chosen.header != "authorization" and chosen.header.lower() not in headers:
            headers[chosen.header] = chosen.value
    body = await request.body()
    if len(body) > MAX_BODY:
        return _refuse(413, "The request body is too large for the try-it panel")
    try:
        upstream = await page.platform.http.request(request.method, scalar_url, headers=headers, content=body)
    except Exception as exc:  # the gateway is down or timed out: say so in the panel
        return _refuse(502, f"The gateway did not answer: {type(exc).__name__}")
    kept = {k: v for k, v in upstream.headers.items() if k.lower() not in _RESPONSE_DROP}
    return Response(upstream.content, status_code=upstream.status_code, headers=kept)
