"""``python -m apim_gateway``: run one gateway (distributed mode)."""

from apim_common.runner import run_service
from apim_gateway.app import create_app
from apim_gateway.settings import Settings

if __name__ == "__main__":
    raise SystemExit(run_service("apim_gateway", Settings, create_app))
