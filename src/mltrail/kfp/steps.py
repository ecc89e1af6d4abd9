"""Ready-made components: the pipeline run's start and end, model registration and deployment.

```python
@dsl.pipeline(name=PIPELINE)
def pipeline():
    finish = finish_pipeline_run(**identity(PIPELINE, task=False))
    with dsl.ExitHandler(finish):
        start = start_pipeline_run(**identity(PIPELINE, task=False))
        ...
        registered = register_model(
            model=best.outputs["model"], model_name="fraud", approval_policy="metrics.val_auc >= 0.9",
            source_run_id="", **identity(PIPELINE),
        )
        with dsl.If(registered.outputs["status"] == "Approved"):  # on a cluster; kfp.local skips it
            deploy_model(
                model_name="fraud", version=registered.outputs["version"], endpoint="fraud",
                target="local", **identity(PIPELINE),
            )
```

``deploy_model`` itself refuses a version that is not Approved, so without the ``dsl.If`` (which
``kfp.local`` cannot evaluate on a named output) a pending version fails the pipeline run.

No ``from __future__ import annotations`` here: KFP reads the annotations as objects. Only a
component's source travels to its pod, where KFP's preamble has ``from typing import *``: so
``register_model``'s ``NamedTuple`` output is spelled inline.
"""

from typing import TYPE_CHECKING, NamedTuple

from kfp import dsl
from kfp.dsl import Input, Model

from mltrail.kfp.components import BASE_IMAGE, component

if TYPE_CHECKING:  # the run's annotation stays a string: it travels to the pod as source
    from mltrail.tracking.run import ActiveRun


@dsl.component(base_image=BASE_IMAGE, install_kfp_package=False)
def start_pipeline_run(mltrail_pipeline: str, mltrail_run_id: str) -> None:
    """Send the pipeline run's START event (make it the first step)."""
    from mltrail.kfp.runtime import send_pipeline_event

    send_pipeline_event("START", pipeline=mltrail_pipeline, pipeline_run=mltrail_run_id)


@dsl.component(base_image=BASE_IMAGE, install_kfp_package=False)
def finish_pipeline_run(
    status: dsl.PipelineTaskFinalStatus, mltrail_pipeline: str, mltrail_run_id: str
) -> None:
    """Send the pipeline run's COMPLETE or FAIL event (use it as the ``dsl.ExitHandler``'s task)."""
    from mltrail.kfp.runtime import send_pipeline_event

    failed = status.state != "SUCCEEDED"
    send_pipeline_event(
        "FAIL" if failed else "COMPLETE",
        pipeline=mltrail_pipeline,
        pipeline_run=mltrail_run_id,
        error_message=(status.error_message or f"the pipeline run ended {status.state}") if failed else None,
    )


@component(kind="registration")
def register_model(
    run: "ActiveRun",
    model: Input[Model],
    model_name: str,
    approval_policy: str = "",
    source_run_id: str = "",
) -> NamedTuple("Registered", [("version", int), ("status", str), ("model_version", str)]):  # type: ignore[valid-type]
    """Register the model as the next version of ``model_name`` in mltrail's registry.

    The run reads the model and writes the version, ``mltrail://models/<model_name>/versions/<n>``.
    An empty string means "not given".

    Args:
        run: The component's tracked run.
        model: The model artifact.
        model_name: The registered model.
        approval_policy: A filter in the search language on the source run, e.g.
            ``metrics.val_auc >= 0.9``: when it matches, the version is Approved at once, else it
            waits in PendingManualApproval.
        source_run_id: The run that produced the model; by default the latest completed run that
            wrote the artifact (the component that output it).

    Returns:
        ``version`` (for ``deploy_model``), ``status`` (``Approved`` or ``PendingManualApproval``,
        for a ``dsl.If`` gate) and ``model_version``, the version's URI.
    """
    from mltrail.registry import record_registration

    registered = record_registration(
        run,
        model_name,
        model.uri,
        source_run_id=source_run_id or None,
        approval_policy=approval_policy or None,
    )
    return (registered.version, registered.status.value, registered.uri)


@component(kind="deployment")
def deploy_model(
    run: "ActiveRun", model_name: str, version: int, endpoint: str, target: str = "local"
) -> str:
    """Deploy an Approved model version to an endpoint; return the endpoint's URI.

    The run reads the version and writes ``mltrail://endpoints/<endpoint>``. A version that is not
    Approved fails the component, naming its status (before the target is touched).

    Args:
        run: The component's tracked run.
        model_name: The registered model.
        version: The version, e.g. ``register_model``'s ``version`` output.
        endpoint: The endpoint's name, e.g. ``fraud-detection`` (not a URI).
        target: ``local``: ``<serving_dir>/<endpoint>`` (the ``serving_dir`` setting,
            ``MLTRAIL_SERVING_DIR``), served by ``mltrail serve ENDPOINT``. The ``sagemaker``
            target needs options (``image_uri``, ``role_arn``) this component does not pass.
    """
    from mltrail.deploy import endpoint_uri, record_deployment

    deployment = record_deployment(run, model_name, version, endpoint=endpoint, target=target)
    return endpoint_uri(deployment.endpoint)


__all__ = ["deploy_model", "finish_pipeline_run", "register_model", "start_pipeline_run"]
