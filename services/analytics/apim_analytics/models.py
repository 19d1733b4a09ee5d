"""Every table of the analytics service, for its migrations."""

from apim_analytics.base import metadata, processed_events
from apim_analytics.rollups.models import ROLLUPS, apis, applications

__all__ = ["ROLLUPS", "apis", "applications", "metadata", "processed_events"]
