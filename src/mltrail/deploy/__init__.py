"""Deploy approved model versions to endpoints, and keep each endpoint's history in the lineage graph.

```python
mltrail.deploy.deploy("fraud-detection", 3, endpoint="fraud-prod", target="local")
mltrail.deploy.history("fraud-prod")      # which version served when
```

A deployment is a tracked run (kind ``deployment``) that reads the model version
(``mltrail://models/<model>/versions/<n>``) and writes the endpoint
(``mltrail://endpoints/<endpoint>``), so one lineage query answers which data trained the model
behind an endpoint. Only Approved versions deploy. Targets: ``local`` (``mltrail serve``) and
``sagemaker`` (boto3: create_model, create_endpoint_config, create or update the endpoint, wait).
"""

from mltrail.deploy.deployments import (
    ENDPOINTS_NAMESPACE,
    Deployment,
    deploy,
    endpoint_uri,
    history,
    record_deployment,
)

__all__ = ["ENDPOINTS_NAMESPACE", "Deployment", "deploy", "endpoint_uri", "history", "record_deployment"]
