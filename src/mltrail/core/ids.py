"""Identity: new run ids (time-ordered UUIDs), drawn cheaply enough for thousands of runs per second."""

from __future__ import annotations

import os
import threading
import time
from typing import Any
from uuid import UUID

_POOL_BYTES = 16 * 256
_lock = threading.Lock()
_pool = b""
_offset = 0


def new_run_id() -> UUID:
    """Return a version 7 UUID (RFC 9562): the time in milliseconds, then 74 random bits.

    OpenLineage recommends UUIDv7 run ids, and its client and Airflow provider draw them: ids
    made later sort later, so indexes keyed by run id grow at their end instead of everywhere.

    Random bytes are read from the OS 256 ids at a time: one ``getrandom`` call per id costs a
    thread switch when a background writer holds the interpreter lock. The pool is discarded in
    a forked child, so parent and child never share ids.
    """
    global _pool, _offset
    with _lock:
        if _offset + 10 > len(_pool):
            _pool, _offset = os.urandom(_POOL_BYTES), 0
        chunk = _pool[_offset : _offset + 10]
        _offset += 10
    return uuid7(time.time_ns() // 1_000_000, int.from_bytes(chunk))


def uuid7(unix_ms: int, random_bits: int) -> UUID:
    """The version 7 UUID of a time (milliseconds since the epoch) and random bits (74 are used)."""
    rand_a = (random_bits >> 62) & 0xFFF
    rand_b = random_bits & ((1 << 62) - 1)
    return UUID(int=(unix_ms & (1 << 48) - 1) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b)


def _forget_pool() -> None:
    global _pool, _offset
    _pool, _offset = b"", 0


os.register_at_fork(after_in_child=_forget_pool)


def parse_uuid(value: Any) -> UUID | None:
    """``value`` as a UUID, or ``None`` when it is not one (``str(value)`` is parsed)."""
    try:
        return UUID(str(value))
    except ValueError:
        return None
