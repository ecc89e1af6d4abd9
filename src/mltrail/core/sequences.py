"""Split long sequences (mostly lists of ids) into pieces that every backend binds well in ``IN (…)``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

CHUNK = 500
"""Ids per statement."""

T = TypeVar("T")


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Consecutive slices of ``values`` of at most ``size`` items."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
