"""WebSub (WebHook) APIs: the hub subscribers subscribe at and providers publish events to.

``hub.py`` answers both; ``registry.py`` keeps the live subscribers every gateway shares through
``webhook-subscription.*`` events and the Developer Portal's snapshot (``sync.py``);
``delivery.py`` fans an event out to them off the request's way; ``signatures.py`` signs and
checks bodies.
"""

from __future__ import annotations

import httpx

from apim_common.events.webhooks import SECRET_PURPOSE
from apim_common.outbound import OutboundPolicy, guarded_client
from apim_common.sealed import ENDPOINT_SECRETS, SecretBox
from apim_common.service_auth import ServiceTokenProvider
from apim_gateway.request.services import Services
from apim_gateway.websub.delivery import Deliverer
from apim_gateway.websub.hub import Hub, HubSettings
from apim_gateway.websub.registry import Registry
from apim_gateway.websub.sync import SubscriberSync

_PER_CLIENT = 4  # deliveries in flight per callback client


def create_hub(services: Services, control_plane: httpx.AsyncClient, tokens: ServiceTokenProvider) -> Hub:
    """The hub with its callback clients (all through the outbound guard), closed by ``Hub.stop``."""
    settings = services.settings
    outbound = OutboundPolicy.from_settings(settings)
    # One guarded client per four workers: httpcore's pool walks every connection for every
    # request it places, so one pool of 64 connections spent 70% of the fan-out's CPU there
    # (benchmarks/bench_websub.py: 3.0 ms of CPU per delivery with one client, 0.86 ms so).
    timeout = settings.gateway_websub_delivery_timeout
    workers = settings.gateway_websub_concurrency
    clients = [
        guarded_client(
            outbound,
            transport=httpx.AsyncHTTPTransport(
                limits=httpx.Limits(max_connections=_PER_CLIENT, max_keepalive_connections=_PER_CLIENT)
            ),
            timeout=timeout,
        )
        for _ in range(-(-workers // _PER_CLIENT))
    ]
    callbacks = guarded_client(outbound, timeout=timeout)  # intent checks
    box = SecretBox(settings.secret(), SECRET_PURPOSE)
    registry = Registry(box)
    hub: Hub
    deliverer = Deliverer(
        services,
        clients,
        lambda subscriber, data: hub.report_delivery(subscriber, data),
        concurrency=settings.gateway_websub_concurrency,
        attempts=settings.gateway_websub_delivery_attempts,
        retry_delay=settings.gateway_websub_retry_delay,
    )
    sync = SubscriberSync(
        registry,
        control_plane,
        tokens,
        settings.devportal_url,
        retry_interval=settings.gateway_snapshot_retry,
    )
    hub = Hub(
        services,
        registry,
        deliverer,
        sync,
        http=callbacks,
        outbound=outbound,
        api_secrets=SecretBox(settings.secret(), ENDPOINT_SECRETS),
        subscriber_secrets=box,
        settings=HubSettings(
            verify_timeout=settings.gateway_websub_verify_timeout,
            default_lease=settings.gateway_websub_default_lease,
            max_lease=settings.gateway_websub_max_lease,
            max_event_body=settings.gateway_max_request_body_size,
        ),
    )
    return hub


__all__ = ["Hub", "create_hub"]
