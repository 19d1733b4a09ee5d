"""Authorization codes (RFC 6749 4.1): short-lived, single-use, kept only as a hash."""

from __future__ import annotations

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from apim_key_manager.base import Base


class AuthorizationCode(Base):
    __tablename__ = "authorization_codes"

    # SHA-256 of the code: a leaked table row cannot be redeemed.
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    # The user's id (users.id), so a renamed or deleted user cannot be resurrected by a code.
    user_id: Mapped[str] = mapped_column(String(36))
    redirect_uri: Mapped[str] = mapped_column(String(2048))
    scope: Mapped[str] = mapped_column(Text, default="")
    code_challenge: Mapped[str | None] = mapped_column(String(128), default=None)
    # Epoch seconds.
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
    # Set when redeemed; a second redemption revokes what the first one issued (RFC 6749 4.1.2).
    used_at: Mapped[int | None] = mapped_column(BigInteger, default=None)
    access_jti: Mapped[str | None] = mapped_column(String(64), default=None)
    access_exp: Mapped[int | None] = mapped_column(BigInteger, default=None)
    refresh_jti: Mapped[str | None] = mapped_column(String(64), default=None)
    refresh_exp: Mapped[int | None] = mapped_column(BigInteger, default=None)
    tenant: Mapped[str] = mapped_column(String(255))
