"""The declarative base of the ORM's classes (models.py), on the tables' MetaData (tables.py)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from paybot.store.tables import NAMING_CONVENTION, metadata

__all__ = ["NAMING_CONVENTION", "Base"]


class Base(DeclarativeBase):
    # The one MetaData of paybot's tables: every table is in it once tables.py is imported.
    metadata = metadata
