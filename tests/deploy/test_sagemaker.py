"""The sagemaker target against moto's server: create, update, wait; refusals come before any AWS call."""

from __future__ import annotations

import re
from typing import Any

import boto3
import pytest
from moto.core.responses import ActionResult
from moto.sagemaker.responses import SageMakerResponse
from moto_server import moto_endpoint  # noqa: F401  (a fixture)

import mltrail
from mltrail import StoreError, ValidationError
from mltrail.deploy.sagemaker import describe, resource_name

BUCKET = "fraud-models"
ENDPOINT = "fraud-sm"
OPTIONS: dict[str, Any] = {
    "image_uri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/sklearn-inference:1.2",
    "role_arn": "arn:aws:iam::123456789012:role/sagemaker-execution",
    "poll_seconds": 0.01,
}


class UpdatingEndpoints:
    """moto 5 has no UpdateEndpoint, and its endpoints are InService at once; this adds both to its server.

    ``update_endpoint`` points the endpoint at the new configuration and marks it ``Updating``.
    The endpoint stays that way for ``updating_polls`` more DescribeEndpoint calls, then it becomes
    ``final_status``.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.updating_polls = 0
        self.final_status = "InService"
        self.failure_reason: str | None = None
        self.polls = 0
        self._left = 0
        describe_endpoint = SageMakerResponse.describe_endpoint
        shim = self

        def update_endpoint(response: SageMakerResponse) -> ActionResult:
            backend = response.sagemaker_backend
            endpoint = backend.endpoints[response._get_param("EndpointName")]
            config = backend.describe_endpoint_config(response._get_param("EndpointConfigName"))
            endpoint.endpoint_config_name = config["EndpointConfigName"]
            endpoint.production_variants = endpoint._process_production_variants(config["ProductionVariants"])
            endpoint.endpoint_status = "Updating"
            shim._left = shim.updating_polls
            return ActionResult({"EndpointArn": endpoint.arn})

        def counted_describe_endpoint(response: SageMakerResponse) -> ActionResult:
            shim.polls += 1
            endpoint = response.sagemaker_backend.endpoints.get(response._get_param("EndpointName"))
            if endpoint is not None and endpoint.endpoint_status == "Updating":
                if shim._left > 0:
                    shim._left -= 1
                else:
                    endpoint.endpoint_status = shim.final_status
                    endpoint.failure_reason = shim.failure_reason
            return describe_endpoint(response)

        monkeypatch.setattr(SageMakerResponse, "update_endpoint", update_endpoint, raising=False)
        monkeypatch.setattr(SageMakerResponse, "describe_endpoint", counted_describe_endpoint)


@pytest.fixture
def sagemaker(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    request.getfixturevalue("moto_endpoint")
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    return boto3.client("sagemaker")


@pytest.fixture
def endpoints(sagemaker: Any, monkeypatch: pytest.MonkeyPatch) -> UpdatingEndpoints:
    return UpdatingEndpoints(monkeypatch)


def registered(source_uri: str, *, approved: bool = True) -> int:
    """Register ``source_uri`` as the next version of ``fraud``; an ``s3://`` source is uploaded first."""
    if source_uri.startswith("s3://"):
        bucket, key = source_uri.removeprefix("s3://").split("/", 1)
        boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=b"model.tar.gz bytes")
    with mltrail.start_run(experiment="fraud", trial="sagemaker", kind="training") as run:
        run.log_output(source_uri, role="model")
    version = mltrail.registry.register_model("fraud", source_uri, source_run_id=run.id).version
    if approved:
        mltrail.registry.update_approval("fraud", version, "Approved", reason="tests")
    return version


@pytest.mark.usefixtures("tracking")
def test_a_version_deploys_to_a_new_endpoint_and_the_next_one_updates_it(
    sagemaker: Any, endpoints: UpdatingEndpoints
) -> None:
    first = registered(f"s3://{BUCKET}/fraud/1/model.tar.gz")
    created = mltrail.deploy.deploy("fraud", first, endpoint=ENDPOINT, target="sagemaker", **OPTIONS)

    assert created.details["status"] == "InService"
    assert created.details["endpoint_arn"] == f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{ENDPOINT}"
    now = describe(ENDPOINT)
    assert (now.arn, now.status, now.endpoint_config, now.model_name) == (
        created.details["endpoint_arn"],
        "InService",
        created.details["endpoint_config"],
        created.details["model_name"],
    )
    model = sagemaker.describe_model(ModelName=created.details["model_name"])
    assert model["PrimaryContainer"]["ModelDataUrl"] == f"s3://{BUCKET}/fraud/1/model.tar.gz"
    assert model["PrimaryContainer"]["Image"] == OPTIONS["image_uri"]
    assert model["ExecutionRoleArn"] == OPTIONS["role_arn"]
    variant = sagemaker.describe_endpoint_config(EndpointConfigName=now.endpoint_config)[
        "ProductionVariants"
    ][0]
    assert (variant["InstanceType"], variant["InitialInstanceCount"]) == ("ml.m5.large", 1)

    second = registered(f"s3://{BUCKET}/fraud/2/model.tar.gz")
    endpoints.updating_polls = 3  # the deployment waits through three "Updating" answers
    polls_before = endpoints.polls
    updated = mltrail.deploy.deploy(
        "fraud", second, endpoint=ENDPOINT, target="sagemaker", instance_type="ml.c5.xlarge", **OPTIONS
    )

    assert endpoints.polls - polls_before == 1 + 4  # "does it exist?", then three Updating and InService
    assert updated.details["endpoint_arn"] == created.details["endpoint_arn"]
    assert updated.details["endpoint_config"] != created.details["endpoint_config"]
    now = describe(ENDPOINT)
    assert (now.status, now.endpoint_config, now.model_name) == (
        "InService",
        updated.details["endpoint_config"],
        updated.details["model_name"],
    )
    assert [
        (d.version, d.target, d.details["endpoint_config"]) for d in mltrail.deploy.history(ENDPOINT)
    ] == [
        (second, "sagemaker", updated.details["endpoint_config"]),
        (first, "sagemaker", created.details["endpoint_config"]),
    ]


@pytest.mark.usefixtures("tracking")
def test_refusals_happen_before_any_aws_call(sagemaker: Any) -> None:
    pending = registered(f"s3://{BUCKET}/fraud/1/model.tar.gz", approved=False)
    with pytest.raises(ValidationError, match="PendingManualApproval; only Approved versions deploy"):
        mltrail.deploy.deploy("fraud", pending, endpoint=ENDPOINT, target="sagemaker", **OPTIONS)

    local = registered("/tmp/models/fraud.pkl")
    with pytest.raises(ValidationError, match="'/tmp/models/fraud.pkl' is not an s3:// URI") as refused:
        mltrail.deploy.deploy("fraud", local, endpoint=ENDPOINT, target="sagemaker", **OPTIONS)
    assert refused.value.field == "source_uri"

    stored = registered(f"s3://{BUCKET}/fraud/3/model.tar.gz")
    without_role = {key: value for key, value in OPTIONS.items() if key != "role_arn"}
    with pytest.raises(ValidationError, match="needs the role_arn option"):
        mltrail.deploy.deploy("fraud", stored, endpoint=ENDPOINT, target="sagemaker", **without_role)
    with pytest.raises(ValidationError, match="unknown sagemaker option"):
        mltrail.deploy.deploy("fraud", stored, endpoint=ENDPOINT, target="sagemaker", instance="x", **OPTIONS)
    with pytest.raises(ValidationError, match="SageMaker endpoint names"):
        mltrail.deploy.deploy("fraud", stored, endpoint="fraud_sm", target="sagemaker", **OPTIONS)

    assert sagemaker.list_models()["Models"] == []
    assert sagemaker.list_endpoint_configs()["EndpointConfigs"] == []
    assert sagemaker.list_endpoints()["Endpoints"] == []
    assert mltrail.deploy.history(ENDPOINT) == []


@pytest.mark.usefixtures("tracking")
def test_a_failed_or_slow_endpoint_raises_and_is_not_recorded_as_deployed(
    endpoints: UpdatingEndpoints,
) -> None:
    first = registered(f"s3://{BUCKET}/fraud/1/model.tar.gz")
    mltrail.deploy.deploy("fraud", first, endpoint=ENDPOINT, target="sagemaker", **OPTIONS)
    second = registered(f"s3://{BUCKET}/fraud/2/model.tar.gz")

    endpoints.final_status, endpoints.failure_reason = "Failed", "the container did not pass the ping check"
    with pytest.raises(StoreError, match="'fraud-sm' failed: the container did not pass the ping check"):
        mltrail.deploy.deploy("fraud", second, endpoint=ENDPOINT, target="sagemaker", **OPTIONS)

    endpoints.updating_polls = 1_000_000
    with pytest.raises(StoreError, match=r"'fraud-sm' is still Updating after 0.05s"):
        mltrail.deploy.deploy(
            "fraud", second, endpoint=ENDPOINT, target="sagemaker", wait_seconds=0.05, **OPTIONS
        )

    assert [d.version for d in mltrail.deploy.history(ENDPOINT)] == [first]


def test_resource_names_follow_sagemakers_rules_and_differ_per_deployment() -> None:
    names = {resource_name("fraud_prod.eu", "Fraud Detection/" + "x" * 80, 12) for _ in range(20)}
    assert len(names) == 20
    for name in names:
        assert len(name) <= 63 and re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*", name), name
        assert name.startswith("fraud-prod-eu-Fraud-Detection-xxx")
    assert re.fullmatch(r"fraud-sm-fraud-v3-[0-9a-f]{8}", resource_name("fraud-sm", "fraud", 3))
