"""The Publisher and Admin portals' entry points, until their pages arrive."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from apim_portals.web import AdminPage, PublisherPage

router = APIRouter(include_in_schema=False)


@router.get("/publisher")
@router.get("/publisher/")
async def publisher(page: PublisherPage) -> Response:
    return page.render("coming_soon.html", title="Publisher", api="/api/am/publisher/v4/docs")


@router.get("/admin")
@router.get("/admin/")
async def admin(page: AdminPage) -> Response:
    return page.render("coming_soon.html", title="Admin", api="/api/am/admin/v4/docs")
