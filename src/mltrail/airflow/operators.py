"""Tracked operators: processing, training and evaluation callables; registration and deployment.

Each runs its work as the tracked run of the task instance (see :mod:`mltrail.airflow.task_run`):

```python
train = TrainingOperator.partial(
    task_id="train",
    python_callable=fit,                      # fit(run, *, inputs, hyperparameters, ...) -> dict
    inputs=["{{ ti.xcom_pull('prepare')['train'] }}"],
).expand(hyperparameters=[{"C": 0.1}, {"C": 1.0}])
```

The callable gets the run handle first (to log metrics, inputs, outputs, artifacts), then
``op_args`` and ``op_kwargs``, and, when its signature names them, ``inputs``, ``outputs``,
``hyperparameters`` and ``context``. What it returns goes to XCom.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, ClassVar

from airflow.sdk import BaseOperator

from mltrail.airflow.hooks import DEFAULT_CONN_ID
from mltrail.airflow.links import MltrailTrialLink
from mltrail.airflow.mixin import TrackedOperatorMixin
from mltrail.core.entities import RunKind
from mltrail.tracking.run import ActiveRun


class MltrailOperator(TrackedOperatorMixin, BaseOperator):
    """Run a Python callable as a tracked run of kind :attr:`mltrail_kind`.

    Args:
        python_callable: Called as ``python_callable(run, *op_args, **op_kwargs, …)``.
        op_args: Positional arguments (templated).
        op_kwargs: Keyword arguments (templated).
        experiment: The experiment (templated); by default the DAG param ``mltrail_experiment``,
            else the DAG id.
        trial: The trial (templated); by default one per DAG run, and one per mapped instance.
        hyperparameters: Recorded as params; label a mapped instance's trial (templated).
        inputs: URIs read, recorded as input datasets (templated).
        outputs: URIs written, recorded as output datasets when the callable succeeds (templated).
        mltrail_conn_id: The ``mltrail`` connection; mltrail's settings when it does not exist.
    """

    template_fields: Sequence[str] = (
        "experiment",
        "trial",
        "hyperparameters",
        "inputs",
        "outputs",
        "op_args",
        "op_kwargs",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {
        "hyperparameters": "json",
        "op_kwargs": "py",
        "op_args": "py",
    }
    operator_extra_links = (MltrailTrialLink(),)
    mltrail_kind = RunKind.CUSTOM
    ui_color = "#e8f3ec"

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        op_args: Collection[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        experiment: str | None = None,
        trial: str | None = None,
        hyperparameters: Mapping[str, Any] | None = None,
        inputs: Sequence[str] | None = None,
        outputs: Sequence[str] | None = None,
        mltrail_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not callable(python_callable):
            raise TypeError(f"python_callable of task {self.task_id!r} must be callable")
        self.python_callable = python_callable
        self.op_args = op_args or ()
        self.op_kwargs = op_kwargs or {}
        self.set_tracking(
            experiment=experiment,
            trial=trial,
            hyperparameters=hyperparameters,
            inputs=inputs,
            outputs=outputs,
            mltrail_conn_id=mltrail_conn_id,
        )

    @property
    def entry_point(self) -> str:
        """The callable's qualified name, recorded as the run's code entry point."""
        module = getattr(self.python_callable, "__module__", None)
        name = getattr(self.python_callable, "__qualname__", repr(self.python_callable))
        return f"{module}:{name}" if module else name

    def execute(self, context: Any) -> Any:
        """Call the callable inside the tracked run; return what it returns."""
        return self.run_tracked(context, lambda run: self._call(run, context))

    def _call(self, run: ActiveRun, context: Any) -> Any:
        offered = {
            "inputs": list(self.inputs),
            "outputs": list(self.outputs),
            "hyperparameters": dict(self.hyperparameters),
            "context": context,
        }
        parameters = inspect.signature(self.python_callable).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
        extra = {
            key: value
            for key, value in offered.items()
            if (key in parameters or takes_any) and key not in self.op_kwargs
        }
        return self.python_callable(run, *self.op_args, **self.op_kwargs, **extra)


class ProcessingOperator(MltrailOperator):
    """A tracked processing step: splitting, cleaning, feature building."""

    mltrail_kind = RunKind.PROCESSING
    ui_color = "#eaf1fb"


class TrainingOperator(MltrailOperator):
    """A tracked training step; mapped over a search space, each instance is a trial of its own."""

    mltrail_kind = RunKind.TRAINING
    ui_color = "#fdf1e3"

    def __init__(self, *, map_index_template: str | None = None, **kwargs: Any) -> None:
        # A mapped instance is shown in Airflow's UI by the same label as its trial.
        super().__init__(map_index_template=map_index_template or "{{ task.trial_label }}", **kwargs)


class EvaluationOperator(MltrailOperator):
    """A tracked evaluation step: metrics on held-out data, reports as artifacts."""

    mltrail_kind = RunKind.EVALUATION
    ui_color = "#f3eafb"


class RegisterModelOperator(MltrailOperator):
    """Register a model as the next version in mltrail's registry; the task's run records it.

    The run reads the model and writes the version, ``mltrail://models/<model_name>/versions/<n>``.
    With ``approval_policy`` the version is Approved at once when the policy matches its
    source run, else it waits in PendingManualApproval (see :class:`ModelApprovalSensor`).
    The registry being unreachable fails the task (Airflow's retries apply): a version cannot
    be numbered without it.

    Args:
        model_name: The registered model (templated).
        model_uri: Where the model artifact is (templated).
        source_run_id: The run that trained it (templated); by default the latest completed run
            that wrote ``model_uri``.
        approval_policy: A filter in the search language on the source run, e.g.
            ``metrics.val_auc >= 0.9`` (templated).
        description: The version's description (templated).
        model_tags: The version's tags (templated).
        python_callable: Optional; called with the run after the registration.

    Returns (XCom): ``{"model", "version", "status", "model_version", "model_uri", "source_run_id"}``
    merged with what the callable returns.
    """

    template_fields: Sequence[str] = (
        *MltrailOperator.template_fields,
        "model_name",
        "model_uri",
        "source_run_id",
        "approval_policy",
        "description",
        "model_tags",
    )
    mltrail_kind = RunKind.REGISTRATION

    def __init__(
        self,
        *,
        model_name: str,
        model_uri: str,
        source_run_id: str | None = None,
        approval_policy: str | None = None,
        description: str | None = None,
        model_tags: Mapping[str, str] | None = None,
        python_callable: Callable[..., Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(python_callable=python_callable or _record_only, **kwargs)
        self.model_name = model_name
        self.model_uri = model_uri
        self.source_run_id = source_run_id
        self.approval_policy = approval_policy
        self.description = description
        self.model_tags = model_tags or {}

    def execute(self, context: Any) -> Any:
        """Register the version, then call the callable (if any)."""
        from mltrail.registry import record_registration

        def register(run: ActiveRun) -> Any:
            version = record_registration(
                run,
                self.model_name,
                self.model_uri,
                source_run_id=self.source_run_id or None,
                approval_policy=self.approval_policy or None,
                description=self.description,
                tags=self.model_tags,
            )
            result = self._call(run, context)
            registered = {
                "model": version.model,
                "version": version.version,
                "status": version.status.value,
                "model_version": version.uri,
                "model_uri": self.model_uri,
                "source_run_id": None if version.run_id is None else str(version.run_id),
            }
            return {**registered, **(result if isinstance(result, Mapping) else {})}

        return self.run_tracked(context, register)


class DeployModelOperator(MltrailOperator):
    """Deploy an Approved model version to an endpoint; the task's run reads the version, writes the endpoint.

    A version that is not Approved fails the task, naming its status.

    Args:
        model_name: The registered model (templated).
        version: The version (templated; an XCom number arrives as text and is read back); by
            default the latest Approved version when the task runs.
        endpoint: The endpoint's name (templated), e.g. ``fraud-prod``.
        target: ``local`` (served by ``mltrail serve ENDPOINT``) or ``sagemaker``.
        target_options: Passed to the target (templated), e.g. SageMaker's ``role_arn``.
        python_callable: Optional; called with the run after the deployment.

    Returns (XCom): ``{"endpoint", "endpoint_uri", "model", "version", "target", "details"}``
    merged with what the callable returns.
    """

    template_fields: Sequence[str] = (
        *MltrailOperator.template_fields,
        "model_name",
        "version",
        "endpoint",
        "target_options",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {
        **MltrailOperator.template_fields_renderers,
        "target_options": "json",
    }
    mltrail_kind = RunKind.DEPLOYMENT

    def __init__(
        self,
        *,
        model_name: str,
        endpoint: str,
        version: int | str | None = None,
        target: str = "local",
        target_options: Mapping[str, Any] | None = None,
        python_callable: Callable[..., Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(python_callable=python_callable or _record_only, **kwargs)
        self.model_name = model_name
        self.version = version
        self.endpoint = endpoint
        self.target = target
        self.target_options = target_options or {}

    def execute(self, context: Any) -> Any:
        """Deploy the version, then call the callable (if any)."""
        from mltrail import registry
        from mltrail.core.registry import as_version
        from mltrail.deploy import endpoint_uri, record_deployment

        def deploy(run: ActiveRun) -> Any:
            if self.version in (None, ""):
                number = registry.get_latest_approved(self.model_name).version
            else:
                number = as_version(self.version)
            deployment = record_deployment(
                run,
                self.model_name,
                number,
                endpoint=self.endpoint,
                target=self.target,
                **self.target_options,
            )
            result = self._call(run, context)
            deployed = {
                "endpoint": deployment.endpoint,
                "endpoint_uri": endpoint_uri(deployment.endpoint),
                "model": deployment.model,
                "version": deployment.version,
                "target": deployment.target,
                "details": {key: str(value) for key, value in deployment.details.items()},
            }
            return {**deployed, **(result if isinstance(result, Mapping) else {})}

        return self.run_tracked(context, deploy)


def _record_only(run: ActiveRun) -> None:
    """The default callable of registration and deployment: nothing beyond what is recorded."""


__all__ = [
    "DeployModelOperator",
    "EvaluationOperator",
    "MltrailOperator",
    "ProcessingOperator",
    "RegisterModelOperator",
    "TrainingOperator",
]
