"""Tracked lightweight KFP components, written as plain functions that take the run first.

```python
from kfp import dsl
from kfp.dsl import Dataset, Input, Metrics, Model, Output
import mltrail.kfp

@mltrail.kfp.component(kind="training", base_image=mltrail.kfp.BASE_IMAGE)
def train(run, data: Input[Dataset], model: Output[Model], metrics: Output[Metrics], C: float):
    ...                                   # run: the tracked run handle; import what you use here
    metrics.log_metric("val_auc", auc)    # becomes the run's metric

@dsl.pipeline(name=PIPELINE)
def pipeline():
    data = prepare(**mltrail.kfp.identity(PIPELINE))
    train(data=data.outputs["data"], C=0.1, **mltrail.kfp.identity(PIPELINE))
```

KFP ships only a component's source to its pod, so the decorator writes a new function around
yours: same parameters without ``run``, plus the identity parameters (``mltrail_pipeline``,
``mltrail_run_id``, ``mltrail_task``) that :func:`identity` fills with whole-argument
placeholders; its body defines your function and hands it to
:func:`mltrail.kfp.runtime.run_component`. ``Input[...]`` artifacts become the run's inputs,
``Output[...]`` artifacts its outputs, ``Output[Metrics]`` and ``Output[ClassificationMetrics]``
its metrics, and plain parameters its params.
"""

from __future__ import annotations

import ast
import inspect
import linecache
import sys
import textwrap
import typing
from collections.abc import Callable
from typing import Any

from kfp import dsl

from mltrail.core.entities import RunKind

IDENTITY_PARAMETERS = ("mltrail_pipeline", "mltrail_run_id", "mltrail_task")
_NO_TYPE_PARAMS: dict[str, Any] = {"type_params": []} if sys.version_info >= (3, 12) else {}
"""``ast.FunctionDef`` wants ``type_params`` from Python 3.12 on."""
BASE_IMAGE = "python:3.11-slim"
"""The default image; use one with mltrail installed on a cluster (see ``docs/kfp.md``)."""


def identity(pipeline: str, *, task: bool = True) -> dict[str, str]:
    """The identity arguments of a tracked component's call: the pipeline's name and placeholders.

    Each placeholder is a whole argument, the only form a KFP cluster's driver substitutes.
    ``task=False`` leaves out the task name (for the pipeline run's start and finish steps).
    """
    found = {"mltrail_pipeline": pipeline, "mltrail_run_id": dsl.PIPELINE_JOB_ID_PLACEHOLDER}
    if task:
        found["mltrail_task"] = dsl.PIPELINE_TASK_NAME_PLACEHOLDER
    return found


def component(
    function: Callable[..., Any] | None = None,
    *,
    kind: RunKind | str = RunKind.CUSTOM,
    experiment: str | None = None,
    trial_per_call: bool | None = None,
    base_image: str = BASE_IMAGE,
    install_kfp_package: bool = False,
    **component_options: Any,
) -> Any:
    """Make a tracked lightweight component of a function whose first parameter is the run.

    Args:
        function: The function (when the decorator is used without arguments).
        kind: What the component does; ``training`` components get a trial per call by default.
        experiment: The experiment; the pipeline's name by default.
        trial_per_call: Put each call (each ``dsl.ParallelFor`` iteration) in a trial of its own,
            labelled by its parameters, holding the pipeline run's earlier components too.
        base_image: The image the component runs in; it must contain mltrail on a cluster.
        install_kfp_package: KFP's runtime install of itself (off: the image has it).
        component_options: More ``dsl.component`` arguments.
    """
    run_kind = RunKind(kind)
    per_call = run_kind is RunKind.TRAINING if trial_per_call is None else trial_per_call

    def decorate(user: Callable[..., Any]) -> Any:
        tracked = _tracked_function(user, kind=run_kind, experiment=experiment, trial_per_call=per_call)
        return dsl.component(
            tracked, base_image=base_image, install_kfp_package=install_kfp_package, **component_options
        )

    return decorate(function) if function is not None else decorate


def _tracked_function(
    user: Callable[..., Any], *, kind: RunKind, experiment: str | None, trial_per_call: bool
) -> Callable[..., Any]:
    """The function KFP compiles: ``user``'s parameters minus ``run``, plus the identity ones."""
    source = textwrap.dedent(inspect.getsource(user))
    tree = ast.parse(source)
    definition = next(node for node in tree.body if isinstance(node, ast.FunctionDef))
    parameters = definition.args.args
    if not parameters or parameters[0].arg != "run":
        raise TypeError(f"the first parameter of tracked component {user.__name__!r} must be 'run'")
    names = [p.arg for p in parameters[1:]]
    hints = _hints(user, names)
    kinds = {name: _direction(hints.get(name)) for name in names}
    inputs = [name for name, direction in kinds.items() if direction == "input"]
    outputs = [name for name, direction in kinds.items() if direction == "output"]

    inner = ast.FunctionDef(
        name="_body",
        args=definition.args,
        body=definition.body,
        decorator_list=[],
        returns=definition.returns,
        **_NO_TYPE_PARAMS,
    )
    outer_args = ast.arguments(
        posonlyargs=[],
        # the identity parameters first: the user's defaults belong to the user's last parameters
        args=[*(ast.arg(arg=n, annotation=ast.Name("str")) for n in IDENTITY_PARAMETERS), *parameters[1:]],
        kwonlyargs=[],
        kw_defaults=[],
        defaults=list(definition.args.defaults),
    )
    call = ast.parse(
        "return run_component(_body, kind={kind!r}, pipeline=mltrail_pipeline, pipeline_run=mltrail_run_id,"
        " task=mltrail_task, arguments={arguments}, inputs={inputs!r}, outputs={outputs!r},"
        " experiment={experiment!r}, trial_per_call={per_call!r})".format(
            kind=kind.value,
            arguments="{" + ", ".join(f"{name!r}: {name}" for name in kinds) + "}",
            inputs=inputs,
            outputs=outputs,
            experiment=experiment,
            per_call=trial_per_call,
        )
    ).body
    outer = ast.FunctionDef(
        name=user.__name__,
        args=outer_args,
        body=[ast.parse("from mltrail.kfp.runtime import run_component").body[0], inner, *call],
        decorator_list=[],
        returns=definition.returns,
        **_NO_TYPE_PARAMS,
    )
    text = ast.unparse(ast.fix_missing_locations(ast.Module(body=[outer], type_ignores=[]))) + "\n"
    filename = f"<mltrail.kfp component {user.__module__}.{user.__qualname__}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)  # for inspect.getsource
    namespace = dict(user.__globals__)
    # dont_inherit: this module's "from __future__ import annotations" would make them strings for KFP
    exec(compile(text, filename, "exec", dont_inherit=True), namespace)  # noqa: S102 - built from the user's
    tracked: Callable[..., Any] = namespace[user.__name__]
    tracked.__module__ = user.__module__
    tracked.__doc__ = user.__doc__
    return tracked


def _hints(user: Callable[..., Any], names: list[str]) -> dict[str, Any]:
    """The evaluated annotations of ``names`` (not of ``run``, whose may name a type-checking import)."""

    def probe() -> None: ...

    given = getattr(user, "__annotations__", {})
    probe.__annotations__ = {name: given[name] for name in names if name in given}
    return typing.get_type_hints(probe, globalns=user.__globals__, include_extras=True)


def _direction(annotation: Any) -> str:
    """``input`` or ``output`` for ``Input[...]``/``Output[...]`` artifact annotations, else ``param``."""
    text = repr(annotation)
    if "OutputAnnotation" in text or "OutputPath" in text:
        return "output"
    if "InputAnnotation" in text or "InputPath" in text:
        return "input"
    return "param"


__all__ = ["BASE_IMAGE", "IDENTITY_PARAMETERS", "component", "identity"]
