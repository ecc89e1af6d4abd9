"""Ready-made components: the pipeline run's start and end, model registration and deployment.

```python
@dsl.pipeline(name=PIPELINE)
def pipeline():
    finish = finish_pipeline_run(**identity(PIPELINE, task=False))
    with dsl.ExitHandler(finish):
        start = start_pipeline_run(**identity(PIPELINE, task=False))
        ...
        version = register_model(model=best.outputs["model"], model_name="fraud", **identity(PIPELINE))
        deploy_model(model_version=version.output, endpoint="mltrail://endpoints/fraud", **identity(PIPELINE))
```

No ``from __future__ import annotations`` here: KFP reads the annotations as objects.
"""

from typing import TYPE_CHECKING

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
def register_model(run: "ActiveRun", model: Input[Model], model_name: str) -> str:
    """Register the model as a new version; return the version's URI (for ``deploy_model``)."""
    from mltrail.tracking.model_versions import register_version

    return str(register_version(run, model_name, model.uri)["model_version"])


@component(kind="deployment")
def deploy_model(run: "ActiveRun", model_version: str, endpoint: str) -> str:
    """Put a model version behind an endpoint (recorded; the registry's targets come later)."""
    run.log_input(model_version, role="model_version")
    run.log_output(endpoint, role="endpoint")
    return endpoint


__all__ = ["deploy_model", "finish_pipeline_run", "register_model", "start_pipeline_run"]
