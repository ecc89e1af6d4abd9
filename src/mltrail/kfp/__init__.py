"""mltrail for Kubeflow Pipelines: tracked lightweight components (extra ``kfp``).

See :func:`component` and ``docs/kfp.md``. :mod:`mltrail.kfp.runtime` is what runs in the pods.
"""

from mltrail.kfp.components import BASE_IMAGE, component, identity
from mltrail.kfp.steps import deploy_model, finish_pipeline_run, register_model, start_pipeline_run

__all__ = [
    "BASE_IMAGE",
    "component",
    "deploy_model",
    "finish_pipeline_run",
    "identity",
    "register_model",
    "start_pipeline_run",
]
