"""Who may publish usage and read what was billed (WSO2 4.3's scopes for these operations)."""

from typing import Annotated

from fastapi import Depends

from apim_admin.scopes import ADMIN
from apim_common.security import Principal, require_scopes

UsagePublish = Annotated[Principal, Depends(require_scopes(ADMIN, "apim:monetization_usage_publish"))]
