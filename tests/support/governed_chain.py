"""A governed chain built with the SDK: raw data → processing → two trainings → versions → endpoint."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import mltrail
import mltrail.deploy

RAW = "s3://raw/transactions.csv"


@dataclass(frozen=True)
class Chain:
    """The runs of the chain."""

    process: mltrail.ActiveRun
    approved: mltrail.ActiveRun
    pending: mltrail.ActiveRun


def build_chain(folder: Path, tracking_uri: str) -> Chain:
    """Process RAW into features; train C=1.0 (→ v1, Approved, deployed to ``fraud-prod``) and C=0.1 (→ v2).

    The caller sets ``MLTRAIL_SERVING_DIR`` (the local target's folder) and resets the SDK after.
    """
    mltrail.set_tracking_uri(tracking_uri)
    features = folder / "features.parquet"
    with mltrail.start_run(experiment="fraud", trial="prep", kind="processing") as process:
        process.log_input(RAW, role="raw")
        process.log_output(str(features), role="features")
    trained = []
    for c, auc in ((1.0, 0.94), (0.1, 0.91)):
        with mltrail.start_run(experiment="fraud", trial=f"C={c}", kind="training", params={"C": c}) as run:
            run.log_input(str(features), role="train")
            run.log_metric("val_auc", 0.5, step=1)
            run.log_metric("val_auc", auc, step=2)
            path = folder / f"model-{c}.pkl"
            path.write_bytes(pickle.dumps({"C": c}))
            run.log_output(str(path), role="model")
        mltrail.registry.register_model("fraud", str(path), source_run_id=run.id)
        trained.append(run)
    mltrail.registry.update_approval("fraud", 1, "Approved", reason="best val_auc")
    mltrail.deploy.deploy("fraud", 1, endpoint="fraud-prod", target="local")
    return Chain(process, trained[0], trained[1])
