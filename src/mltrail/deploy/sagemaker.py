"""The ``sagemaker`` deployment target: a model version behind an Amazon SageMaker real-time endpoint.

Each deployment creates a SageMaker model (the inference image plus the version's ``s3://``
model data) and an endpoint configuration with one production variant. Then it creates the
endpoint, or updates it if it already exists, and waits until the endpoint is ``InService``.
boto3 comes with ``pip install 'mltrail[aws]'``. It finds the region, credentials and endpoint
URL in its usual places.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from mltrail.core.errors import ConfigError, NotFoundError, StoreError, ValidationError

_AWS_EXTRA = "pip install 'mltrail[aws]'"
_NAME_LIMIT = 63
_SAGEMAKER_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
VARIANT_NAME = "AllTraffic"
"""The one production variant of each endpoint configuration."""
DEFAULT_INSTANCE_TYPE = "ml.m5.large"


@dataclass(frozen=True, slots=True)
class SageMakerEndpoint:
    """A SageMaker endpoint as it is now."""

    name: str
    arn: str
    status: str
    endpoint_config: str
    model_name: str | None
    failure_reason: str | None = None


class SageMakerTarget:
    """Endpoints served by SageMaker hosting.

    Options of ``mltrail.deploy.deploy(..., target="sagemaker", **options)``:

    - ``image_uri`` (required): the inference container image.
    - ``role_arn`` (required): the execution role that SageMaker assumes to read the model data.
    - ``instance_type`` (``ml.m5.large``) and ``initial_instance_count`` (1).
    - ``wait_seconds`` (600): how long to wait for ``InService``. ``poll_seconds`` (15): how often
      to check.
    """

    def deploy(
        self,
        *,
        endpoint: str,
        model: str,
        version: int,
        source_uri: str,
        image_uri: str | None = None,
        role_arn: str | None = None,
        instance_type: str = DEFAULT_INSTANCE_TYPE,
        initial_instance_count: int = 1,
        wait_seconds: float = 600,
        poll_seconds: float = 15,
        **options: Any,
    ) -> dict[str, Any]:
        """Serve the version at the SageMaker endpoint; return its ARN, configuration and model name.

        Raises:
            ValidationError: For a source that is not ``s3://``, a missing or unknown option, or an
                endpoint name that SageMaker does not accept. In each case no AWS call is made.
            ConfigError: If boto3 is not installed.
            StoreError: If an AWS call fails, the endpoint ends up ``Failed``, or it is not
                ``InService`` within ``wait_seconds``.
        """
        _check_options(endpoint=endpoint, source_uri=source_uri, image_uri=image_uri, role_arn=role_arn)
        if options:
            raise ValidationError(
                f"unknown sagemaker option(s): {', '.join(sorted(options))}",
                field="options",
                value=sorted(options),
            )
        client = _client()
        name = resource_name(endpoint, model, version)
        with _aws_errors(f"deploying {model} v{version} to SageMaker endpoint {endpoint!r}"):
            client.create_model(
                ModelName=name,
                PrimaryContainer={"Image": image_uri, "ModelDataUrl": source_uri},
                ExecutionRoleArn=role_arn,
                Tags=[
                    {"Key": "mltrail.model", "Value": model},
                    {"Key": "mltrail.version", "Value": str(version)},
                ],
            )
            client.create_endpoint_config(
                EndpointConfigName=name,
                ProductionVariants=[
                    {
                        "VariantName": VARIANT_NAME,
                        "ModelName": name,
                        "InstanceType": instance_type,
                        "InitialInstanceCount": initial_instance_count,
                    }
                ],
            )
            if _find_endpoint(client, endpoint) is None:
                client.create_endpoint(EndpointName=endpoint, EndpointConfigName=name)
            else:
                client.update_endpoint(EndpointName=endpoint, EndpointConfigName=name)
            arn = _wait_in_service(client, endpoint, wait_seconds=wait_seconds, poll_seconds=poll_seconds)
        return {"endpoint_arn": arn, "endpoint_config": name, "model_name": name, "status": "InService"}


def describe(endpoint: str) -> SageMakerEndpoint:
    """The endpoint's status, its current endpoint configuration and the model that configuration serves.

    Raises:
        NotFoundError: If there is no such endpoint.
        StoreError: If an AWS call fails.
    """
    client = _client()
    with _aws_errors(f"describing SageMaker endpoint {endpoint!r}"):
        found = _find_endpoint(client, endpoint)
        if found is None:
            raise NotFoundError("sagemaker endpoint", endpoint)
        config = client.describe_endpoint_config(EndpointConfigName=found["EndpointConfigName"])
    variants = config.get("ProductionVariants") or [{}]
    return SageMakerEndpoint(
        name=endpoint,
        arn=found["EndpointArn"],
        status=found["EndpointStatus"],
        endpoint_config=found["EndpointConfigName"],
        model_name=variants[0].get("ModelName"),
        failure_reason=found.get("FailureReason"),
    )


def resource_name(endpoint: str, model: str, version: int) -> str:
    """A new SageMaker model and endpoint-config name for one deployment.

    The name uses only ``[a-zA-Z0-9-]`` and is at most 63 characters long. It reads
    ``<endpoint>-<model>-v<version>``, shortened if needed, and ends with a random suffix so that
    every deployment gets its own name.
    """
    base = re.sub(r"[^a-zA-Z0-9]+", "-", f"{endpoint}-{model}-v{version}").strip("-")
    suffix = uuid.uuid4().hex[:8]
    return f"{base[: _NAME_LIMIT - len(suffix) - 1].rstrip('-')}-{suffix}"


def _check_options(*, endpoint: str, source_uri: str, image_uri: str | None, role_arn: str | None) -> None:
    if not source_uri.startswith("s3://") or len(source_uri) <= len("s3://"):
        raise ValidationError(
            f"SageMaker serves model data from S3; the version's source {source_uri!r} is not an s3:// URI",
            field="source_uri",
            value=source_uri,
        )
    if not _SAGEMAKER_NAME.fullmatch(endpoint):
        raise ValidationError(
            f"SageMaker endpoint names are 1-63 of [a-zA-Z0-9-], starting and ending alphanumeric; "
            f"got {endpoint!r}",
            field="endpoint",
            value=endpoint,
        )
    for field, value in (("image_uri", image_uri), ("role_arn", role_arn)):
        if not value:
            raise ValidationError(f"the sagemaker target needs the {field} option", field=field, value=value)


def _find_endpoint(client: Any, endpoint: str) -> dict[str, Any] | None:
    """``describe_endpoint``'s answer, or ``None`` when SageMaker says there is no such endpoint."""
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]

    try:
        found: dict[str, Any] = client.describe_endpoint(EndpointName=endpoint)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ValidationException":
            return None
        raise
    return found


def _wait_in_service(client: Any, endpoint: str, *, wait_seconds: float, poll_seconds: float) -> str:
    """Poll until the endpoint is ``InService`` and return its ARN; fail on ``Failed`` or the time limit."""
    deadline = time.monotonic() + wait_seconds
    while True:
        found = client.describe_endpoint(EndpointName=endpoint)
        status = found["EndpointStatus"]
        if status == "InService":
            arn: str = found["EndpointArn"]
            return arn
        if status == "Failed":
            reason = found.get("FailureReason") or "no reason given"
            raise StoreError(f"SageMaker endpoint {endpoint!r} failed: {reason}")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise StoreError(
                f"SageMaker endpoint {endpoint!r} is still {status} after {wait_seconds:g}s "
                "(raise wait_seconds, or watch it in the SageMaker console)"
            )
        time.sleep(min(poll_seconds, remaining))


def _client() -> Any:
    try:
        import boto3  # type: ignore[import-untyped]
    except ImportError as exc:
        raise ConfigError(
            f"the sagemaker target needs boto3, which is not installed: {_AWS_EXTRA}",
            key="target",
            value="sagemaker",
        ) from exc
    with _aws_errors("connecting to SageMaker"):
        return boto3.session.Session().client("sagemaker")


@contextmanager
def _aws_errors(action: str) -> Iterator[None]:
    """Turn boto3's failures (no region, no credentials, a refused call, …) into ``StoreError``."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise StoreError(f"{action} failed: {exc}", cause=exc) from exc


__all__ = [
    "DEFAULT_INSTANCE_TYPE",
    "VARIANT_NAME",
    "SageMakerEndpoint",
    "SageMakerTarget",
    "describe",
    "resource_name",
]
