"""The event bus a service's settings choose: Kafka in distributed mode, in-process otherwise."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apim_common.events.bus import EventBus, InProcessBus

if TYPE_CHECKING:
    from apim_common.settings import ServiceSettings


def bus_from_settings(settings: ServiceSettings) -> EventBus:
    if settings.bus == "kafka":
        from apim_common.events.kafka import KafkaBus

        return KafkaBus.from_settings(settings)
    return InProcessBus()
