"""``python -m apim_devportal [migrate]``: serve the service alone, or migrate its database."""

from apim_common.runner import run_service
from apim_devportal.app import create_app
from apim_devportal.settings import Settings

if __name__ == "__main__":
    raise SystemExit(run_service("apim_devportal", Settings, create_app))
