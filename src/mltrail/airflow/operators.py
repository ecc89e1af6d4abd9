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
from mltrail.tracking.model_versions import register_version
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
    """A tracked registration step (the registry, with approvals, comes in a later release).

    Reads the model at ``model_uri`` and writes a model version,
    ``mltrail://models/<model_name>/versions/<n>``, numbered after the versions registered
    before it. Returns ``{"model_version": <its URI>, "version": n, "model_uri": …}`` merged with
    what the optional callable returns.
    """

    template_fields: Sequence[str] = (*MltrailOperator.template_fields, "model_name", "model_uri")
    mltrail_kind = RunKind.REGISTRATION

    def __init__(
        self,
        *,
        model_name: str,
        model_uri: str,
        python_callable: Callable[..., Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(python_callable=python_callable or _record_only, **kwargs)
        self.model_name = model_name
        self.model_uri = model_uri

    def execute(self, context: Any) -> Any:
        """Record the model as an output, then call the callable (if any)."""

        def register(run: ActiveRun) -> Any:
            registered = register_version(run, self.model_name, self.model_uri)
            result = self._call(run, context)
            return {**registered, **(result if isinstance(result, Mapping) else {})}

        return self.run_tracked(context, register)


class DeployModelOperator(MltrailOperator):
    """A tracked deployment step: the model in, the endpoint out (targets come with the registry).

    Records the model as input and ``endpoint_uri`` as an ``endpoint`` output; the callable is
    optional and may do the deployment itself.
    """

    template_fields: Sequence[str] = (*MltrailOperator.template_fields, "model_uri", "endpoint_uri")
    mltrail_kind = RunKind.DEPLOYMENT

    def __init__(
        self,
        *,
        model_uri: str,
        endpoint_uri: str,
        python_callable: Callable[..., Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(python_callable=python_callable or _record_only, **kwargs)
        self.model_uri = model_uri
        self.endpoint_uri = endpoint_uri

    def execute(self, context: Any) -> Any:
        """Record the model and the endpoint, then call the callable (if any)."""

        def deploy(run: ActiveRun) -> Any:
            run.log_input(self.model_uri, role="model")
            result = self._call(run, context)
            run.log_output(self.endpoint_uri, role="endpoint")
            return result

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
