"""``python -m apim_portals``: serve the portals alone (distributed mode)."""

from apim_common.runner import run_service
from apim_portals.app import create_app
from apim_portals.settings import Settings

if __name__ == "__main__":
    raise SystemExit(run_service("apim_portals", Settings, create_app))
