"""The declarative base of every Key Manager table."""

from sqlalchemy.orm import DeclarativeBase

from apim_common.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()
