"""The ``mltrail`` OpenLineage transport: send events from any OpenLineage client to an mltrail store.

Importing this module registers the transport type ``mltrail`` with openlineage-python's default
factory, so an ``openlineage.yml`` such as::

    transport:
      type: composite
      transports:
        marquez: {type: http, url: "http://marquez:5000"}
        mltrail: {type: mltrail, tracking_uri: "sqlite:///.mltrail/mltrail.db"}

records every event in the mltrail store as well (``tracking_uri`` defaults to mltrail's own
setting). Without the import, ``type: mltrail.openlineage.transport.MltrailTransport`` works too.

``emit`` turns the event into a dict and passes it, in the calling thread, to the *store sink*
for the tracking URI: a function that takes a list of event dicts. The sink comes from the
factory given to :func:`~mltrail.openlineage.destinations.set_store_sink` (wired to
``Store.ingest`` by mltrail). When the sink
fails, the event is spooled under ``store:<tracking uri>`` and the transport returns normally;
the spooled events are replayed before the next event that goes through, or by
``mltrail spool replay``. In strict mode (``MLTRAIL_STRICT=1``) ``emit`` raises ``DeliveryError``
after spooling.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attr
from openlineage.client.serde import Serde
from openlineage.client.transport import Config, Transport, register_transport

from mltrail.core.errors import ConfigError
from mltrail.openlineage.delivery import Emitter
from mltrail.openlineage.destinations import Event, StoreDestination
from mltrail.openlineage.spool import Spool

if TYPE_CHECKING:
    from openlineage.client.client import Event as OpenLineageEvent


@attr.define
class MltrailTransportConfig(Config):
    """Configuration of the ``mltrail`` transport.

    Attributes:
        tracking_uri: Database URL of the mltrail store; ``None`` uses mltrail's settings
            (``MLTRAIL_TRACKING_URI``, ``mltrail.yml``, default).
    """

    tracking_uri: str | None = None

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> MltrailTransportConfig:
        """Build the config from the transport's mapping in the OpenLineage config.

        Raises:
            ConfigError: For keys other than ``type`` and ``tracking_uri``, or an empty URI.
        """
        unknown = sorted(set(params) - {"type", "tracking_uri", "name", "priority"})
        if unknown:
            raise ConfigError(
                f"unknown option {unknown[0]!r} of the mltrail transport (known: tracking_uri)",
                key=f"transport.{unknown[0]}",
                value=params[unknown[0]],
                source="OpenLineage config",
            )
        uri = params.get("tracking_uri")
        if uri is not None and (not isinstance(uri, str) or not uri.strip()):
            raise ConfigError(
                "tracking_uri of the mltrail transport must be a non-empty URL",
                key="transport.tracking_uri",
                value=uri,
                source="OpenLineage config",
            )
        return cls(tracking_uri=uri.strip() if uri else None)


@register_transport
class MltrailTransport(Transport):
    """OpenLineage transport that records events in an mltrail store, spooling them on failure.

    Args:
        config: Where the store is.

    Raises:
        ConfigError: If mltrail's settings are unusable.
    """

    kind = "mltrail"
    config_class = MltrailTransportConfig

    def __init__(self, config: MltrailTransportConfig) -> None:
        from mltrail.config import resolve_settings

        settings = resolve_settings({"tracking_uri": config.tracking_uri})
        self.config = config
        self.destination = StoreDestination(settings.tracking_uri)
        self._emitter = Emitter(
            [self.destination],
            spool=Spool(settings.spool_dir, settings.spool_max_bytes),
            is_strict=settings.strict,
            is_synchronous=True,
        )

    def emit(self, event: OpenLineageEvent | Event) -> None:
        """Record ``event`` in the store, or spool it if the store fails.

        Raises:
            DeliveryError: In strict mode only, when the store failed (the event was spooled).
        """
        self._emitter.emit(Serde.to_dict(event))

    def close(self, timeout: float = -1) -> bool:
        """Release the transport; delivery is synchronous, so nothing is waiting."""
        return self._emitter.close(None if timeout < 0 else timeout)


__all__ = ["MltrailTransport", "MltrailTransportConfig"]
