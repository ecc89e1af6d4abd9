"""Deployment targets: where a model version goes to be served.

A target has a ``deploy(endpoint=, model=, version=, source_uri=, **options) -> dict`` that puts
the version behind the endpoint and returns what to record about it (URLs, ids).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from mltrail.config import resolve_settings
from mltrail.core.errors import ValidationError
from mltrail.deploy.sagemaker import SageMakerTarget

ENDPOINT_FILE = "endpoint.json"


class Target(Protocol):
    """A place endpoints live."""

    def deploy(
        self, *, endpoint: str, model: str, version: int, source_uri: str, **options: Any
    ) -> dict[str, Any]:
        """Serve ``source_uri`` (the version's model) at ``endpoint``; return what to record."""
        ...


class LocalTarget:
    """Endpoints served on this machine by ``mltrail serve ENDPOINT`` from the ``serving_dir`` setting.

    Deploying writes ``<serving_dir>/<endpoint>/endpoint.json`` (atomically); a running server
    picks the new version up at its next request.
    """

    def deploy(
        self, *, endpoint: str, model: str, version: int, source_uri: str, **options: Any
    ) -> dict[str, Any]:
        """Point the endpoint at the model version."""
        folder = endpoint_folder(endpoint)
        folder.mkdir(parents=True, exist_ok=True)
        spec = {"endpoint": endpoint, "model": model, "version": version, "source_uri": source_uri}
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".endpoint-")
        with os.fdopen(handle, "w") as out:
            json.dump(spec, out)
        os.replace(temporary, folder / ENDPOINT_FILE)
        return {"path": str(folder / ENDPOINT_FILE)}


def endpoint_folder(endpoint: str) -> Path:
    """The local endpoint's folder under the ``serving_dir`` setting."""
    return Path(resolve_settings().serving_dir).resolve() / endpoint


TARGETS: dict[str, Target] = {"local": LocalTarget(), "sagemaker": SageMakerTarget()}
"""Targets by name."""


def target_for(name: str) -> Target:
    """The target called ``name``.

    Raises:
        ValidationError: Naming the known targets.
    """
    try:
        return TARGETS[name]
    except KeyError:
        known = ", ".join(sorted(TARGETS))
        raise ValidationError(
            f"unknown deployment target {name!r}; use one of {known}", field="target", value=name
        ) from None


__all__ = ["ENDPOINT_FILE", "TARGETS", "LocalTarget", "Target", "endpoint_folder", "target_for"]
