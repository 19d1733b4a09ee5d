"""The gateway's upstream HTTP/1.1 client: pooled keep-alive connections on asyncio Protocol."""

from apim_gateway.upstream.client import (
    ConnectError,
    Origin,
    UpstreamClient,
    UpstreamError,
    UpstreamResponse,
    UpstreamTimeout,
)

__all__ = ["ConnectError", "Origin", "UpstreamClient", "UpstreamError", "UpstreamResponse", "UpstreamTimeout"]
