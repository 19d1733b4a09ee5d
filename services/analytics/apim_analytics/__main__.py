"""``python -m apim_analytics [migrate]``: serve the service alone, or migrate its database."""

from apim_analytics.app import create_app
from apim_analytics.settings import Settings
from apim_common.runner import run_service

if __name__ == "__main__":
    raise SystemExit(run_service("apim_analytics", Settings, create_app))
