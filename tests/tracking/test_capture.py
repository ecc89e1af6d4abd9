"""Tests for mltrail.tracking.capture: git code info and host environment."""

from __future__ import annotations

import http.server
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mltrail.tracking import capture

GIT = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main"]
GCP_PATH = "/computeMetadata/v1/instance/machine-type"
UNREACHABLE = "http://127.0.0.1:9"  # discard port: nothing listens, connection refused at once


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Clear the caches, ignore the user's git config and keep every metadata request on loopback."""
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setattr(capture, "_DMI_DIR", tmp_path_factory.mktemp("no-dmi"))
    for name in ("_AWS_METADATA_BASE", "_GCP_METADATA_BASE", "_AZURE_METADATA_BASE"):
        monkeypatch.setattr(capture, name, UNREACHABLE)
    capture._clear_caches()
    yield
    capture._clear_caches()


def git(repo: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "pkg").mkdir(parents=True)
    git(root, "init", "-q")
    (root / "pkg" / "train.py").write_text("print('hi')\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")
    return root


# --- code ---------------------------------------------------------------------------------------


def test_code_in_clean_checkout(repo: Path) -> None:
    info = capture.capture_code(str(repo / "pkg" / "train.py"))

    assert info is not None
    assert info.commit == git(repo, "rev-parse", "HEAD")
    assert len(info.commit) == 40
    assert info.branch == "main"
    assert info.is_dirty is False
    assert info.entry_point == "pkg/train.py"
    assert info.repo_url is None


def test_code_dirty_only_for_tracked_changes(repo: Path) -> None:
    (repo / "untracked.txt").write_text("x")
    assert capture.capture_code(str(repo / "pkg" / "train.py")).is_dirty is False  # type: ignore[union-attr]

    capture._clear_caches()
    (repo / "pkg" / "train.py").write_text("print('changed')\n")
    assert capture.capture_code(str(repo / "pkg" / "train.py")).is_dirty is True  # type: ignore[union-attr]


def test_code_strips_credentials_from_origin(repo: Path) -> None:
    git(repo, "remote", "add", "origin", "https://user:secret@example.com/x.git")

    info = capture.capture_code(str(repo / "pkg" / "train.py"))

    assert info is not None
    assert info.repo_url == "https://example.com/x.git"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:secret@example.com:8443/x.git", "https://example.com:8443/x.git"),
        ("https://ghp_token@github.com/org/x.git", "https://github.com/org/x.git"),
        ("https://github.com/org/x.git", "https://github.com/org/x.git"),
        ("ssh://git@github.com/org/x.git", "ssh://git@github.com/org/x.git"),
        ("ssh://git:pw@github.com/org/x.git", "ssh://github.com/org/x.git"),
        ("git@github.com:org/x.git", "git@github.com:org/x.git"),
        ("/srv/git/x.git", "/srv/git/x.git"),
    ],
)
def test_strip_credentials(url: str, expected: str) -> None:
    assert capture._strip_credentials(url) == expected


def test_code_detached_head_has_no_branch(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach")

    info = capture.capture_code(str(repo / "pkg" / "train.py"))

    assert info is not None
    assert info.branch is None
    assert info.commit == git(repo, "rev-parse", "HEAD")


def test_code_for_directory_has_no_entry_point(repo: Path) -> None:
    info = capture.capture_code(str(repo / "pkg"))

    assert info is not None
    assert info.entry_point is None
    assert info.commit is not None


def test_code_defaults_to_argv0(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", [str(repo / "pkg" / "train.py"), "--epochs", "3"])

    info = capture.capture_code()

    assert info is not None
    assert info.entry_point == "pkg/train.py"


def test_code_falls_back_to_cwd(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["-c"])
    monkeypatch.delattr(sys.modules["__main__"], "__file__", raising=False)
    monkeypatch.chdir(repo / "pkg")

    info = capture.capture_code()

    assert info is not None
    assert info.commit == git(repo, "rev-parse", "HEAD")
    assert info.entry_point is None


def test_code_outside_a_repo_is_none(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text("")

    assert capture.capture_code(str(script)) is None
    assert capture.capture_code(str(tmp_path / "missing" / "script.py")) is None


def test_code_without_git_binary_is_none(repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))

    assert capture.capture_code(str(repo / "pkg" / "train.py")) is None


def test_code_git_timeout_is_none(repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_bin = tmp_path / "slow-bin"
    fake_bin.mkdir()
    fake_git = fake_bin / "git"
    fake_git.write_text("#!/bin/sh\nexec sleep 5\n")
    fake_git.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_bin}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(capture, "_GIT_TIMEOUT", 0.2)

    started = time.monotonic()
    assert capture.capture_code(str(repo / "pkg" / "train.py")) is None
    assert time.monotonic() - started < 2


def test_code_is_cached_per_directory(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, ...]] = []
    real_run_git = capture._run_git

    def counting_run_git(args: list[str], *, cwd: str) -> str | None:
        calls.append(tuple(args))
        return real_run_git(args, cwd=cwd)

    monkeypatch.setattr(capture, "_run_git", counting_run_git)
    (repo / "pkg" / "eval.py").write_text("")

    first = capture.capture_code(str(repo / "pkg" / "train.py"))
    n = len(calls)
    for _ in range(100):
        assert capture.capture_code(str(repo / "pkg" / "train.py")) == first
    other = capture.capture_code(str(repo / "pkg" / "eval.py"))

    assert len(calls) == n
    assert other is not None
    assert other.entry_point == "pkg/eval.py"


# --- environment --------------------------------------------------------------------------------


def test_environment_fields_are_sane() -> None:
    env = capture.capture_environment()

    assert env.host == socket.gethostname()
    assert env.os == platform.platform()
    assert env.python == platform.python_version()
    assert env.cpu_count is not None
    assert 1 <= env.cpu_count <= (os.cpu_count() or env.cpu_count)
    assert env.memory_bytes is not None
    assert env.memory_bytes > 64 * 1024 * 1024
    assert env.instance_type is None
    assert capture.capture_environment() is env  # cached


def test_memory_falls_back_to_sysconf(tmp_path: Path) -> None:
    assert capture._memory_bytes(tmp_path / "no-meminfo") == os.sysconf("SC_PHYS_PAGES") * os.sysconf(
        "SC_PAGE_SIZE"
    )
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:        2048 kB\nMemFree:  1 kB\n")
    assert capture._memory_bytes(meminfo) == 2048 * 1024


def test_explicit_instance_type_wins(dmi_aws: Path, metadata_server: MetadataServer) -> None:
    env = capture.capture_environment(instance_type="ml.m5.xlarge", cloud_metadata=True)

    assert env.instance_type == "ml.m5.xlarge"
    assert metadata_server.requests == []


# --- cloud metadata (loopback servers only) -------------------------------------------------------


class MetadataServer:
    """A fake AWS/GCP/Azure instance metadata service on 127.0.0.1 that records requests."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _reply(self, status: int, body: str = "") -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self) -> None:
                outer.requests.append(("PUT", self.path))
                if self.path == "/latest/api/token" and self.headers["X-aws-ec2-metadata-token-ttl-seconds"]:
                    self._reply(200, "tok-123")
                else:
                    self._reply(404)

            def do_GET(self) -> None:
                outer.requests.append(("GET", self.path))
                h = self.headers
                if self.path == "/latest/meta-data/instance-type":
                    ok = h["X-aws-ec2-metadata-token"] == "tok-123"
                    self._reply(200, "m5.large") if ok else self._reply(401)
                elif (
                    self.path == "/computeMetadata/v1/instance/machine-type"
                    and h["Metadata-Flavor"] == "Google"
                ):
                    self._reply(200, "projects/123/zones/us-central1-a/machineTypes/n2-standard-4")
                elif self.path.startswith("/metadata/instance/compute/vmSize?") and h["Metadata"] == "true":
                    self._reply(200, "Standard_D2s_v3\n")
                else:
                    self._reply(404)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def metadata_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[MetadataServer]:
    server = MetadataServer()
    for name in ("_AWS_METADATA_BASE", "_GCP_METADATA_BASE", "_AZURE_METADATA_BASE"):
        monkeypatch.setattr(capture, name, server.url)
    yield server
    server.close()


def make_dmi(path: Path, **files: str) -> Path:
    path.mkdir()
    for name, value in files.items():
        (path / name).write_text(value + "\n")
    return path


@pytest.fixture
def dmi_aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    dmi = make_dmi(tmp_path / "dmi", sys_vendor="Amazon EC2", product_name="m5.large")
    monkeypatch.setattr(capture, "_DMI_DIR", dmi)
    return dmi


def test_aws_instance_type_from_imdsv2(dmi_aws: Path, metadata_server: MetadataServer) -> None:
    env = capture.capture_environment(cloud_metadata=True)

    assert env.instance_type == "m5.large"
    assert metadata_server.requests == [
        ("PUT", "/latest/api/token"),
        ("GET", "/latest/meta-data/instance-type"),
    ]


def test_gcp_and_azure_machine_types(tmp_path: Path, metadata_server: MetadataServer) -> None:
    gcp = make_dmi(tmp_path / "gcp", sys_vendor="Google", product_name="Google Compute Engine")
    azure = make_dmi(
        tmp_path / "azure",
        sys_vendor="Microsoft Corporation",
        product_name="Virtual Machine",
        chassis_asset_tag="7783-7084-3265-9085-8269-3286-77",
    )
    urls = {
        "aws_base": metadata_server.url,
        "gcp_base": metadata_server.url,
        "azure_base": metadata_server.url,
    }

    assert capture._lookup_instance_type(gcp, timeout=1.0, **urls) == "n2-standard-4"
    assert capture._lookup_instance_type(azure, timeout=1.0, **urls) == "Standard_D2s_v3"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"sys_vendor": "Amazon EC2"}, "aws"),
        ({"sys_vendor": "Xen", "board_vendor": "Amazon EC2"}, "aws"),
        ({"sys_vendor": "Google", "product_name": "Google Compute Engine"}, "gcp"),
        ({"sys_vendor": "Microsoft Corporation"}, "azure"),
        ({"sys_vendor": "Microsoft Corporation", "chassis_asset_tag": "0000-laptop"}, None),
        ({"sys_vendor": "LENOVO", "product_name": "ThinkPad"}, None),
        ({}, None),
    ],
)
def test_detect_cloud(tmp_path: Path, files: dict[str, str], expected: str | None) -> None:
    assert capture._detect_cloud(make_dmi(tmp_path / "dmi", **files)) == expected


def test_no_dmi_means_no_request(metadata_server: MetadataServer) -> None:
    assert capture.capture_environment(cloud_metadata=True).instance_type is None
    assert metadata_server.requests == []


def test_cloud_metadata_off_never_calls_the_network(dmi_aws: Path, metadata_server: MetadataServer) -> None:
    env = capture.capture_environment()

    assert env.instance_type is None
    assert metadata_server.requests == []


def test_unreachable_metadata_service_is_none(dmi_aws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setattr(capture, "_AWS_METADATA_BASE", f"http://127.0.0.1:{port}")

    started = time.monotonic()
    assert capture.capture_environment(cloud_metadata=True).instance_type is None
    assert time.monotonic() - started < 1.0


def test_silent_metadata_service_times_out(dmi_aws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as listener:  # accepts connections (kernel backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        monkeypatch.setattr(capture, "_AWS_METADATA_BASE", f"http://127.0.0.1:{listener.getsockname()[1]}")

        started = time.monotonic()
        assert capture.capture_environment(cloud_metadata=True).instance_type is None
        elapsed = time.monotonic() - started

    assert 0.2 < elapsed < 1.0
