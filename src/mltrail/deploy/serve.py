"""The local model server behind ``mltrail serve ENDPOINT``: ``/ping`` and ``/invocations``.

The endpoint's model is a pickled scikit-learn-style estimator (``predict``, and
``predict_proba`` when it has one). ``POST /invocations`` takes ``{"instances": [[…], …]}`` and
answers ``{"predictions": […], "probabilities": […], "model": …, "version": …}``. A deployment
of another version is picked up at the next request.
"""

from __future__ import annotations

import json
import pickle
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from mltrail.deploy.targets import ENDPOINT_FILE, endpoint_folder


class Invocation(BaseModel):
    """A batch of feature rows."""

    instances: list[list[float]]


@dataclass
class _Loaded:
    stamp: int
    spec: dict[str, Any]
    model: Any


class EndpointModel:
    """The model an endpoint serves, reloaded when a deployment changes it."""

    def __init__(self, endpoint: str) -> None:
        self.path = endpoint_folder(endpoint) / ENDPOINT_FILE
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None

    def current(self) -> _Loaded:
        """The deployed version, loaded once per deployment."""
        stamp = self.path.stat().st_mtime_ns
        with self._lock:
            if self._loaded is None or self._loaded.stamp != stamp:
                spec = json.loads(self.path.read_text())
                self._loaded = _Loaded(stamp, spec, _load(spec["source_uri"]))
            return self._loaded


def _load(source_uri: str) -> Any:
    parts = urlsplit(source_uri)
    path = Path(parts.path if parts.scheme == "file" else source_uri)
    return pickle.loads(path.read_bytes())  # noqa: S301 - a model the registry approved


def create_model_app(endpoint: str) -> FastAPI:
    """The model server of one endpoint."""
    served = EndpointModel(endpoint)
    app = FastAPI(title=f"mltrail endpoint {endpoint}")

    @app.get("/ping")
    def ping() -> JSONResponse:
        """200 with the served version while the endpoint has one, else 503."""
        try:
            loaded = served.current()
        except FileNotFoundError:
            return JSONResponse({"status": "no model deployed"}, status_code=503)
        return JSONResponse(
            {"status": "ok", "model": loaded.spec["model"], "version": loaded.spec["version"]}
        )

    @app.post("/invocations")
    def invocations(body: Invocation) -> dict[str, Any]:
        """Predictions for each row."""
        loaded = served.current()
        answer: dict[str, Any] = {
            "predictions": [_plain(value) for value in loaded.model.predict(body.instances)],
            "model": loaded.spec["model"],
            "version": loaded.spec["version"],
        }
        if hasattr(loaded.model, "predict_proba"):
            answer["probabilities"] = [
                [float(p) for p in row] for row in loaded.model.predict_proba(body.instances)
            ]
        return answer

    return app


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)
    return item() if callable(item) else value


__all__ = ["EndpointModel", "create_model_app"]
