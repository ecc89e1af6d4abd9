"""Fraud-detection-style hyperparameter search, tracked by mltrail: every DAG run is one experiment run.

prepare ──► train (mapped) ──► evaluate (mapped) ──► select_best ──► register ──► approved ──► deploy

* ``prepare`` splits scikit-learn's breast-cancer table (a stand-in for transactions: 569 rows,
  30 numeric features, an imbalanced binary label), scales it and writes the splits;
* ``train`` fits one model per point of the search space; each mapped instance is a trial of
  its own, named after its hyperparameters, which also holds the shared ``prepare`` run;
* ``evaluate`` scores each model on held-out data (AUC, F1, a confusion matrix as an artifact),
  in the trial of the model it scores;
* ``select_best`` picks the trial with the best test AUC;
* ``register`` registers its model in mltrail's registry as the next version of
  ``fraud-detection``, Approved at once when its training run meets ``APPROVAL_POLICY``;
* ``approved`` waits for the version to be Approved (by the policy, or by a person:
  ``mltrail models approve fraud-detection N --reason …``) and fails the run if it is Rejected;
* ``deploy`` puts the version behind the local endpoint ``fraud-detection``, which
  ``mltrail serve fraud-detection`` answers on ``/invocations``.

Files go under the DAG param ``data_dir`` (default ``.mltrail/fraud-detection``). The DAG param
``raw_data`` may name a CSV on S3 (``s3://bucket/key``, read with boto3) or on disk instead of the
stand-in data; with ``MLTRAIL_ARTIFACT_ROOT=s3://bucket/prefix`` the artifacts go to S3 too. Run it with
``dag.test()`` (``make demo`` does) or in any Airflow 3 deployment with ``mltrail[airflow]``.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import DAG, Param

from mltrail.airflow import (
    DeployModelOperator,
    EvaluationOperator,
    ModelApprovalSensor,
    ProcessingOperator,
    RegisterModelOperator,
    TrainingOperator,
    mltrail_task,
)
from mltrail.tracking.run import ActiveRun

EXPERIMENT = "fraud-detection"
RAW_DATA = "sklearn://datasets/breast_cancer"
MODEL_NAME = "fraud-detection"
ENDPOINT = "fraud-detection"
APPROVAL_POLICY = "metrics.val_auc >= 0.9"
"""Versions whose training run validates this well need no person to approve them."""
SEARCH_SPACE: list[dict[str, Any]] = [
    {"model": "logistic_regression", "C": 0.01},
    {"model": "logistic_regression", "C": 1.0},
    {"model": "random_forest", "n_estimators": 50, "max_depth": 3},
    {"model": "random_forest", "n_estimators": 50, "max_depth": 8},
]


def prepare(run: ActiveRun, *, data_dir: str, raw_data: str = RAW_DATA) -> dict[str, str]:
    """Split 60/20/20 (stratified), fit the scaler on the training rows, write the three splits."""
    import numpy as np
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    features, labels = load_raw(raw_data, Path(data_dir).resolve() / "raw")
    run.log_input(raw_data, role="raw")
    rest_x, test_x, rest_y, test_y = train_test_split(
        features, labels, test_size=0.2, stratify=labels, random_state=7
    )
    train_x, val_x, train_y, val_y = train_test_split(
        rest_x, rest_y, test_size=0.25, stratify=rest_y, random_state=7
    )
    scaler = StandardScaler().fit(train_x)
    folder = Path(data_dir).resolve() / "splits"
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for split, (x, y) in {
        "train": (train_x, train_y),
        "val": (val_x, val_y),
        "test": (test_x, test_y),
    }.items():
        path = folder / f"{split}.npz"
        np.savez(path, x=scaler.transform(x), y=y)
        run.log_output(str(path), role=split)
        written[split] = str(path)
    run.log_metrics({"rows": len(labels), "positive_rate": float(labels.mean())})
    return written


def load_raw(uri: str, folder: Path) -> tuple[Any, Any]:
    """Features and labels (1 = fraud) of the stand-in data, or of a CSV at an ``s3://`` or local URI.

    A CSV has a header row, numeric feature columns, and the label last.
    """
    import numpy as np
    from sklearn.datasets import load_breast_cancer

    from mltrail.tracking.artifacts import download

    if uri == RAW_DATA:
        features, labels = load_breast_cancer(return_X_y=True)
        return features, 1 - labels  # "malignant" is the rare, positive class, as fraud is
    table = np.loadtxt(download(uri, folder / Path(uri).name), delimiter=",", skiprows=1)
    return table[:, :-1], table[:, -1].astype(int)


def train(
    run: ActiveRun, *, inputs: list[str], hyperparameters: dict[str, Any], data_dir: str
) -> dict[str, Any]:
    """Fit one candidate on the training split; log its validation AUC; save the model."""
    import numpy as np
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    settings = dict(hyperparameters)
    family = settings.pop("model")
    train_split, val_split = np.load(inputs[0]), np.load(inputs[1])
    if family == "logistic_regression":
        model: Any = LogisticRegression(max_iter=2000, **settings)
    else:
        model = RandomForestClassifier(random_state=0, **settings)
    model.fit(train_split["x"], train_split["y"])
    val_auc = float(roc_auc_score(val_split["y"], model.predict_proba(val_split["x"])[:, 1]))
    run.log_metric("val_auc", val_auc)
    path = Path(data_dir).resolve() / "models" / f"{run.id}.pkl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(model))
    run.log_output(str(path), role="model")
    return {"model_uri": str(path), "val_auc": val_auc, "hyperparameters": hyperparameters}


def evaluate(run: ActiveRun, *, inputs: list[str], test_split: str) -> dict[str, Any]:
    """Score a model on the test split: AUC, F1 and the confusion matrix (an artifact)."""
    import tempfile

    import numpy as np
    from sklearn.metrics import confusion_matrix, f1_score, roc_auc_score

    model = pickle.loads(Path(inputs[0]).read_bytes())  # noqa: S301 - a model this DAG wrote
    test = np.load(test_split)
    run.log_input(test_split, role="test")
    scores = model.predict_proba(test["x"])[:, 1]
    predicted = (scores >= 0.5).astype(int)
    metrics = {
        "test_auc": float(roc_auc_score(test["y"], scores)),
        "test_f1": float(f1_score(test["y"], predicted)),
    }
    run.log_metrics(metrics)
    matrix = confusion_matrix(test["y"], predicted).tolist()
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "confusion_matrix.json"
        report.write_text(json.dumps({"labels": ["legitimate", "fraud"], "matrix": matrix}))
        run.log_artifact(report)
    return {"model_uri": inputs[0], **metrics}


@mltrail_task.custom(experiment=EXPERIMENT)
def select_best(run: ActiveRun, evaluations: list[dict[str, Any]]) -> dict[str, Any]:
    """The evaluated model with the best test AUC."""
    best = max(evaluations, key=lambda evaluation: evaluation["test_auc"])
    run.log_input(best["model_uri"], role="model")
    run.log_metric("best_test_auc", best["test_auc"])
    return best


with DAG(
    dag_id="fraud_detection",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"experiment": EXPERIMENT},
    params={
        "data_dir": Param(".mltrail/fraud-detection", type="string"),
        "raw_data": Param(RAW_DATA, type="string", description="The raw data: the stand-in, or a CSV URI"),
    },
    tags=["mltrail", "example"],
    doc_md=__doc__,
) as dag:
    data_dir = "{{ params.data_dir }}"
    splits = ProcessingOperator(
        task_id="prepare",
        python_callable=prepare,
        op_kwargs={"data_dir": data_dir, "raw_data": "{{ params.raw_data }}"},
    )
    models = TrainingOperator.partial(
        task_id="train",
        python_callable=train,
        inputs=[
            "{{ ti.xcom_pull(task_ids='prepare')['train'] }}",
            "{{ ti.xcom_pull(task_ids='prepare')['val'] }}",
        ],
        op_kwargs={"data_dir": data_dir},
    ).expand(hyperparameters=SEARCH_SPACE)
    evaluations = EvaluationOperator.partial(
        task_id="evaluate",
        python_callable=evaluate,
        op_kwargs={"test_split": "{{ ti.xcom_pull(task_ids='prepare')['test'] }}"},
    ).expand(inputs=models.output.map(lambda trained: [trained["model_uri"]]))
    best = select_best(evaluations.output)
    registered = RegisterModelOperator(
        task_id="register",
        model_name=MODEL_NAME,
        model_uri="{{ ti.xcom_pull(task_ids='select_best')['model_uri'] }}",
        approval_policy=APPROVAL_POLICY,
        description="best test AUC of the DAG run {{ run_id }}",
    )
    version = "{{ ti.xcom_pull(task_ids='register')['version'] }}"
    approved = ModelApprovalSensor(
        task_id="approved", model_name=MODEL_NAME, version=version, poke_interval=30, timeout=24 * 3600
    )
    deployed = DeployModelOperator(
        task_id="deploy", model_name=MODEL_NAME, version=version, endpoint=ENDPOINT, target="local"
    )
    splits >> models
    best >> registered >> approved >> deployed
