"""Run ids and parents of KFP components: stable across runs of the same task, cluster or local."""

import uuid

import pytest

pytest.importorskip("kfp", reason="the kfp extra is not installed")

from mltrail.kfp.runtime import ComponentIdentity  # noqa: E402


def test_run_ids_are_stable_and_tell_calls_apart() -> None:
    local = ComponentIdentity("fraud", "20657705", "train", "C=0.1")
    assert local.run_id == ComponentIdentity("fraud", "20657705", "train", "C=0.1").run_id
    assert local.run_id != ComponentIdentity("fraud", "20657705", "train", "C=1.0").run_id
    assert local.pipeline_run_id != ComponentIdentity("other", "20657705", "train").pipeline_run_id
    cluster_run = "3f2b8a3e-52ea-4c1e-9d07-2d5c9f0e6a11"
    assert ComponentIdentity("fraud", cluster_run, "train").pipeline_run_id == uuid.UUID(cluster_run)


def test_the_pipeline_run_is_the_parent_and_an_airflow_launcher_the_root(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alone = ComponentIdentity.from_environment("fraud", "17", "train")
    assert alone.parent.run_id == alone.pipeline_run_id == alone.parent.root_run_id
    assert (alone.parent.job_namespace, alone.parent.job_name) == ("kfp", "fraud")

    launcher = uuid.uuid4()
    monkeypatch.setenv("OPENLINEAGE_PARENT_ID", f"airflow/ml_dag.launch_kfp/{launcher}")
    monkeypatch.setenv("OPENLINEAGE_NAMESPACE", "kfp-prod")
    launched = ComponentIdentity.from_environment("fraud", "17", "train")
    assert launched.parent.run_id == launched.pipeline_run_id
    assert launched.parent.job_namespace == "kfp-prod"
    assert (launched.parent.root_run_id, launched.parent.root_job_name) == (launcher, "ml_dag.launch_kfp")
    assert launched.parent.root_job_namespace == "airflow"
