import io
import zipfile

from sqlalchemy.ext.asyncio import AsyncSession

from apim_admin.tenant_theme.models import TenantTheme
from apim_common.errors import APIError, BadRequest, NotFound

MAX_THEME_BYTES = 10 * 1024 * 1024


class PayloadTooLarge(APIError):
    status_code = 413
    default_message = "Payload Too Large"


def _check_archive(content: bytes) -> None:
    if len(content) > MAX_THEME_BYTES:
        raise PayloadTooLarge(f"a theme may be at most {MAX_THEME_BYTES // (1024 * 1024)} MB")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile as exc:
        raise BadRequest("the theme must be a zip archive") from exc
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
