"""mltrail for Kubeflow Pipelines: tracked lightweight components (extra ``kfp``).

See :func:`component` and ``docs/kfp.md``. :mod:`mltrail.kfp.runtime` is what runs in the pods;
the names below load their module on first use, so that a pod importing the runtime does not
build components while KFP's executor is still importing ``kfp.dsl``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mltrail._lazy import lazy_exports

if TYPE_CHECKING:
    from mltrail.kfp.components import BASE_IMAGE, component, identity
    from mltrail.kfp.steps import deploy_model, finish_pipeline_run, register_model, start_pipeline_run

_EXPORTS = {
    "BASE_IMAGE": "components",
    "component": "components",
    "identity": "components",
    "deploy_model": "steps",
    "finish_pipeline_run": "steps",
    "register_model": "steps",
    "start_pipeline_run": "steps",
}

__getattr__ = lazy_exports(__name__, _EXPORTS, globals())

__all__ = [
    "BASE_IMAGE",
    "component",
    "deploy_model",
    "finish_pipeline_run",
    "identity",
    "register_model",
    "start_pipeline_run",
]
