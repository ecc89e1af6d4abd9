"""The declarative base: naming convention and the column types every table shares."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


BIG_INT = BigInteger().with_variant(Integer(), "sqlite")
"""64-bit integers; plain INTEGER on SQLite so that integer primary keys are rowid aliases."""


class Base(DeclarativeBase):
    """Base of every ORM row class; rows never leave the ``store`` package."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, int: BIG_INT}
