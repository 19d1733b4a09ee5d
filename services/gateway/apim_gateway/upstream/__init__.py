"""The gateway's upstream HTTP/1.1 client: pooled keep-alive connections on asyncio Protocol."""

from apim_gateway.upstream.client import (
    BodyStream,
    ConnectError,
    EndpointDenied,
    Origin,
    RequestBodyError,
    UpstreamClient,
    UpstreamError,
    UpstreamResponse,
    UpstreamTimeout,
)

__all__ = [
    "BodyStream",
    "ConnectError",
    "EndpointDenied",
    "Origin",
    "RequestBodyError",
    "UpstreamClient",
    "UpstreamError",
    "UpstreamResponse",
    "UpstreamTimeout",
]
