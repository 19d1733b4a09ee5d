"""The declarative base and the event tables every domain's models share."""

from sqlalchemy.orm import DeclarativeBase

from apim_common.db import new_metadata
from apim_common.events.consumer import processed_events_table
from apim_common.events.outbox import outbox_table


class Base(DeclarativeBase):
    metadata = new_metadata()


metadata = Base.metadata
outbox = outbox_table(metadata)
processed_events = processed_events_table(metadata)
