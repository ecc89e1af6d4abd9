"""Run moto's S3 server on a loopback port, in a thread of the test process, with boto3 pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from moto.server import ThreadedMotoServer


@pytest.fixture
def moto_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Serve a fresh, empty S3 at ``http://127.0.0.1:<port>`` for one test; yield its URL.

    ``AWS_ENDPOINT_URL``, a region and dummy credentials are set for the test, and the profile and
    config files are hidden, so boto3 talks to this server and nothing else. moto keeps its state
    per process, not per server, so the state is reset when the test ends.
    """
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        yield url
        requests.post(f"{url}/moto-api/reset", timeout=10).raise_for_status()
    finally:
        server.stop()
