"""A tenant theme is a zip checked by its directory: a zip bomb is refused before it is stored."""

from __future__ import annotations

import io
import zipfile

from tests.admin_api.harness import Admin

MiB = 1024 * 1024


async def test_a_theme_zip_bomb_is_refused(admin: Admin) -> None:
    buffer = io.BytesIO()
    archive = zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)
    with archive, archive.open("theme/defaultTheme.js", "w") as member:
        for _ in range(64):
            member.write(bytes(MiB))
    content = buffer.getvalue()
    assert len(content) < 10 * MiB
    response = await admin.put("/tenant-theme", files={"file": ("theme.zip", content, "application/zip")})
    assert response.status_code == 400, response.text
    assert "larger than" in response.json()["description"]
    assert (await admin.get("/tenant-theme")).status_code == 404
