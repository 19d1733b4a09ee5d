"""Events between services: CloudEvents envelopes, a bus, an outbox, idempotent consumers."""

from apim_common.events.bus import EventBus, Handler, InProcessBus
from apim_common.events.envelope import CloudEvent, new_event
from apim_common.events.topics import Topic

__all__ = ["CloudEvent", "EventBus", "Handler", "InProcessBus", "Topic", "new_event"]
