"""Pack metric points into chunks of little-endian arrays, and unpack them.

A chunk holds consecutive points of one series as three arrays: int64 steps, int64 timestamps
(ms) and float64 values. Packing and unpacking run in C (``array``), so a 100,000-point history
costs a few milliseconds whatever the backend, where one row per point costs Python objects per
point.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Sequence

_SWAP = sys.byteorder != "little"


def pack(typecode: str, values: Sequence[int] | Sequence[float]) -> bytes:
    """Return ``values`` as little-endian bytes of ``typecode`` (``q`` int64, ``d`` float64)."""
    packed = array(typecode, values)
    if _SWAP:
        packed.byteswap()
    return packed.tobytes()


def unpack_into(typecode: str, data: bytes, target: array[int] | array[float]) -> None:
    """Append the values packed in ``data`` to ``target`` (an ``array`` of the same typecode)."""
    chunk = array(typecode)
    chunk.frombytes(data)
    if _SWAP:
        chunk.byteswap()
    target.extend(chunk)
