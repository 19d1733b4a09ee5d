"""Tier prices are accepted only where a billing provider bills them."""

from typing import Any

from apim_admin.settings import Settings
from apim_common.errors import BadRequest, ErrorListItem

NO_PROVIDER = (
    "a monetization plan needs a billing provider, and none is configured (APIM_MONETIZATION_PROVIDER=none)"
)


def exported_plan(document: dict[str, Any]) -> Any:
    """The monetization plan of an exported subscription tier, if it has one."""
    data = document.get("data")
    monetization = data.get("monetization") if isinstance(data, dict) else None
    return monetization.get("monetizationPlan") if isinstance(monetization, dict) else None


def refuse_unbilled_prices(settings: Settings, plan: Any) -> None:
    """400 naming ``monetization`` when a plan is set and the provider is ``none``."""
    if plan is not None and settings.monetization_provider == "none":
        raise BadRequest(
            NO_PROVIDER,
            errors=[ErrorListItem(code="400", message="monetization", description=NO_PROVIDER)],
        )
