"""Fraud-detection-style hyperparameter search as a Kubeflow pipeline, tracked by mltrail.

start ──► prepare ──► ParallelFor(SEARCH_SPACE): train ──► evaluate ──► select_best ──► register ──► deploy
(all inside a ``dsl.ExitHandler`` whose ``finish`` step ends the pipeline run's lineage)

The same flow as the Airflow DAG ``dags/fraud_detection.py``; every pipeline run is one
experiment run of the experiment ``fraud-detection`` (the pipeline's name):

* ``prepare`` splits scikit-learn's breast-cancer table 60/20/20 (a stand-in for transactions: 569
  rows, 30 numeric features, an imbalanced binary label), scales it and writes the three splits;
* ``train`` fits one model per point of the search space; each loop iteration is a trial of its
  own, labelled by its hyperparameters, which also holds the shared ``prepare`` run;
* ``evaluate`` scores each model on the test split (AUC, F1, a confusion matrix), in the trial of
  the model it scores: it gets the same point of the search space, so its trial has the same label;
* ``select_best`` picks the model with the best test AUC; ``register`` makes it the next version
  of the registered model ``fraud-detection``, Approved at once by the approval policy
  ``APPROVAL_POLICY`` on the source run (``select_best``'s, with the winner's test AUC), so the
  pipeline runs unattended; ``deploy`` then serves that version at the local endpoint
  ``fraud-detection-kfp`` (``mltrail serve fraud-detection-kfp``), and fails the pipeline run
  instead if the version is not Approved.

Compile it with ``python pipelines/fraud_detection.py [out.yaml]`` (this folder's
``fraud_detection.yaml`` is checked in); ``examples/kfp_demo.py`` (``make demo``) runs it with
``kfp.local``. No ``from __future__ import annotations`` here: KFP reads annotations as objects.
"""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kfp import compiler, dsl
from kfp.dsl import ClassificationMetrics, Dataset, Input, Metrics, Model, Output

import mltrail.kfp
from mltrail.kfp import identity

if TYPE_CHECKING:  # the run's annotation stays a string: only the source travels to the pod
    from mltrail.tracking.run import ActiveRun

PIPELINE = "fraud-detection"
MODEL_NAME = "fraud-detection"
ENDPOINT = "fraud-detection-kfp"
"""The local endpoint (the Airflow demo deploys to ``fraud-detection``)."""
APPROVAL_POLICY = "metrics.best_test_auc >= 0.9"
"""Approves the registered version at once when ``select_best``'s winner scores this well."""
SEARCH_SPACE: list[dict[str, Any]] = [
    {"model": "logistic_regression", "C": 0.01},
    {"model": "logistic_regression", "C": 1.0},
    {"model": "random_forest", "n_estimators": 50, "max_depth": 3},
    {"model": "random_forest", "n_estimators": 50, "max_depth": 8},
]
"""The points ``train`` is called with; each is a trial, labelled ``model=…, C=…``."""
COMPILED = Path(__file__).with_suffix(".yaml")


@mltrail.kfp.component(kind="processing")
def prepare(
    run: "ActiveRun", train_split: Output[Dataset], val_split: Output[Dataset], test_split: Output[Dataset]
) -> None:
    """Split 60/20/20 (stratified), fit the scaler on the training rows, write the three splits."""
    import numpy as np
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    features, labels = load_breast_cancer(return_X_y=True)
    labels = 1 - labels  # "malignant" is the rare, positive class, as fraud is
    run.log_input("sklearn://datasets/breast_cancer", role="raw")
    rest_x, test_x, rest_y, test_y = train_test_split(
        features, labels, test_size=0.2, stratify=labels, random_state=7
    )
    train_x, val_x, train_y, val_y = train_test_split(
        rest_x, rest_y, test_size=0.25, stratify=rest_y, random_state=7
    )
    scaler = StandardScaler().fit(train_x)
    for artifact, x, y in (
        (train_split, train_x, train_y),
        (val_split, val_x, val_y),
        (test_split, test_x, test_y),
    ):
        with open(artifact.path, "wb") as out:  # a file object: np.savez would append ".npz" to a name
            np.savez(out, x=scaler.transform(x), y=y)
        artifact.metadata["rows"] = len(y)
    run.log_metrics({"rows": len(labels), "positive_rate": float(labels.mean())})


@mltrail.kfp.component(kind="training")
def train(
    run: "ActiveRun",
    train_split: Input[Dataset],
    val_split: Input[Dataset],
    hyperparameters: dict,
    model: Output[Model],
    metrics: Output[Metrics],
) -> None:
    """Fit one candidate on the training split; log its validation AUC; save the model."""
    import pickle

    import numpy as np
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    train_data, val_data = np.load(train_split.path), np.load(val_split.path)
    # A ParallelFor item is a protobuf Struct on a cluster: its integers arrive as floats.
    if hyperparameters["model"] == "logistic_regression":
        estimator: Any = LogisticRegression(max_iter=2000, C=float(hyperparameters["C"]))
    else:
        estimator = RandomForestClassifier(
            random_state=0,
            n_estimators=int(hyperparameters["n_estimators"]),
            max_depth=int(hyperparameters["max_depth"]),
        )
    estimator.fit(train_data["x"], train_data["y"])
    val_auc = float(roc_auc_score(val_data["y"], estimator.predict_proba(val_data["x"])[:, 1]))
    metrics.log_metric("val_auc", val_auc)
    with open(model.path, "wb") as out:
        pickle.dump(estimator, out)
    model.metadata.update({"framework": "scikit-learn", **hyperparameters})


@mltrail.kfp.component(kind="evaluation", trial_per_call=True)
def evaluate(
    run: "ActiveRun",
    model: Input[Model],
    test_split: Input[Dataset],
    hyperparameters: dict,
    metrics: Output[Metrics],
    confusion: Output[ClassificationMetrics],
) -> dict:
    """Score a model on the test split: AUC, F1 and the confusion matrix (also an artifact).

    ``hyperparameters`` is the point ``model`` was trained with: it puts this run in that trial.
    """
    import json
    import pickle
    import tempfile
    from pathlib import Path

    import numpy as np
    from sklearn.metrics import confusion_matrix, f1_score, roc_auc_score

    with open(model.path, "rb") as source:
        estimator = pickle.load(source)  # noqa: S301 - a model this pipeline wrote
    test = np.load(test_split.path)
    scores = estimator.predict_proba(test["x"])[:, 1]
    predicted = (scores >= 0.5).astype(int)
    found = {
        "test_auc": float(roc_auc_score(test["y"], scores)),
        "test_f1": float(f1_score(test["y"], predicted)),
    }
    for key, value in found.items():
        metrics.log_metric(key, value)
    labels, matrix = ["legitimate", "fraud"], confusion_matrix(test["y"], predicted).tolist()
    confusion.log_confusion_matrix(labels, matrix)
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "confusion_matrix.json"
        report.write_text(json.dumps({"labels": labels, "matrix": matrix}))
        run.log_artifact(report)
    return {"model": model.uri, **found}


@mltrail.kfp.component(kind="custom")
def select_best(
    run: "ActiveRun", models: Input[list[Model]], evaluations: list[dict], best: Output[Model]
) -> None:
    """Copy the evaluated model with the best test AUC to ``best`` (what gets registered)."""
    import shutil

    winner = max(evaluations, key=lambda evaluation: evaluation["test_auc"])
    chosen = next(model for model in models if model.uri == winner["model"])
    shutil.copyfile(chosen.path, best.path)
    best.metadata.update({**chosen.metadata, "test_auc": winner["test_auc"], "source": chosen.uri})
    run.log_metric("best_test_auc", winner["test_auc"])


@dsl.pipeline(name=PIPELINE, description="Hyperparameter search, evaluation, registration and deployment.")
def fraud_detection() -> None:
    """Search, evaluate, pick, register and deploy; the exit handler ends the run's lineage."""
    finish = mltrail.kfp.finish_pipeline_run(**identity(PIPELINE, task=False))
    with dsl.ExitHandler(finish, name="tracked"):
        start = mltrail.kfp.start_pipeline_run(**identity(PIPELINE, task=False))
        splits = prepare(**identity(PIPELINE)).after(start)
        with dsl.ParallelFor(items=SEARCH_SPACE, parallelism=2) as hyperparameters:
            trained = train(
                train_split=splits.outputs["train_split"],
                val_split=splits.outputs["val_split"],
                hyperparameters=hyperparameters,
                **identity(PIPELINE),
            )
            evaluated = evaluate(
                model=trained.outputs["model"],
                test_split=splits.outputs["test_split"],
                hyperparameters=hyperparameters,
                **identity(PIPELINE),
            )
        best = select_best(
            models=dsl.Collected(trained.outputs["model"]),
            evaluations=dsl.Collected(evaluated.outputs["Output"]),
            **identity(PIPELINE),
        )
        registered = mltrail.kfp.register_model(
            model=best.outputs["best"],
            model_name=MODEL_NAME,
            approval_policy=APPROVAL_POLICY,  # checked on the run that wrote the model: select_best
            **identity(PIPELINE),
        )
        # deploy_model refuses a version that is not Approved: that is the gate. (A dsl.If on
        # registered.outputs["status"] works on a cluster, but kfp.local cannot resolve a named
        # output in a condition, and skips the deployment.)
        mltrail.kfp.deploy_model(
            model_name=MODEL_NAME,
            version=registered.outputs["version"],
            endpoint=ENDPOINT,
            **identity(PIPELINE),
        )


def compile_pipeline(path: str | Path = COMPILED) -> Path:
    """Compile the pipeline to IR YAML at ``path`` (the checked-in ``fraud_detection.yaml`` by default)."""
    compiler.Compiler().compile(pipeline_func=fraud_detection, package_path=str(path))
    return Path(path)


if __name__ == "__main__":
    print(compile_pipeline(*sys.argv[1:2]))
