"""The role -> scope map of each tenant (WSO2's system scopes) and its role aliases."""

from __future__ import annotations

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from apim_key_manager.base import Base


class ScopeRoles(Base):
    __tablename__ = "scope_roles"

    tenant: Mapped[str] = mapped_column(String(255), primary_key=True)
    scope: Mapped[str] = mapped_column(String(255), primary_key=True)
    roles: Mapped[list[str]] = mapped_column(JSON)


class RoleAlias(Base):
    __tablename__ = "role_aliases"

    tenant: Mapped[str] = mapped_column(String(255), primary_key=True)
    role: Mapped[str] = mapped_column(String(255), primary_key=True)
    aliases: Mapped[list[str]] = mapped_column(JSON)
