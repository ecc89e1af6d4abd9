"""TaskFlow decorators that track ``@task`` functions as the operators track callables.

```python
from mltrail.airflow import mltrail_task

@mltrail_task.training(experiment="fraud", inputs=["s3://data/train.parquet"])
def train(run, features: str, hyperparameters: dict) -> dict:
    run.log_metric("auc", fit(features, **hyperparameters))
    ...

train.partial(features=prepared).expand(hyperparameters=[{"C": 0.1}, {"C": 1.0}])
```

A function whose first parameter is named ``run`` gets the tracked run there (the parameter is
not part of the task's arguments); any function may call :func:`~mltrail.airflow.current_run`.
An argument named ``hyperparameters`` is recorded as the run's params (and labels a mapped
instance's trial).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk.bases.decorator import DecoratedOperator, task_decorator_factory

from mltrail.airflow.hooks import DEFAULT_CONN_ID
from mltrail.airflow.links import MltrailTrialLink
from mltrail.airflow.mixin import TrackedOperatorMixin, current_run
from mltrail.core.entities import RunKind


class TrackedPythonOperator(TrackedOperatorMixin, DecoratedOperator, PythonOperator):
    """The operator behind the decorators: a ``@task`` function run as a tracked run."""

    template_fields: Sequence[str] = (
        *PythonOperator.template_fields,
        "experiment",
        "trial",
        "hyperparameters",
        "inputs",
        "outputs",
    )
    operator_extra_links = (MltrailTrialLink(),)
    custom_operator_name = "@mltrail_task"

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        op_args: Sequence[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        kind: RunKind | str = RunKind.CUSTOM,
        experiment: str | None = None,
        trial: str | None = None,
        hyperparameters: Mapping[str, Any] | None = None,
        inputs: Sequence[str] | None = None,
        outputs: Sequence[str] | None = None,
        mltrail_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        upstream = {"python_callable": python_callable, "op_args": op_args, "op_kwargs": op_kwargs}
        super().__init__(
            kwargs_to_upstream=upstream,
            python_callable=python_callable,
            op_args=op_args,
            op_kwargs=op_kwargs,
            **kwargs,
        )
        self.mltrail_kind = RunKind(kind)
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
        """The decorated function's qualified name."""
        function = inspect.unwrap(self.python_callable)
        return f"{function.__module__}:{function.__qualname__}"

    def execute(self, context: Any) -> Any:
        """Run the function inside the tracked run (an ``hyperparameters`` argument becomes params)."""
        given = (self.op_kwargs or {}).get("hyperparameters")
        if isinstance(given, Mapping) and not self.hyperparameters:
            self.hyperparameters = dict(given)
        return self.run_tracked(context, lambda run: super(TrackedPythonOperator, self).execute(context))


def _with_run(function: Callable[..., Any]) -> Callable[..., Any]:
    """Hide a first parameter named ``run`` from Airflow and pass it the tracked run."""
    signature = inspect.signature(function)
    parameters = list(signature.parameters.values())
    if not parameters or parameters[0].name != "run":
        return function

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        return function(current_run(), *args, **kwargs)

    call.__signature__ = signature.replace(parameters=parameters[1:])  # type: ignore[attr-defined]
    return call


class _MltrailTask:
    """``mltrail_task.processing(...)``, ``.training(...)``, ``.evaluation(...)`` and ``.custom(...)``."""

    def _decorator(self, kind: RunKind, python_callable: Callable[..., Any] | None, **kwargs: Any) -> Any:
        def decorate(function: Callable[..., Any]) -> Any:
            return task_decorator_factory(
                python_callable=_with_run(function),
                decorated_operator_class=TrackedPythonOperator,
                kind=kind,
                **kwargs,
            )

        return decorate(python_callable) if python_callable is not None else decorate

    def processing(self, python_callable: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
        """A tracked processing task; ``kwargs`` as for ``@task`` plus mltrail's (experiment, inputs…)."""
        return self._decorator(RunKind.PROCESSING, python_callable, **kwargs)

    def training(self, python_callable: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
        """A tracked training task; mapped over hyperparameters, each instance is a trial."""
        kwargs.setdefault("map_index_template", "{{ task.trial_label }}")
        return self._decorator(RunKind.TRAINING, python_callable, **kwargs)

    def evaluation(self, python_callable: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
        """A tracked evaluation task."""
        return self._decorator(RunKind.EVALUATION, python_callable, **kwargs)

    def custom(self, python_callable: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
        """A tracked task of no particular kind."""
        return self._decorator(RunKind.CUSTOM, python_callable, **kwargs)


mltrail_task = _MltrailTask()
"""The TaskFlow decorators: ``@mltrail_task.training(...)`` and the like."""


def processing_task(python_callable: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
    """``@task.mltrail_processing``: the provider-registered form of ``mltrail_task.processing``."""
    return mltrail_task.processing(python_callable, **kwargs)


def training_task(python_callable: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
    """``@task.mltrail_training``: the provider-registered form of ``mltrail_task.training``."""
    return mltrail_task.training(python_callable, **kwargs)


def evaluation_task(python_callable: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
    """``@task.mltrail_evaluation``: the provider-registered form of ``mltrail_task.evaluation``."""
    return mltrail_task.evaluation(python_callable, **kwargs)


__all__ = ["TrackedPythonOperator", "evaluation_task", "mltrail_task", "processing_task", "training_task"]
