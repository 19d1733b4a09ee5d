from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from apim_admin.models import Base


class BotDetectionRecord(Base):
    """One call to a bot trap, as a gateway recorded it (credentials already masked)."""

    __tablename__ = "bot_detection_data"

    message_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(255), index=True)
    # Milliseconds since the epoch: the list's order, newest first.
    recorded_time: Mapped[int] = mapped_column(BigInteger, index=True)
    api_method: Mapped[str] = mapped_column(String(16))
    header_set: Mapped[str] = mapped_column(Text)
    message_body: Mapped[str] = mapped_column(Text)
    client_ip: Mapped[str] = mapped_column(String(64))
