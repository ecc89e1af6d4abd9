"""mltrail: experiments, trials, lineage and a model registry for Airflow and Kubeflow Pipelines.

Example:
    >>> import mltrail
    >>> with mltrail.start_run(experiment="fraud-detection", trial="lr-0.01", kind="training",
    ...                        params={"learning_rate": 0.01}) as run:
    ...     run.log_metric("val_auc", 0.93, step=3)
"""

from __future__ import annotations

from mltrail import deploy as deploy  # mltrail.deploy.deploy, mltrail.deploy.history
from mltrail import lineage as lineage  # the mltrail.lineage.query submodule
from mltrail import registry as registry  # mltrail.registry.register_model and the rest
from mltrail.__about__ import __version__
from mltrail.core.entities import (
    CodeInfo,
    DatasetRef,
    EnvironmentInfo,
    Experiment,
    MetricHistory,
    MetricPoint,
    MetricSummary,
    Run,
    RunKind,
    RunStatus,
    Trial,
)
from mltrail.core.errors import (
    ConfigError,
    ConflictError,
    DeliveryError,
    EventValidationError,
    MltrailError,
    NotFoundError,
    QuerySyntaxError,
    StoreError,
    ValidationError,
)
from mltrail.core.page import Page
from mltrail.tracking.api import (
    add_to_trial,
    create_experiment,
    flush,
    get_experiment,
    get_metric_history,
    get_run,
    get_tracking_uri,
    get_trial,
    list_experiments,
    search_runs,
    search_trials,
    set_tracking_uri,
    start_run,
)
from mltrail.tracking.run import ActiveRun

__all__ = [
    "ActiveRun",
    "CodeInfo",
    "ConfigError",
    "ConflictError",
    "DatasetRef",
    "DeliveryError",
    "EnvironmentInfo",
    "EventValidationError",
    "Experiment",
    "MetricHistory",
    "MetricPoint",
    "MetricSummary",
    "MltrailError",
    "NotFoundError",
    "Page",
    "QuerySyntaxError",
    "Run",
    "RunKind",
    "RunStatus",
    "StoreError",
    "Trial",
    "ValidationError",
    "__version__",
    "add_to_trial",
    "create_experiment",
    "flush",
    "get_experiment",
    "get_metric_history",
    "get_run",
    "get_tracking_uri",
    "get_trial",
    "list_experiments",
    "search_runs",
    "search_trials",
    "set_tracking_uri",
    "start_run",
]
