"""Artifact files on the server: round trips through the SDK, path traversal refused, safe downloads."""

from __future__ import annotations

import http.client
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from live_server import live_server

import mltrail
from mltrail.config import Settings
from mltrail.core.errors import StoreError, ValidationError
from mltrail.tracking import api
from mltrail.tracking.artifacts import LocalArtifacts, ServerArtifacts

ARTIFACTS = "/api/mltrail/v1/artifacts"


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    """A server whose artifact root is ``tmp_path/root``, with a secret file next to the root."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secret.txt").write_text("do not serve")
    root = tmp_path / "root"
    with live_server(f"sqlite:///{tmp_path / 'served.db'}", artifact_root=str(root)) as url:
        yield url, root
    api.reset()


def raw_request(url: str, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    """Send ``path`` exactly as written (requests would normalise ``..`` away)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.request(method, path, body=body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_sdk_uploads_files_and_folders_that_read_back(server: tuple[str, Path], tmp_path: Path) -> None:
    url, root = server
    folder = tmp_path / "model"
    (folder / "weights").mkdir(parents=True)
    (folder / "weights" / "layer 1.bin").write_bytes(b"\x00\x01binary")
    (folder / "MLmodel").write_text("flavor: sklearn")
    report = tmp_path / "report.txt"
    report.write_text("auc 0.93")
    mltrail.set_tracking_uri(url)
    with mltrail.start_run(experiment="fraud detection", trial="t") as run:
        model_uri = run.log_artifact(folder, artifact_path="model")
        report_uri = run.log_artifact(report, artifact_path="reports/final.txt")

    base = f"{url}{ARTIFACTS}/fraud_detection/{run.id}"
    assert run.artifact_uri == base
    assert mltrail.get_run(run.id).artifact_uri == base
    assert (model_uri, report_uri) == (f"{base}/model", f"{base}/reports/final.txt")
    assert requests.get(report_uri, timeout=10).text == "auc 0.93"
    assert requests.get(f"{base}/model/weights/layer%201.bin", timeout=10).content == b"\x00\x01binary"
    listing = requests.get(f"{base}/model", timeout=10).json()
    assert listing == {
        "files": [
            {"path": f"fraud_detection/{run.id}/model/MLmodel", "is_dir": False, "size": 15},
            {"path": f"fraud_detection/{run.id}/model/weights", "is_dir": True, "size": None},
        ]
    }
    assert (root / "fraud_detection" / str(run.id) / "reports" / "final.txt").read_text() == "auc 0.93"
    outputs = {d.uri for d in mltrail.get_run(run.id).outputs}
    assert outputs == {model_uri, report_uri}


@pytest.mark.parametrize(
    "path",
    [
        f"{ARTIFACTS}/../secret.txt",
        f"{ARTIFACTS}/a/../../secret.txt",
        f"{ARTIFACTS}/%2e%2e/secret.txt",
        f"{ARTIFACTS}/%2E%2E%2Fsecret.txt",
        f"{ARTIFACTS}/a%2F..%2F..%2Fsecret.txt",
        f"{ARTIFACTS}//etc/passwd",
        f"{ARTIFACTS}/%2Fetc%2Fpasswd",
        f"{ARTIFACTS}/..%5C..%5Csecret.txt",
        f"{ARTIFACTS}/C:%5Csecret.txt",
        f"{ARTIFACTS}/a/%00/b",
        f"{ARTIFACTS}/./secret.txt",
    ],
)
def test_paths_that_leave_the_root_are_refused(server: tuple[str, Path], tmp_path: Path, path: str) -> None:
    url, root = server
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))

    put_status, put_body = raw_request(url, "PUT", path, b"overwritten")
    get_status, get_body = raw_request(url, "GET", path)

    assert put_status == 400, put_body
    assert get_status == 400, get_body
    assert b"do not serve" not in get_body and b"root:" not in get_body
    assert (tmp_path / "secret.txt").read_text() == "do not serve"
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_a_symlink_out_of_the_root_is_refused(server: tuple[str, Path], tmp_path: Path) -> None:
    url, root = server
    root.mkdir(parents=True, exist_ok=True)
    os.symlink(tmp_path, root / "escape")
    status, body = raw_request(url, "GET", f"{ARTIFACTS}/escape/secret.txt")
    assert status == 400 and b"leads out of the artifact root" in body
    status, _ = raw_request(url, "PUT", f"{ARTIFACTS}/escape/planted.txt", b"x")
    assert status == 400 and not (tmp_path / "planted.txt").exists()


def test_markup_downloads_instead_of_rendering(server: tuple[str, Path]) -> None:
    url, _ = server
    page = b"<script>alert(1)</script>"
    assert requests.put(f"{url}{ARTIFACTS}/e/r/page.html", data=page, timeout=10).status_code == 201
    assert requests.put(f"{url}{ARTIFACTS}/e/r/plot.png", data=b"\x89PNG", timeout=10).status_code == 201

    html = requests.get(f"{url}{ARTIFACTS}/e/r/page.html", timeout=10)
    assert html.content == page
    assert html.headers["content-type"] == "application/octet-stream"
    assert html.headers["content-disposition"].startswith("attachment")
    assert html.headers["x-content-type-options"] == "nosniff"
    assert html.headers["content-security-policy"] == "sandbox"
    png = requests.get(f"{url}{ARTIFACTS}/e/r/plot.png", timeout=10)
    assert png.headers["content-type"] == "image/png" and png.headers["content-disposition"].startswith(
        "inline"
    )
    missing = requests.get(f"{url}{ARTIFACTS}/e/r/nope.txt", timeout=10)
    assert missing.status_code == 404 and missing.json()["details"]["kind"] == "artifact"


def test_uploads_need_a_writer_token_once_tokens_exist(tmp_path: Path) -> None:
    from mltrail.store import Store

    db = f"sqlite:///{tmp_path / 'served.db'}"
    with live_server(db, artifact_root=str(tmp_path / "root")) as url, Store(db) as store:
        _, reader = store.tokens.create("ui", "reader")
        _, writer = store.tokens.create("sdk", "writer")
        target = f"{url}{ARTIFACTS}/e/r/a.txt"
        deadline = 50
        while requests.put(target, data=b"x", timeout=10).status_code != 401:  # tokens rechecked every 2 s
            deadline -= 1
            assert deadline > 0, "the server never asked for a token"
            time.sleep(0.1)
        as_reader = requests.put(target, data=b"x", headers={"Authorization": f"Bearer {reader}"}, timeout=10)
        assert as_reader.status_code == 403
        settings = Settings(tracking_uri=url, tracking_token=writer)
        stored = ServerArtifacts(
            f"{url}{ARTIFACTS}/e/r", settings, fallback=LocalArtifacts(tmp_path / "local")
        )
        source = tmp_path / "a.txt"
        source.write_text("written")
        assert stored.put(source) == target
        assert (tmp_path / "root" / "e" / "r" / "a.txt").read_text() == "written"


def test_a_server_that_is_down_keeps_the_file_locally_unless_strict(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    source = tmp_path / "model.pkl"
    source.write_bytes(b"weights")
    down = f"http://127.0.0.1:{port}{ARTIFACTS}/e/r"
    fallback = LocalArtifacts(tmp_path / "kept")

    uri = ServerArtifacts(down, Settings(tracking_uri=down), fallback=fallback).put(source)
    assert uri == (tmp_path / "kept" / "model.pkl").as_uri()
    assert (tmp_path / "kept" / "model.pkl").read_bytes() == b"weights"
    assert "could not upload artifact" in caplog.text
    with pytest.raises(StoreError):
        ServerArtifacts(down, Settings(tracking_uri=down, strict=True), fallback=fallback).put(source)
    with pytest.raises(ValidationError, match="plain file or folder name"):
        ServerArtifacts(down, Settings(tracking_uri=down), fallback=fallback).put(source, "../up.pkl")
