"""What is revoked, never what was issued: jtis until their expiry, and time-based rules."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from apim_key_manager.base import Base

_ID = BigInteger().with_variant(Integer(), "sqlite")


class RevokedToken(Base):
    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Epoch seconds; the row may be pruned afterwards since the token is dead anyway.
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)


class RevocationRule(Base):
    """Tokens of ``client_id`` (or of ``subject``, ``user@tenant``) issued before ``before`` are revoked."""

    __tablename__ = "revocation_rules"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    client_id: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    subject: Mapped[str | None] = mapped_column(String(512), index=True, default=None)
    before: Mapped[int] = mapped_column(BigInteger)
    # Once every token the rule can match has expired, the rule may be pruned.
    expires_at: Mapped[int] = mapped_column(BigInteger)
