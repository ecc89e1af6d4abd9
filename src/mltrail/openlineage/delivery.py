"""Deliver OpenLineage event dicts to destinations, spooling what fails and replaying it later.

Destinations are described in :mod:`mltrail.openlineage.destinations`. :class:`Emitter` hands
events to a daemon thread through a bounded queue, so user code is not held up. When a
destination fails it logs one warning per outage, spools the events for that destination and
goes on. Before each later batch it replays the destination's spooled events
(oldest first, in batches), so a destination that is back receives the backlog before new events
and each run's events keep their order. In strict mode it delivers in the calling thread and
raises :class:`~mltrail.core.errors.DeliveryError` after spooling.

:func:`replay` sends one destination's spooled events, for ``mltrail spool replay``.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mltrail.core.errors import ConfigError, DeliveryError
from mltrail.openlineage.destinations import Destination, Event, OpenLineageDestination
from mltrail.openlineage.spool import Spool

if TYPE_CHECKING:
    from mltrail.config import Settings

log = logging.getLogger(__name__)

# -- replay ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class ReplayResult:
    """What one replay pass of a destination did.

    Attributes:
        destination: The destination's key.
        delivered: Spooled events delivered and removed from the spool.
        failed: Spooled events whose delivery was attempted and failed (they stay spooled).
        left: Events of the destination still in the spool after the pass.
        error: The failure that ended the pass, if any.
    """

    destination: str
    delivered: int = 0
    failed: int = 0
    left: int = 0
    error: BaseException | None = field(default=None, repr=False)


def replay(
    spool: Spool,
    destination: Destination,
    *,
    batch_size: int = 100,
    on_progress: Callable[[int], None] | None = None,
) -> ReplayResult:
    """Send a destination's spooled events, oldest first, removing each batch once delivered.

    Entries are claimed before they are sent, so a process replaying the same spool at the same
    time sends other entries; the pass moves forward by id, so it never sends an entry twice. It
    stops at the first failed batch (the destination is down): those entries are released with
    the error and stay spooled.

    Args:
        spool: The spool to replay.
        destination: Where the entries spooled under ``destination.key`` go.
        batch_size: Events sent per ``send`` call.
        on_progress: Called with the number of entries handled after each batch.
    """
    result = ReplayResult(destination.key)
    after_id = 0
    while True:
        entries = spool.claim(destination.key, limit=batch_size, after_id=after_id)
        if not entries:
            break
        after_id = entries[-1].id
        ids = [entry.id for entry in entries]
        try:
            destination.send([entry.event for entry in entries])
        except Exception as exc:
            sent = _delivered_count(exc, len(ids))
            spool.remove(ids[:sent])
            spool.release(ids[sent:], _describe(exc))
            result.delivered += sent
            result.failed += len(ids) - sent
            result.error = exc
            if on_progress is not None:
                on_progress(len(ids))
            break
        spool.remove(ids)
        result.delivered += len(ids)
        if on_progress is not None:
            on_progress(len(ids))
    result.left = spool.count(destination.key)
    return result


# -- the emitter -----------------------------------------------------------------------------------


class Emitter:
    """Deliver OpenLineage event dicts to destinations without breaking or holding up user code.

    Args:
        destinations: Where every event goes; keys must differ.
        spool: Where events a destination could not take are kept; ``None`` drops them (logged).
        is_strict: Deliver in the calling thread and raise ``DeliveryError`` on failure.
        is_synchronous: Deliver in the calling thread (without raising unless ``is_strict``);
            for callers that are themselves a transport, such as the ``mltrail`` OL transport.
        queue_size: Most events waiting for the background thread; when full, ``emit`` waits up
            to ``put_timeout`` seconds, then spools the event directly.
        batch_size: Most events per ``send`` call (new and replayed).
        put_timeout: See ``queue_size``.
        exit_timeout: Seconds the interpreter-exit hook waits for delivery before spooling what
            is still queued.

    Raises:
        ValueError: If two destinations share a key.
    """

    def __init__(
        self,
        destinations: Sequence[Destination],
        *,
        spool: Spool | None,
        is_strict: bool = False,
        is_synchronous: bool = False,
        queue_size: int = 10_000,
        batch_size: int = 100,
        put_timeout: float = 0.5,
        exit_timeout: float = 5.0,
    ) -> None:
        keys = [destination.key for destination in destinations]
        if len(set(keys)) != len(keys):
            raise ValueError(f"destination keys must differ, got {keys}")
        self.destinations = list(destinations)
        self.spool = spool
        self.is_strict = is_strict
        self.is_synchronous = is_synchronous or is_strict
        self.batch_size = batch_size
        self._queue_size = queue_size
        self._put_timeout = put_timeout
        self._exit_timeout = exit_timeout
        self._down: dict[str, bool] = {}
        self._is_overflowing = False
        self._sync_lock = threading.Lock()
        self._is_closed = False
        self._reset()
        atexit.register(self._at_exit)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, destinations: Iterable[Destination] = (), with_openlineage: bool = True
    ) -> Emitter:
        """Build the emitter mltrail uses: the OpenLineage backend (if configured) plus ``destinations``.

        The spool folder, its bound and strict mode come from ``settings``. A broken OpenLineage
        configuration raises in strict mode and is logged (the backend left out) otherwise.

        Args:
            settings: Resolved mltrail settings.
            destinations: Further destinations, e.g. the tracking store.
            with_openlineage: Whether to add the OpenLineage backend when one is configured.

        Raises:
            ConfigError: In strict mode, if the OpenLineage configuration cannot be used.
        """
        chosen: list[Destination] = []
        if with_openlineage:
            try:
                backend = OpenLineageDestination.from_environment()
            except ConfigError as error:
                if settings.strict:
                    raise
                log.warning("not sending events to an OpenLineage backend: %s", error)
                backend = None
            if backend is not None:
                chosen.append(backend)
        chosen.extend(destinations)
        spool = Spool(settings.spool_dir, settings.spool_max_bytes)
        return cls(chosen, spool=spool, is_strict=settings.strict)

    # -- public --------------------------------------------------------------------------------

    def emit(self, events: Event | Sequence[Event]) -> None:
        """Deliver one event or several, in order; return at once unless strict or synchronous.

        Raises:
            DeliveryError: In strict mode only, when a destination failed (the events were spooled).
        """
        batch = [events] if isinstance(events, Mapping) else list(events)
        if not batch or not self.destinations:
            return
        if self.is_synchronous or self._is_closed:
            with self._sync_lock:
                failures = self._deliver(batch)
            if failures and self.is_strict:
                key, exc = failures[0]
                cause = exc.cause if isinstance(exc, DeliveryError) and exc.cause is not None else exc
                raise DeliveryError(
                    f"could not deliver {len(batch)} OpenLineage event(s) to {key} ({_describe(exc)})",
                    destination=key,
                    cause=cause,
                ) from cause
            return
        if self._pid != os.getpid():  # forked child: the parent's thread and queue are not ours
            self._reset()
        self._ensure_worker()
        for event in batch:
            with self._idle:
                self._pending += 1
            try:
                if self._is_overflowing:  # once behind, spool at once until the queue drains
                    self._queue.put_nowait(event)
                else:
                    self._queue.put(event, timeout=self._put_timeout)
            except queue.Full:
                self._spool_overflow(event)
                self._done(1)

    def hold(self, events: Sequence[Event], *, reason: str) -> None:
        """Spool events for every destination without trying to deliver them (one known to be down).

        They are delivered with the destination's backlog: before the next batch that goes
        through, or by ``mltrail spool replay``.
        """
        for destination in self.destinations:
            self._spool(destination.key, list(events), reason)

    def is_down(self, key: str) -> bool:
        """Return whether the last delivery to the destination ``key`` failed (its events were spooled)."""
        return self._down.get(key, False)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every emitted event was delivered or spooled; return whether that happened.

        Args:
            timeout: Most seconds to wait; ``None`` waits as long as it takes.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._idle:
            while self._pending:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def close(self, timeout: float | None = 5.0) -> bool:
        """Flush, stop the background thread and close the destinations; return whether all was flushed."""
        is_flushed = self.flush(timeout)
        self._is_closed = True
        self._spool_queued("the emitter was closed before they were delivered")
        if self._worker is not None and self._pid == os.getpid():
            self._queue.put(_STOP)
            self._worker.join(timeout)
        for destination in self.destinations:
            closer = getattr(destination, "close", None)
            if callable(closer):
                try:
                    closer()
                except Exception:
                    log.debug("closing destination %s failed", destination.key, exc_info=True)
        atexit.unregister(self._at_exit)
        return is_flushed

    # -- delivery --------------------------------------------------------------------------------

    def _deliver(self, batch: list[Event]) -> list[tuple[str, BaseException]]:
        """Send ``batch`` to every destination, backlog first; spool what fails. Return the failures."""
        failures: list[tuple[str, BaseException]] = []
        for destination in self.destinations:
            error = self._deliver_to(destination, batch)
            if error is not None:
                failures.append((destination.key, error))
        return failures

    def _deliver_to(self, destination: Destination, batch: list[Event]) -> BaseException | None:
        key = destination.key
        try:
            if self.spool is not None and self._has_backlog(key):
                result = replay(self.spool, destination, batch_size=self.batch_size)
                if result.error is not None:
                    self._spool(key, batch, result.error)
                    self._note_failure(key, result.error)
                    return result.error
                if result.delivered:
                    log.info("delivered %d spooled OpenLineage events to %s", result.delivered, key)
            destination.send(batch)
        except Exception as exc:  # the "tracking never breaks the pipeline" boundary
            self._spool(key, batch[_delivered_count(exc, len(batch)) :], exc)
            self._note_failure(key, exc)
            return exc
        if self._down.pop(key, False):
            log.warning("delivery of OpenLineage events to %s works again", key)
        return None

    def _has_backlog(self, key: str) -> bool:
        if self.spool is None:
            return False
        try:
            return self.spool.count(key) > 0
        except Exception as exc:  # a broken spool must not stop delivery
            log.debug("cannot read the spool %s: %s", self.spool.path, exc)
            return False

    def _note_failure(self, key: str, exc: BaseException) -> None:
        if self._down.get(key):
            log.debug("delivery to %s still failing: %s", key, exc)
            return
        self._down[key] = True
        where = f"spooling them in {self.spool.path}" if self.spool is not None else "no spool: they are lost"
        log.warning(
            "cannot deliver OpenLineage events to %s (%s); %s until it is back "
            "(further failures are logged at debug level)",
            key,
            _describe(exc),
            where,
        )

    def _spool(self, key: str, events: list[Event], exc: BaseException | str) -> None:
        if not events:
            return
        if self.spool is None:
            log.error("dropped %d OpenLineage event(s) for %s: no spool configured", len(events), key)
            return
        try:
            self.spool.add(key, events, error=exc if isinstance(exc, str) else _describe(exc))
        except Exception as spool_error:
            log.error(
                "lost %d OpenLineage event(s) for %s: cannot write the spool %s: %s",
                len(events),
                key,
                self.spool.path,
                spool_error,
            )

    def _spool_overflow(self, event: Event) -> None:
        if not self._is_overflowing:
            self._is_overflowing = True
            log.warning(
                "OpenLineage delivery is behind (%d events queued); spooling new events", self._queue_size
            )
        for destination in self.destinations:
            self._spool(destination.key, [event], "delivery queue full")

    def _spool_queued(self, reason: str) -> None:
        """Move events still in the queue to the spool (at exit or close), so they are not lost."""
        left: list[Event] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not _STOP:
                left.append(item)
        if left:
            log.warning("spooling %d OpenLineage event(s): %s", len(left), reason)
            for destination in self.destinations:
                self._spool(destination.key, left, reason)
            self._done(len(left))

    # -- the background thread -------------------------------------------------------------------

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=self._queue_size)
        self._idle = threading.Condition()
        self._pending = 0
        self._worker: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def _ensure_worker(self) -> None:
        if self._worker is not None and self._worker.is_alive():
            return
        with self._start_lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="mltrail-openlineage", daemon=True)
                self._worker.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            batch: list[Event] = [item]
            stop = False
            while len(batch) < self.batch_size:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            try:
                self._deliver(batch)
            except Exception:  # never let the thread die: later events would wait for ever
                log.exception("OpenLineage delivery failed unexpectedly")
            finally:
                self._done(len(batch))
            if stop:
                return

    def _done(self, count: int) -> None:
        with self._idle:
            self._pending -= count
            if self._pending <= 0:
                self._is_overflowing = False
                self._idle.notify_all()

    def _at_exit(self) -> None:
        if self._is_closed or self._pid != os.getpid():
            return
        if not self.flush(self._exit_timeout):
            self._spool_queued(f"still queued at interpreter exit after {self._exit_timeout:g}s")


_STOP = object()


def _delivered_count(exc: BaseException, total: int) -> int:
    """Return how many events of a failed batch went through, as reported by a ``DeliveryError``."""
    delivered = exc.delivered if isinstance(exc, DeliveryError) else 0
    return max(0, min(delivered, total))


def _describe(exc: BaseException) -> str:
    cause = exc.cause if isinstance(exc, DeliveryError) and exc.cause is not None else exc
    return f"{type(cause).__name__}: {cause}"


__all__ = ["Emitter", "ReplayResult", "replay"]
