"""The analytics service's table metadata (its migrations build the schema)."""

from apim_common.db import new_metadata
from apim_common.events.consumer import processed_events_table

metadata = new_metadata()
processed_events = processed_events_table(metadata)
