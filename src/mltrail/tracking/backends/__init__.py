"""Tracking backends, chosen by the tracking URI's scheme."""

from __future__ import annotations

import importlib
from urllib.parse import urlsplit

from mltrail.core.errors import ConfigError
from mltrail.tracking.backends.base import Backend

BACKENDS: dict[str, str] = {
    "sqlite": "mltrail.store.store:Store",
    "postgresql": "mltrail.store.store:Store",
    "postgresql+psycopg": "mltrail.store.store:Store",
    "http": "mltrail.tracking.backends.http:HttpBackend",
    "https": "mltrail.tracking.backends.http:HttpBackend",
}
"""URL scheme → ``module:Class`` of the backend; the module is imported only when chosen."""
SERVER_SCHEMES = frozenset({"http", "https"})
"""Schemes of URIs that name an ``mltrail server`` rather than a database."""


def create_backend(uri: str, *, token: str | None = None) -> Backend:
    """Return a backend for a tracking URI.

    ``token`` is the API token of an ``mltrail server`` (by default ``MLTRAIL_TRACKING_TOKEN``);
    a database URL carries its own credentials.

    Raises:
        ConfigError: If no backend serves the URI's scheme; the message lists the known ones.
    """
    scheme = urlsplit(uri).scheme.lower()
    target = BACKENDS.get(scheme)
    if target is None:
        known = ", ".join(sorted(BACKENDS))
        raise ConfigError(
            f"no tracking backend for scheme {scheme!r} in {uri!r}; known schemes: {known}",
            key="tracking_uri",
            value=uri,
        )
    module_name, _, class_name = target.partition(":")
    options = {"token": token} if token is not None and scheme in SERVER_SCHEMES else {}
    backend: Backend = getattr(importlib.import_module(module_name), class_name)(uri, **options)
    return backend


__all__ = ["BACKENDS", "SERVER_SCHEMES", "Backend", "create_backend"]
