"""A durable local spool of OpenLineage events that a destination could not take yet.

The spool is one SQLite file (``spool.db``) in a folder, by default ``.mltrail/spool`` next to the
default tracking database. Several processes may append and replay at once: the file runs in WAL
mode, every write is a ``BEGIN IMMEDIATE`` transaction, and a replaying process *claims* the
entries it is about to send inside such a transaction, so two processes never deliver the same
entry. An entry leaves the spool only through :meth:`Spool.remove`, called after its delivery
succeeded; after a failed delivery, :meth:`Spool.release` records the error.

Entries keep their insertion order (ids only grow), and :meth:`Spool.claim` hands them out in
that order, so a replay sends each run's events in the order they were emitted.

The spool is bounded: when the events it holds pass ``max_bytes``, the oldest are dropped and a
warning says how many. A crash between a successful send and :meth:`Spool.remove` sends those
entries again on the next replay, so receivers should ingest idempotently.
"""

from __future__ import annotations

import json
import logging
import os
import random
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mltrail.core.errors import ConfigError
from mltrail.core.sequences import chunks

log = logging.getLogger(__name__)

SPOOL_FILE_NAME = "spool.db"
DEFAULT_MAX_BYTES = 100 * 1024 * 1024
DEFAULT_LEASE_SECONDS = 300.0
"""How long a claim holds: a process that dies mid-replay frees its entries after this long."""
_BUSY_TIMEOUT_MS = 30_000
_MAX_ERROR_CHARS = 2000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entry (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    destination TEXT NOT NULL,
    event TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    first_error TEXT,
    last_error TEXT,
    last_attempt_at REAL,
    claimed_by TEXT,
    claimed_until REAL
);
CREATE INDEX IF NOT EXISTS entry_destination ON entry (destination, id);
CREATE TABLE IF NOT EXISTS totals (
    only INTEGER PRIMARY KEY CHECK (only = 1),
    bytes INTEGER NOT NULL
);
INSERT OR IGNORE INTO totals (only, bytes) VALUES (1, 0);
CREATE TRIGGER IF NOT EXISTS entry_added AFTER INSERT ON entry
    BEGIN UPDATE totals SET bytes = bytes + NEW.size WHERE only = 1; END;
CREATE TRIGGER IF NOT EXISTS entry_removed AFTER DELETE ON entry
    BEGIN UPDATE totals SET bytes = bytes - OLD.size WHERE only = 1; END;
"""


@dataclass(frozen=True, slots=True)
class SpoolEntry:
    """One spooled event.

    Attributes:
        id: Position in the spool; later entries have larger ids.
        destination: Key of the destination the event is for, e.g. ``openlineage``.
        event: The OpenLineage event as a JSON-ready dict.
        attempts: Failed deliveries so far (the one that spooled it included).
        created_at: When the event was spooled.
        first_error: The error that spooled it.
        last_error: The error of the latest failed delivery.
    """

    id: int
    destination: str
    event: dict[str, Any]
    attempts: int
    created_at: datetime
    first_error: str | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class DestinationStats:
    """What the spool holds for one destination.

    Attributes:
        destination: The destination's key.
        entries: Number of spooled events.
        bytes: Their size as JSON, in bytes.
        oldest: When the oldest of them was spooled.
        attempts: Most failed deliveries of any of them.
        last_error: The error of the latest failed delivery.
    """

    destination: str
    entries: int
    bytes: int
    oldest: datetime
    attempts: int
    last_error: str | None


class Spool:
    """A bounded, multi-process-safe SQLite queue of undelivered events, per destination.

    Nothing is created on disk until the first :meth:`add`; reading a spool that does not exist
    returns nothing. Each call opens its own connection, so one ``Spool`` may be used from any
    thread, and from a forked child.

    Args:
        path: The spool folder; the file inside is ``spool.db``.
        max_bytes: Most bytes of event JSON to keep; older entries are dropped beyond it.
        lease_seconds: How long a claim made by :meth:`claim` keeps other processes away.

    Raises:
        ConfigError: If ``max_bytes`` or ``lease_seconds`` is not positive.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        max_bytes: int = DEFAULT_MAX_BYTES,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        if max_bytes < 1:
            raise ConfigError("spool_max_bytes must be positive", key="spool_max_bytes", value=max_bytes)
        if not lease_seconds > 0:
            raise ConfigError("lease_seconds must be positive", key="lease_seconds", value=lease_seconds)
        self.path = Path(path)
        self.file = self.path / SPOOL_FILE_NAME
        self.max_bytes = max_bytes
        self.lease_seconds = lease_seconds
        self._owner = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._is_ready = False

    def __repr__(self) -> str:
        return f"Spool({str(self.path)!r}, max_bytes={self.max_bytes})"

    def exists(self) -> bool:
        """Return whether the spool file exists (it is created by the first :meth:`add`)."""
        return self.file.is_file()

    # -- writing -----------------------------------------------------------------------------------

    def add(
        self, destination: str, events: Iterable[dict[str, Any]], *, error: str | None = None
    ) -> list[int]:
        """Append events for ``destination``, in order, and return their ids.

        When the spool then holds more than ``max_bytes``, the oldest entries (of any
        destination) are dropped and a warning names how many.

        Args:
            destination: Key of the destination that could not take the events.
            events: JSON-ready OpenLineage event dicts.
            error: Why they could not be delivered; recorded as first and last error.

        Raises:
            sqlite3.Error: If the spool file cannot be written (e.g. the disk is full).
            TypeError: If an event cannot be encoded as JSON.
        """
        now = time.time()
        message = _clip(error)
        rows = []
        for event in events:
            text = json.dumps(event, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
            rows.append(
                (destination, text, len(text.encode("utf-8")), now, 1 if error else 0, message, message)
            )
        if not rows:
            return []
        with self._write() as connection:
            first = connection.execute("SELECT COALESCE(MAX(id), 0) FROM entry").fetchone()[0]
            connection.executemany(
                "INSERT INTO entry (destination, event, size, created_at, attempts, first_error, last_error) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            dropped = self._enforce_bound(connection)
            ids = [
                row[0]
                for row in connection.execute(
                    "SELECT id FROM entry WHERE id > ? AND destination = ? ORDER BY id", (first, destination)
                )
            ]
        if dropped:
            log.warning(
                "mltrail spool %s is full (max %d bytes): dropped the %d oldest events (%s)",
                self.path,
                self.max_bytes,
                sum(dropped.values()),
                ", ".join(f"{count} for {key}" for key, count in sorted(dropped.items())),
            )
        return ids

    def claim(self, destination: str, *, limit: int = 100, after_id: int = 0) -> list[SpoolEntry]:
        """Reserve the oldest unclaimed entries of ``destination`` for this spool object to deliver.

        The claim is taken in a write transaction, so another process calling ``claim`` at the same
        time gets other entries (or none). It lasts ``lease_seconds``; end it with :meth:`remove`
        after a successful delivery or :meth:`release` after a failed one.

        Args:
            destination: The destination's key.
            limit: Most entries to claim.
            after_id: Claim only entries with a larger id (a replay pass moves this forward, so it
                never sends an entry twice).

        Returns:
            The claimed entries, oldest first.
        """
        if not self.exists():
            return []
        now = time.time()
        with self._write() as connection:
            rows = connection.execute(
                "SELECT id, destination, event, attempts, created_at, first_error, last_error FROM entry "
                "WHERE destination = ? AND id > ? AND (claimed_until IS NULL OR claimed_until < ?) "
                "ORDER BY id LIMIT ?",
                (destination, after_id, now, limit),
            ).fetchall()
            connection.executemany(
                "UPDATE entry SET claimed_by = ?, claimed_until = ? WHERE id = ?",
                [(self._owner, now + self.lease_seconds, row[0]) for row in rows],
            )
        return [_entry(row) for row in rows]

    def remove(self, ids: Sequence[int]) -> int:
        """Delete entries (after their delivery succeeded); return how many were still there."""
        if not ids or not self.exists():
            return 0
        with self._write() as connection:
            removed = 0
            for chunk in chunks(ids):
                marks = ",".join("?" * len(chunk))
                statement = f"DELETE FROM entry WHERE id IN ({marks})"
                removed += connection.execute(statement, tuple(chunk)).rowcount
        return removed

    def release(self, ids: Sequence[int], error: str) -> None:
        """End the claim on entries whose delivery failed, recording the error and the attempt."""
        if not ids or not self.exists():
            return
        message, now = _clip(error), time.time()
        with self._write() as connection:
            for chunk in chunks(ids):
                marks = ",".join("?" * len(chunk))
                connection.execute(
                    "UPDATE entry SET attempts = attempts + 1, last_error = ?, last_attempt_at = ?, "
                    "first_error = COALESCE(first_error, ?), claimed_by = NULL, claimed_until = NULL "
                    f"WHERE id IN ({marks})",
                    (message, now, message, *chunk),
                )

    # -- reading -----------------------------------------------------------------------------------

    def pending(self, destination: str | None = None, *, limit: int | None = None) -> list[SpoolEntry]:
        """Return spooled entries, oldest first, without claiming them (for inspection).

        Args:
            destination: Only this destination's entries; all when ``None``.
            limit: Most entries to return; all when ``None``.
        """
        where, args = ("WHERE destination = ?", [destination]) if destination is not None else ("", [])
        sql = (
            "SELECT id, destination, event, attempts, created_at, first_error, last_error FROM entry "
            f"{where} ORDER BY id LIMIT ?"
        )
        with self._read() as connection:
            if connection is None:
                return []
            rows = connection.execute(sql, (*args, -1 if limit is None else limit)).fetchall()
        return [_entry(row) for row in rows]

    def count(self, destination: str | None = None) -> int:
        """Return how many entries the spool holds, for one destination or all."""
        with self._read() as connection:
            if connection is None:
                return 0
            if destination is None:
                return int(connection.execute("SELECT COUNT(*) FROM entry").fetchone()[0])
            row = connection.execute("SELECT COUNT(*) FROM entry WHERE destination = ?", (destination,))
            return int(row.fetchone()[0])

    def destinations(self) -> list[str]:
        """Return the keys of the destinations that have spooled entries, sorted."""
        return [stats.destination for stats in self.stats()]

    def stats(self) -> list[DestinationStats]:
        """Return what the spool holds per destination, sorted by key."""
        with self._read() as connection:
            if connection is None:
                return []
            rows = connection.execute(
                "SELECT destination, COUNT(*), SUM(size), MIN(created_at), MAX(attempts), "
                "(SELECT last_error FROM entry AS e WHERE e.destination = entry.destination "
                " AND last_error IS NOT NULL ORDER BY COALESCE(last_attempt_at, created_at) DESC, id DESC "
                " LIMIT 1) "
                "FROM entry GROUP BY destination ORDER BY destination"
            ).fetchall()
        return [
            DestinationStats(
                destination=row[0],
                entries=row[1],
                bytes=row[2],
                oldest=datetime.fromtimestamp(row[3], UTC),
                attempts=row[4],
                last_error=row[5],
            )
            for row in rows
        ]

    def total_bytes(self) -> int:
        """Return the bytes of event JSON the spool holds (what ``max_bytes`` bounds)."""
        with self._read() as connection:
            if connection is None:
                return 0
            return int(connection.execute("SELECT bytes FROM totals").fetchone()[0])

    # -- internals ---------------------------------------------------------------------------------

    def _enforce_bound(self, connection: sqlite3.Connection) -> dict[str, int]:
        """Drop the oldest entries until the spool fits ``max_bytes``; return the count per destination."""
        excess = connection.execute("SELECT bytes FROM totals").fetchone()[0] - self.max_bytes
        if excess <= 0:
            return {}
        cutoff, freed = 0, 0
        for entry_id, size in connection.execute("SELECT id, size FROM entry ORDER BY id"):
            cutoff, freed = entry_id, freed + size
            if freed >= excess:
                break
        dropped = dict(
            connection.execute(
                "SELECT destination, COUNT(*) FROM entry WHERE id <= ? GROUP BY destination", (cutoff,)
            ).fetchall()
        )
        connection.execute("DELETE FROM entry WHERE id <= ?", (cutoff,))
        return dropped

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.file, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    def _prepare(self) -> None:
        """Create the folder and the schema once per object; WAL mode is a property of the file."""
        if self._is_ready and self.exists():
            return
        self.path.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as connection:
            _set_wal(connection)
            # One script, one write transaction: processes that create the spool at once queue up.
            # Closing the connection after a failure rolls the transaction back.
            connection.executescript(f"BEGIN IMMEDIATE;\n{_SCHEMA}\nCOMMIT;")
        self._is_ready = True

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        self._prepare()
        with closing(self._connect()) as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection | None]:
        if not self.exists():
            yield None
            return
        self._prepare()
        with closing(self._connect()) as connection:
            yield connection


def _set_wal(connection: sqlite3.Connection) -> None:
    """Switch the file to WAL mode; SQLite reports a busy file here without waiting, so retry."""
    deadline = time.monotonic() + _BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            connection.execute("PRAGMA journal_mode = WAL").fetchone()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.005, 0.05))


def _entry(row: tuple[Any, ...]) -> SpoolEntry:
    return SpoolEntry(
        id=row[0],
        destination=row[1],
        event=json.loads(row[2]),
        attempts=row[3],
        created_at=datetime.fromtimestamp(row[4], UTC),
        first_error=row[5],
        last_error=row[6],
    )


def _clip(error: str | None) -> str | None:
    if error is None:
        return None
    return error if len(error) <= _MAX_ERROR_CHARS else error[: _MAX_ERROR_CHARS - 1] + "…"


__all__ = ["DEFAULT_MAX_BYTES", "SPOOL_FILE_NAME", "DestinationStats", "Spool", "SpoolEntry"]
