"""``python -m apim_throttle_sync``: run the service alone (distributed mode)."""

from apim_common.runner import run_service
from apim_throttle_sync.app import create_app
from apim_throttle_sync.settings import Settings

if __name__ == "__main__":
    raise SystemExit(run_service("apim_throttle_sync", Settings, create_app))
