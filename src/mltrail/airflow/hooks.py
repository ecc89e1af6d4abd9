"""The ``mltrail`` connection type: where tracked tasks record, and with which token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airflow.sdk import BaseHook

DEFAULT_CONN_ID = "mltrail_default"


@dataclass(frozen=True, slots=True)
class TrackingTarget:
    """A tracking URI and the token to send with it (never shown in ``repr``)."""

    tracking_uri: str | None
    token: str | None = None

    def __repr__(self) -> str:
        return f"TrackingTarget(tracking_uri={self.tracking_uri!r})"


class MltrailHook(BaseHook):
    """Reads an ``mltrail`` connection: where tracked tasks record, and with which token.

    The connection names a server (host, port, ``https`` in the schema field, the token as
    password) or any tracking URI in the extra field ``tracking_uri`` (``sqlite:///…``).

    Without the connection, tasks use mltrail's own settings (``MLTRAIL_TRACKING_URI``,
    ``mltrail.yml``, the default). Set it like any connection, e.g.
    ``AIRFLOW_CONN_MLTRAIL_DEFAULT='{"conn_type": "mltrail", "host": "mltrail", "port": 5000,
    "password": "mlt_…"}'``.

    Args:
        mltrail_conn_id: The connection's id.
    """

    conn_name_attr = "mltrail_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = "mltrail"
    hook_name = "mltrail"

    def __init__(self, mltrail_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mltrail_conn_id = mltrail_conn_id

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """How Airflow's connection form shows the fields."""
        return {
            "hidden_fields": ["login"],
            "relabeling": {"password": "API token", "schema": "Scheme (http or https)"},
            "placeholders": {
                "host": "mltrail.internal",
                "port": "5000",
                "extra": '{"tracking_uri": "postgresql+psycopg://user@db/mltrail"}',
            },
        }

    def get_conn(self) -> TrackingTarget:
        """The tracking URI and token of the connection; ``tracking_uri`` is ``None`` without one.

        Raises:
            ValueError: If the connection names neither a host nor a ``tracking_uri``.
        """
        from airflow.sdk.exceptions import AirflowNotFoundException

        try:
            connection = self.get_connection(self.mltrail_conn_id)
        except AirflowNotFoundException:
            return TrackingTarget(None)
        extra = connection.extra_dejson or {}
        token = connection.password or None
        if extra.get("tracking_uri"):
            return TrackingTarget(str(extra["tracking_uri"]), token)
        if not connection.host:
            raise ValueError(f"connection {self.mltrail_conn_id!r} needs a host or an extra 'tracking_uri'")
        scheme = connection.schema or "http"
        port = f":{connection.port}" if connection.port else ""
        return TrackingTarget(f"{scheme}://{connection.host}{port}", token)
