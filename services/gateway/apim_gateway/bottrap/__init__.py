"""Bot traps: paths no client of an API has reason to call (``APIM_GATEWAY_BOT_TRAP_PATHS``),
answered 404 like any unknown path and recorded for the Admin API's bot-detection data."""

from apim_gateway.bottrap.trap import BotTrap, parse_trap_paths

__all__ = ["BotTrap", "parse_trap_paths"]
