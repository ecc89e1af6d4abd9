"""Model versions as the pipelines' registration steps write them, until the registry numbers them.

A registration run reads a model artifact and writes ``mltrail://models/<name>/versions/<n>``,
numbered after the completed registrations of that model; the deployment step reads that URI.
The Airflow operator and the KFP component share this.
"""

from __future__ import annotations

import logging
from typing import Any

import mltrail
from mltrail.core.errors import MltrailError
from mltrail.tracking.run import ActiveRun

log = logging.getLogger(__name__)

MODEL_VERSIONS = "mltrail://models"
"""The namespace of model versions."""


def register_version(run: ActiveRun, model_name: str, model_uri: str) -> dict[str, Any]:
    """Record ``run`` as the registration of the model at ``model_uri``; return the new version.

    Returns ``{"model_version": <its URI>, "version": n, "model_uri": model_uri}``. With the
    backend down the version is named by the run (``run-<id>``), since it cannot be numbered.
    """
    run.log_input(model_uri, role="model")
    run.set_tag("model.name", model_name)
    version = _next_version(model_name, run)
    uri = f"{MODEL_VERSIONS}/{model_name}/versions/{version}"
    run.log_output(uri, role="model_version")
    return {"model_version": uri, "version": version, "model_uri": model_uri}


def _next_version(model_name: str, run: ActiveRun) -> int | str:
    quoted = model_name.replace("'", "''")
    try:
        page = mltrail.search_runs(
            filter=f"kind = 'registration' AND status = 'Completed' AND tags.`model.name` = '{quoted}'",
            max_results=10_000,
        )
    except MltrailError as exc:
        log.warning("mltrail could not number the version of %r; it is named by its run: %s", model_name, exc)
        return f"run-{run.id}"
    return len(page) + 1


__all__ = ["MODEL_VERSIONS", "register_version"]
