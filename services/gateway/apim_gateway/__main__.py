"""``python -m apim_gateway``: run one gateway (distributed mode)."""

from apim_gateway.server import main

if __name__ == "__main__":
    raise SystemExit(main())
