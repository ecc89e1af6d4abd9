"""The shape of the store's transaction runners, for parts of its API that live in classes of their own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from sqlalchemy import Connection

T = TypeVar("T")


class Transaction(Protocol):
    """Runs a function in a transaction, with retries, and returns its result (``Store._read``)."""

    def __call__(self, fn: Callable[[Connection], T], /) -> T:
        """Return ``fn(connection)``, run in one transaction."""
        ...


__all__ = ["Transaction"]
