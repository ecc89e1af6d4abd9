"""Identity: new run ids (random UUIDs), drawn cheaply enough for thousands of runs per second."""

from __future__ import annotations

import os
import threading
from typing import Any
from uuid import UUID

_POOL_BYTES = 16 * 256
_lock = threading.Lock()
_pool = b""
_offset = 0


def new_run_id() -> UUID:
    """Return a random (version 4) UUID, like :func:`uuid.uuid4`.

    Random bytes are read from the OS 256 ids at a time: one ``getrandom`` call per id costs a
    thread switch when a background writer holds the interpreter lock. The pool is discarded in
    a forked child, so parent and child never share ids.
    """
    global _pool, _offset
    with _lock:
        if _offset + 16 > len(_pool):
            _pool, _offset = os.urandom(_POOL_BYTES), 0
        chunk = _pool[_offset : _offset + 16]
        _offset += 16
    return UUID(bytes=chunk, version=4)


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
