from __future__ import annotations

import hashlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto_server import moto_endpoint  # noqa: F401  (a fixture)

import mltrail
from mltrail import ConfigError, NotFoundError, StoreError
from mltrail.config import Settings
from mltrail.tracking import api, artifacts
from mltrail.tracking.artifacts import LocalArtifacts, S3Artifacts, download, resolve_artifact_root

BUCKET = "fraud-artifacts"
MiB = 1024 * 1024


@pytest.fixture
def s3(request: pytest.FixtureRequest) -> Any:
    request.getfixturevalue("moto_endpoint")
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def sdk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLTRAIL_TRACKING_URI", raising=False)
    monkeypatch.setenv("MLTRAIL_ARTIFACT_ROOT", f"s3://{BUCKET}/team/runs")
    mltrail.set_tracking_uri(f"sqlite:///{tmp_path / 'mltrail.db'}")
    yield
    api.reset()


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lower the multipart threshold to S3's smallest part (5 MiB), so a 6 MiB file goes in 2 parts."""
    monkeypatch.setattr(artifacts, "MULTIPART_THRESHOLD", 5 * MiB)
    monkeypatch.setattr(artifacts, "MULTIPART_CHUNKSIZE", 5 * MiB)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def model_folder(root: Path) -> dict[str, bytes]:
    files = {"weights.bin": os.urandom(6 * MiB), "meta/config.json": b'{"depth": 5}'}
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return files


def s3_artifacts(tmp_path: Path, *, strict: bool = False, bucket: str = BUCKET) -> S3Artifacts:
    return S3Artifacts(
        f"s3://{bucket}/team/fraud/run-1",
        Settings(strict=strict),
        fallback=LocalArtifacts(tmp_path / "kept"),
    )


@pytest.mark.usefixtures("sdk", "small_parts")
def test_run_uploads_files_and_folders_with_their_sha256(s3: Any, tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text("auc 0.93")
    folder = tmp_path / "model"
    files = model_folder(folder)
    with mltrail.start_run(experiment="fraud", kind="training") as run:
        report_uri = run.log_artifact(report)
        model_uri = run.log_artifact(folder, artifact_path="models/lr")
    prefix = f"team/runs/fraud/{run.id}"
    assert run.artifact_uri == f"s3://{BUCKET}/{prefix}"
    assert report_uri == f"s3://{BUCKET}/{prefix}/report.txt"
    assert model_uri == f"s3://{BUCKET}/{prefix}/models/lr"
    expected = {f"{prefix}/report.txt": b"auc 0.93"} | {
        f"{prefix}/models/lr/{k}": v for k, v in files.items()
    }
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/")
    assert sorted(item["Key"] for item in listed["Contents"]) == sorted(expected)
    for key, data in expected.items():
        stored = s3.get_object(Bucket=BUCKET, Key=key)
        assert stored["Body"].read() == data
        assert stored["Metadata"] == {"sha256": sha256(data)}
    weights = s3.head_object(Bucket=BUCKET, Key=f"{prefix}/models/lr/weights.bin")
    assert weights["ETag"].endswith('-2"')  # uploaded in two parts
    assert {d.uri for d in mltrail.get_run(run.id).outputs} >= {report_uri, model_uri}


@pytest.mark.usefixtures("small_parts")
def test_upload_returns_each_object_with_its_sha256(s3: Any, tmp_path: Path) -> None:
    files = model_folder(tmp_path / "model")
    written = s3_artifacts(tmp_path).upload(tmp_path / "model")
    base = f"s3://{BUCKET}/team/fraud/run-1/model"
    assert written == {f"{base}/{name}": sha256(data) for name, data in files.items()}


@pytest.mark.usefixtures("small_parts")
def test_download_round_trips_files_and_folders(s3: Any, tmp_path: Path) -> None:
    files = model_folder(tmp_path / "model")
    store = s3_artifacts(tmp_path)
    folder_uri = store.put(tmp_path / "model")
    file_uri = f"{folder_uri}/weights.bin"
    assert download(file_uri, tmp_path / "got" / "weights.bin") == tmp_path / "got" / "weights.bin"
    assert (tmp_path / "got" / "weights.bin").read_bytes() == files["weights.bin"]
    download(folder_uri, tmp_path / "copy")
    assert {
        p.relative_to(tmp_path / "copy").as_posix(): p.read_bytes()
        for p in (tmp_path / "copy").rglob("*")
        if p.is_file()
    } == files
    local = LocalArtifacts(tmp_path / "local").put(tmp_path / "model" / "meta" / "config.json")
    assert download(local, tmp_path / "local-copy.json").read_bytes() == b'{"depth": 5}'
    with pytest.raises(NotFoundError, match="not found"):
        download(f"s3://{BUCKET}/team/nothing-here", tmp_path / "none")


def test_download_refuses_a_corrupted_object(s3: Any, tmp_path: Path) -> None:
    (tmp_path / "model.pkl").write_bytes(b"good model")
    uri = s3_artifacts(tmp_path).put(tmp_path / "model.pkl")
    key = uri.removeprefix(f"s3://{BUCKET}/")
    metadata = s3.head_object(Bucket=BUCKET, Key=key)["Metadata"]
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"evil model", Metadata=metadata)  # bytes change, checksum not
    target = tmp_path / "got" / "model.pkl"
    with pytest.raises(StoreError, match=rf"{uri} is corrupt: its bytes have sha256 {sha256(b'evil model')}"):
        download(uri, target)
    assert list((tmp_path / "got").iterdir()) == []  # neither the file nor its partial download is kept


@pytest.mark.usefixtures("moto_endpoint", "sdk")
def test_missing_bucket_keeps_a_local_copy_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "report.txt").write_text("auc 0.93")
    with caplog.at_level(logging.WARNING), mltrail.start_run(experiment="fraud", kind="training") as run:
        uri = run.log_artifact(tmp_path / "report.txt")
    kept = tmp_path / ".mltrail" / "artifacts" / "fraud" / str(run.id) / "report.txt"
    assert uri == kept.as_uri() and kept.read_text() == "auc 0.93"
    assert f"mltrail could not upload artifact {tmp_path / 'report.txt'} (kept at {uri})" in caplog.text
    assert "NoSuchBucket" in caplog.text


@pytest.mark.usefixtures("moto_endpoint")
def test_missing_bucket_raises_in_strict_mode(tmp_path: Path) -> None:
    (tmp_path / "report.txt").write_text("auc 0.93")
    store = s3_artifacts(tmp_path, strict=True, bucket="no-such-bucket")
    with pytest.raises(StoreError, match="artifact upload to s3://no-such-bucket/.*NoSuchBucket") as caught:
        store.put(tmp_path / "report.txt")
    assert caught.value.cause is not None
    assert not (tmp_path / "kept").exists()


def test_s3_root_needs_a_bucket_and_boto3(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_artifact_root(Settings(artifact_root="s3://bucket/prefix/")) == "s3://bucket/prefix"
    with pytest.raises(ConfigError, match="must look like s3://bucket"):
        resolve_artifact_root(Settings(artifact_root="s3:///prefix"))
    monkeypatch.setitem(sys.modules, "boto3", None)  # import boto3 raises ImportError
    with pytest.raises(ConfigError, match=r"pip install 'mltrail\[aws\]'"):
        resolve_artifact_root(Settings(artifact_root="s3://bucket/prefix"))
