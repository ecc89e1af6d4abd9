"""Destinations of OpenLineage events, and how to rebuild one from its spool key for replay.

A *destination* is any object with a ``key`` (``str``, stable across processes: it names the
destination in the spool) and ``send(events: list[dict]) -> None``, which raises on failure. A
destination that delivered part of a batch before failing raises
:class:`~mltrail.core.errors.DeliveryError` with ``delivered`` set, so those events are not sent
again. Two kinds ship here:

* :class:`OpenLineageDestination` (key ``openlineage``): the user's OpenLineage backend, through
  the transport that ``openlineage-python`` builds from its standard configuration
  (``openlineage.yml``, ``OPENLINEAGE_CONFIG``, ``OPENLINEAGE__*``, ``OPENLINEAGE_URL``);
* :class:`SinkDestination`: a key plus a function, e.g. ``store:<tracking uri>`` plus ``Store.ingest``.

To replay from another process (``mltrail spool replay``), a destination is rebuilt from its key
by :func:`open_destination`, using factories registered with :func:`register_destination_factory`.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from mltrail.core.errors import ConfigError, DeliveryError

if TYPE_CHECKING:
    from openlineage.client import OpenLineageClient

log = logging.getLogger(__name__)

OPENLINEAGE_KEY = "openlineage"
"""Spool key of the user's OpenLineage backend."""
STORE_PREFIX = "store:"
"""Spool keys of mltrail stores are ``store:<tracking uri>``."""

Event = dict[str, Any]
Sink = Callable[[list[Event]], None]


class Destination(Protocol):
    """Where events go: a stable ``key`` and a ``send`` that raises when delivery fails."""

    @property
    def key(self) -> str:
        """The destination's name in the spool, the same in every process."""
        ...

    def send(self, events: list[Event]) -> None:
        """Deliver ``events`` in order; raise on failure (``DeliveryError.delivered`` for a partial one)."""
        ...


@dataclass(frozen=True, slots=True)
class SinkDestination:
    """A destination made of a key and a function that takes a batch of events.

    Attributes:
        key: The destination's spool key, e.g. ``store:sqlite:///.mltrail/mltrail.db``.
        sink: Called with each batch; raises on failure.
    """

    key: str
    sink: Sink

    def send(self, events: list[Event]) -> None:
        """Pass ``events`` to the sink."""
        self.sink(events)


class OpenLineageDestination:
    """The user's OpenLineage backend, through an ``openlineage-python`` client's transport.

    Events are dicts (already built and serialised), so they go to ``client.transport.emit``:
    transports that serialise with ``Serde`` (``http``, ``file``, ``console``, ``kafka``,
    ``composite`` and ``transform`` of those, ``mltrail``) accept them. The client's own additions
    to event objects (environment-variable facets, tags, filters, dataset reduction) do not apply.
    ``async_http`` reports no failures to its caller, so nothing it fails to send is spooled.

    Args:
        client: The client whose transport delivers the events.
    """

    key = OPENLINEAGE_KEY

    def __init__(self, client: OpenLineageClient) -> None:
        self.client = client

    def __repr__(self) -> str:
        return f"OpenLineageDestination(transport={self.client.transport.kind!r})"

    @classmethod
    def from_environment(cls) -> OpenLineageDestination | None:
        """Build the destination from the standard OpenLineage configuration, if there is one.

        Returns ``None`` when no transport is configured (no ``transport.type`` in the config file
        or ``OPENLINEAGE__TRANSPORT*`` variables, and no ``OPENLINEAGE_URL``): the client would
        otherwise print events to the console. Also ``None`` when ``OPENLINEAGE_DISABLED=true``.

        Raises:
            ConfigError: If the OpenLineage configuration exists but its transport cannot be built.
        """
        if not _may_be_configured():
            log.debug("no OpenLineage configuration found; not sending events to an OpenLineage backend")
            return None
        from openlineage.client import OpenLineageClient
        from openlineage.client.transport.noop import NoopConfig, NoopTransport

        import mltrail.openlineage.transport  # noqa: F401  (registers ``type: mltrail`` for the config)

        try:
            # A client given a transport resolves the config (file, env) but builds no fallback.
            probe = OpenLineageClient(transport=NoopTransport(NoopConfig()))
            transport = probe.config.transport or {}
            is_configured = bool(transport.get("type")) or bool(os.environ.get("OPENLINEAGE_URL"))
            if not is_configured:
                log.debug("no OpenLineage transport configured; not sending events to an OpenLineage backend")
                return None
            client = OpenLineageClient()
        except Exception as exc:  # the client raises several builtins for bad configs
            raise ConfigError(
                f"cannot build the OpenLineage transport: {exc}", key="openlineage.transport", value=None
            ) from exc
        if client.transport.kind == NoopTransport.kind:  # OPENLINEAGE_DISABLED, checked by the client
            log.debug("OpenLineage is disabled; not sending events to an OpenLineage backend")
            return None
        return cls(client)

    def send(self, events: list[Event]) -> None:
        """Emit each event through the transport, in order.

        Raises:
            DeliveryError: When an event fails, with ``delivered`` = the events emitted before it.
        """
        for index, event in enumerate(events):
            try:
                self.client.transport.emit(event)  # type: ignore[arg-type]  # dicts serialise like events
            except Exception as exc:
                raise DeliveryError(
                    f"OpenLineage transport {self.client.transport.kind!r} failed: {exc}",
                    destination=self.key,
                    cause=exc,
                    delivered=index,
                ) from exc

    def close(self, timeout: float = 5.0) -> None:
        """Close the transport (HTTP sessions, async queues)."""
        self.client.close(timeout)


# -- rebuilding destinations from spool keys -------------------------------------------------------

DestinationFactory = Callable[[str], Destination]
_factories: dict[str, DestinationFactory] = {}


def _may_be_configured() -> bool:
    """Whether an OpenLineage configuration may exist, checked without importing the client.

    The client reads ``OPENLINEAGE_CONFIG``, ``./openlineage.yml``, ``~/.openlineage/openlineage.yml``,
    ``OPENLINEAGE__*`` variables and ``OPENLINEAGE_URL``; with none of them there is nothing to
    send to, and the client (about a third of a second to import) is not loaded at all.
    """
    if any(
        name == "OPENLINEAGE_URL" or name == "OPENLINEAGE_CONFIG" or name.startswith("OPENLINEAGE__")
        for name in os.environ
    ):
        return True
    return os.path.exists("openlineage.yml") or os.path.exists(
        os.path.join(os.path.expanduser("~"), ".openlineage", "openlineage.yml")
    )


def register_destination_factory(prefix: str, factory: DestinationFactory) -> None:
    """Register how to rebuild destinations whose key matches ``prefix`` (for replay).

    A prefix that ends with ``:`` matches every key that starts with it (``store:`` matches
    ``store:sqlite:///x.db``); any other prefix matches only the key equal to it. A later
    registration for the same prefix replaces the earlier one.

    Args:
        prefix: E.g. ``store:`` or ``openlineage``.
        factory: Called with the whole key; returns the destination.
    """
    _factories[prefix] = factory


def open_destination(key: str) -> Destination:
    """Rebuild the destination that spooled entries under ``key``.

    Raises:
        ConfigError: If no factory matches ``key``, or the factory cannot build it.
    """
    for prefix in sorted(_factories, key=len, reverse=True):
        if key == prefix or (prefix.endswith(":") and key.startswith(prefix)):
            return _factories[prefix](key)
    known = ", ".join(sorted(_factories)) or "none"
    raise ConfigError(
        f"no destination is registered for {key!r} (known: {known})", key="destination", value=key
    )


def _open_openlineage(key: str) -> Destination:
    destination = OpenLineageDestination.from_environment()
    if destination is None:
        raise ConfigError(
            "no OpenLineage transport is configured (openlineage.yml, OPENLINEAGE__TRANSPORT__*, "
            "OPENLINEAGE_URL), or OPENLINEAGE_DISABLED is true",
            key="destination",
            value=key,
        )
    return destination


register_destination_factory(OPENLINEAGE_KEY, _open_openlineage)


# -- mltrail stores ------------------------------------------------------------------------------

SinkFactory = Callable[[str], Sink]
"""Takes a tracking URI; returns the function that stores a list of event dicts there."""

_sink_factory: SinkFactory | None = None
_sink_lock = threading.Lock()


def set_store_sink(factory: SinkFactory | None) -> SinkFactory | None:
    """Set how events reach a store: ``factory(tracking_uri)`` returns a sink for that store.

    The sink is built at the first event for a tracking URI and kept by that destination. This
    is the hook mltrail wires to ``Store.ingest``; tests may set their own.

    Args:
        factory: The new factory, or ``None`` to unset it (events are then spooled).

    Returns:
        The factory set before, so a caller can restore it.
    """
    global _sink_factory
    with _sink_lock:
        previous, _sink_factory = _sink_factory, factory
    return previous


class StoreDestination:
    """The mltrail store at a tracking URI, as a delivery destination (key ``store:<uri>``).

    Args:
        tracking_uri: The store's database URL.
    """

    def __init__(self, tracking_uri: str) -> None:
        self.tracking_uri = tracking_uri
        self.key = f"{STORE_PREFIX}{tracking_uri}"
        self._sink: Sink | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"StoreDestination({self.tracking_uri!r})"

    @classmethod
    def from_key(cls, key: str) -> StoreDestination:
        """Rebuild the destination from its spool key ``store:<tracking uri>``."""
        return cls(key.removeprefix(STORE_PREFIX))

    def send(self, events: list[Event]) -> None:
        """Hand ``events`` to the store's sink.

        Raises:
            DeliveryError: If no sink factory was set (see :func:`set_store_sink`).
        """
        self._get_sink()(events)

    def _get_sink(self) -> Sink:
        with self._lock:
            if self._sink is None:
                factory = _sink_factory
                if factory is None:
                    raise DeliveryError(
                        "no store sink is set (mltrail.openlineage.destinations.set_store_sink)",
                        destination=self.key,
                    )
                self._sink = factory(self.tracking_uri)
            return self._sink


register_destination_factory(STORE_PREFIX, StoreDestination.from_key)


__all__ = [
    "OPENLINEAGE_KEY",
    "STORE_PREFIX",
    "Destination",
    "DestinationFactory",
    "OpenLineageDestination",
    "SinkDestination",
    "SinkFactory",
    "StoreDestination",
    "open_destination",
    "register_destination_factory",
    "set_store_sink",
]
