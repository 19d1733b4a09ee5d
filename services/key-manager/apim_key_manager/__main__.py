"""``python -m apim_key_manager [migrate]``: serve the service alone, or migrate its database."""

from apim_common.runner import run_service
from apim_key_manager.app import create_app
from apim_key_manager.settings import Settings

if __name__ == "__main__":
    raise SystemExit(run_service("apim_key_manager", Settings, create_app))
