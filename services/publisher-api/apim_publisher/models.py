"""Tables of the Publisher API service; its schema is made by its migrations.

Importing this module registers every domain's tables on ``metadata``.
"""

from apim_publisher.apis import models as _apis
from apim_publisher.base import Base, metadata, outbox, processed_events
from apim_publisher.catalog import models as _catalog
from apim_publisher.certificates import models as _certificates
from apim_publisher.documents import models as _documents
from apim_publisher.environments import models as _environments
from apim_publisher.gateway_policies import models as _gateway_policies
from apim_publisher.lifecycle import models as _lifecycle
from apim_publisher.policies import models as _policies
from apim_publisher.revisions import models as _revisions
from apim_publisher.servicecatalog import models as _servicecatalog
from apim_publisher.shared_scopes import models as _shared_scopes
from apim_publisher.workflows import models as _workflows

__all__ = ["Base", "load_all", "metadata", "outbox", "processed_events"]

_DOMAINS = (
    _apis,
    _catalog,
    _certificates,
    _documents,
    _environments,
    _gateway_policies,
    _lifecycle,
    _policies,
    _revisions,
    _servicecatalog,
    _shared_scopes,
    _workflows,
)


def load_all() -> None:
    """Every domain's tables are on ``metadata`` once this module is imported; kept for the migrations."""
