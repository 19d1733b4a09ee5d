from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from apim_admin.models import Base


class PolicyReference(Base):
    """``source_kind`` ``source_id`` (an API, application or subscription) uses a tier by name."""

    __tablename__ = "policy_references"

    source_kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    policy_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    policy_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(255), index=True)


class KnownApi(Base):
    __tablename__ = "known_apis"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(64))
    context: Mapped[str] = mapped_column(String(255))
    provider: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(32))
    key_managers: Mapped[list[str]] = mapped_column(JSON)
    categories: Mapped[list[str]] = mapped_column(JSON)


class KnownApplication(Base):
    __tablename__ = "known_applications"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255))
    owner: Mapped[str] = mapped_column(String(255))


class KnownKeyMapping(Base):
    __tablename__ = "known_key_mappings"

    application_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    key_manager: Mapped[str] = mapped_column(String(255), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(255), index=True)


def as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []
