"""The API aggregate: its identity columns, the editable WSO2 DTO body and its OpenAPI definition."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session

from apim_common import tenant_versions
from apim_publisher.base import Base

# The row's ``type`` of an API product; every other value is a kind of API (HTTP, SOAP, WS...).
PRODUCT_TYPE = "APIProduct"


class API(Base):
    __tablename__ = "apis"
    __table_args__ = (
        UniqueConstraint("tenant", "context", "version", name="uq_apis_tenant_context_version"),
        UniqueConstraint("tenant", "name", "version", name="uq_apis_tenant_name_version"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(50))
    context: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(200))
    lifecycle_status: Mapped[str] = mapped_column(String(20))
    type: Mapped[str] = mapped_column(String(20))
    is_default_version: Mapped[bool] = mapped_column(Boolean, default=False)
    # Every other field of WSO2's API DTO, as the client last set it.
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    definition: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    thumbnail: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    thumbnail_media_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # CREATED while an AM_API_STATE approval is pending.
    workflow_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # Revision numbers keep counting up after deletions, as in WSO2.
    revision_counter: Mapped[int] = mapped_column(Integer, default=0)
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(200))
    # Copied from ``spec`` on every write (``_copy_listed``), so that a list of thousands of APIs
    # is decided on these columns without reading any whole body; lists are one item a line.
    listed_description: Mapped[str | None] = mapped_column(Text, nullable=True)
    listed_tags: Mapped[str | None] = mapped_column(Text, nullable=True)
    listed_categories: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The lower-cased roles of a RESTRICTED API, one a line; None when it is not restricted.
    access_roles: Mapped[str | None] = mapped_column(Text, nullable=True)


def restricted_roles(spec: dict[str, Any]) -> frozenset[str] | None:
    """The roles an API is restricted to (``accessControl`` RESTRICTED); None when it is not."""
    if str(spec.get("accessControl") or "NONE").upper() != "RESTRICTED":
        return None
    return frozenset(str(r).strip().lower() for r in spec.get("accessControlRoles") or ())


def lines(values: Any) -> str:
    return "\n".join(str(v) for v in values) if isinstance(values, list) else ""


def _copy_listed(_mapper: Any, _connection: Any, api: API) -> None:
    spec = api.spec or {}
    api.listed_description = str(spec.get("description") or "")
    api.listed_tags = lines(spec.get("tags"))
    api.listed_categories = lines(spec.get("categories"))
    roles = restricted_roles(spec)
    api.access_roles = None if roles is None else lines(sorted(roles))


event.listen(API, "before_insert", _copy_listed)
event.listen(API, "before_update", _copy_listed)


# The version of each tenant's API list (what ``GET /apis`` decides on: the columns below the
# body), raised in the transaction of every write that changes it; replicas keep the listed rows
# in memory under it (apis/listing.py).
list_versions = tenant_versions.versions_table(Base.metadata, "api_list_versions")
# The columns a list is decided on; ``tenant`` and ``type`` choose which rows it reads.
LISTED_FIELDS = (
    "tenant",
    "name",
    "version",
    "context",
    "provider",
    "lifecycle_status",
    "type",
    "created_at",
    "listed_description",
    "listed_tags",
    "listed_categories",
    "access_roles",
)
# session.info key: the tenants whose list this transaction changed, raised at its commit.
_CHANGED = "apim_publisher.api_lists_changed"


def _changed(api: API, tenants: set[str]) -> None:
    session = object_session(api)
    if session is not None and tenants:
        session.info.setdefault(_CHANGED, set()).update(tenants)


def _listed_written(_mapper: Any, _connection: Any, api: API) -> None:
    _changed(api, {api.tenant})


def _listed_updated(_mapper: Any, _connection: Any, api: API) -> None:
    state = inspect(api)
    if not any(state.attrs[name].history.has_changes() for name in LISTED_FIELDS):
        return
    # An API moved to another tenant leaves the old tenant's list too.
    _changed(api, {api.tenant, *(t for t in state.attrs.tenant.history.deleted if t)})


def _raise_versions(session: Session) -> None:
    """Raise the version of every list the transaction changed, last thing before it commits, so
    the version's row is locked only for the commit and taken after every other lock."""
    if session.in_nested_transaction():
        return  # the outer transaction's commit raises them
    pending = (*session.new, *session.dirty, *session.deleted)
    if _CHANGED not in session.info and not any(isinstance(o, API) for o in pending):
        return  # nothing of an API list: every other service's sessions in this process too
    session.flush()
    tenants = session.info.pop(_CHANGED, None)
    if not tenants:
        return
    dialect = session.get_bind().dialect.name
    for tenant in sorted(tenants):
        session.execute(tenant_versions.raise_statement(list_versions, dialect, tenant))


def _forget(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_CHANGED, None)


event.listen(API, "after_insert", _listed_written)
event.listen(API, "after_delete", _listed_written)
event.listen(API, "after_update", _listed_updated)
event.listen(Session, "before_commit", _raise_versions)
event.listen(Session, "after_transaction_end", _forget)
