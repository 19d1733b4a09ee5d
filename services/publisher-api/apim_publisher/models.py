"""Tables of the Publisher API service; its schema is made by its migrations."""

from sqlalchemy.orm import DeclarativeBase

from apim_common.db import new_metadata
from apim_common.events.consumer import processed_events_table
from apim_common.events.outbox import outbox_table


class Base(DeclarativeBase):
    metadata = new_metadata()


metadata = Base.metadata
outbox = outbox_table(metadata)
processed_events = processed_events_table(metadata)


def load_all() -> None:
    """Import every domain's models so ``metadata`` knows all tables (and foreign keys resolve)."""
    from apim_publisher.apis import models as _apis  # noqa: F401
    from apim_publisher.catalog import models as _catalog  # noqa: F401
    from apim_publisher.certificates import models as _certificates  # noqa: F401
    from apim_publisher.documents import models as _documents  # noqa: F401
    from apim_publisher.environments import models as _environments  # noqa: F401
    from apim_publisher.gateway_policies import models as _gateway_policies  # noqa: F401
    from apim_publisher.lifecycle import models as _lifecycle  # noqa: F401
    from apim_publisher.policies import models as _policies  # noqa: F401
    from apim_publisher.revisions import models as _revisions  # noqa: F401
    from apim_publisher.shared_scopes import models as _shared_scopes  # noqa: F401
    from apim_publisher.workflows import models as _workflows  # noqa: F401
