from sqlalchemy.ext.asyncio import AsyncSession

from apim_admin.tenant_theme.models import TenantTheme
from apim_common.archives import ArchiveLimits, ArchiveRefused, BoundedZip, MiB
from apim_common.errors import APIError, BadRequest, NotFound

MAX_THEME_BYTES = 10 * 1024 * 1024
# Whoever unpacks a theme gets at most this much from it.
THEME_LIMITS = ArchiveLimits(max_members=2000, max_member_bytes=10 * MiB, max_total_bytes=50 * MiB)


class PayloadTooLarge(APIError):
    status_code = 413
    default_message = "Payload Too Large"


def _check_archive(content: bytes) -> None:
    if len(content) > MAX_THEME_BYTES:
        raise PayloadTooLarge(f"a theme may be at most {MAX_THEME_BYTES // (1024 * 1024)} MB")
    try:
        names = BoundedZip(content, THEME_LIMITS).names()
    except ArchiveRefused as exc:
        raise BadRequest(f"the theme must be a zip archive within the limits: {exc.description}") from exc
    if any(n.startswith("/") or ".." in n.split("/") for n in names):
        raise BadRequest("the theme archive has paths outside its folder")


async def get(session: AsyncSession, tenant: str) -> bytes:
    theme = await session.get(TenantTheme, tenant)
    if theme is None:
        raise NotFound(f"Tenant {tenant} has no theme")
    return theme.content


async def put(session: AsyncSession, tenant: str, content: bytes) -> None:
    _check_archive(content)
    theme = await session.get(TenantTheme, tenant)
    if theme is None:
        session.add(TenantTheme(tenant=tenant, content=content))
    else:
        theme.content = content
    await session.flush()
