"""Tables of the Developer Portal API service; its schema is made by its migrations.

Importing this module registers every domain's tables on ``metadata``.
"""

from apim_devportal.applications import models as _applications
from apim_devportal.base import Base, metadata, outbox, processed_events
from apim_devportal.catalog import models as _catalog
from apim_devportal.feedback import models as _feedback
from apim_devportal.key_managers import models as _key_managers
from apim_devportal.keys import models as _keys
from apim_devportal.subscriptions import models as _subscriptions
from apim_devportal.tenants import models as _tenants
from apim_devportal.throttling import models as _throttling
from apim_devportal.webhooks import models as _webhooks
from apim_devportal.workflows import models as _workflows

__all__ = ["Base", "metadata", "outbox", "processed_events"]

_DOMAINS = (
    _applications,
    _catalog,
    _feedback,
    _key_managers,
    _keys,
    _subscriptions,
    _tenants,
    _throttling,
    _webhooks,
    _workflows,
)
