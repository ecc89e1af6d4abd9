"""mltrail for Kubeflow Pipelines: tracked lightweight components (extra ``kfp``).

See :func:`component` and ``docs/kfp.md``. :mod:`mltrail.kfp.runtime` is what runs in the pods.
"""

from mltrail.kfp.components import BASE_IMAGE, component, identity

__all__ = ["BASE_IMAGE", "component", "identity"]
