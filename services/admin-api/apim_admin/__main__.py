"""``python -m apim_admin [migrate]``: serve the service alone, or migrate its database."""

from apim_admin.app import create_app
from apim_admin.settings import Settings
from apim_common.runner import run_service

if __name__ == "__main__":
    raise SystemExit(run_service("apim_admin", Settings, create_app))
