"""``python -m apim_publisher [migrate]``: serve the service alone, or migrate its database."""

from apim_common.runner import run_service
from apim_publisher.app import create_app
from apim_publisher.settings import Settings

if __name__ == "__main__":
    raise SystemExit(run_service("apim_publisher", Settings, create_app))
