"""SIGTERM ends open runs as Stopped (an OpenLineage ABORT), then the process terminates as asked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from ol_http_backend import LineageBackend, isolate_openlineage

from mltrail.store import Store

SCRIPT = """
import sys, time, uuid
import mltrail
run = mltrail.start_run(experiment="jobs", trial="t", kind="training", run_id=uuid.UUID(sys.argv[1]))
run.log_metric("loss", 0.5)
mltrail.flush()
print("started", flush=True)
time.sleep(60)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_stops_the_run_and_sends_abort(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_openlineage(monkeypatch, tmp_path)
    url = f"sqlite:///{tmp_path / 'mltrail.db'}"
    run_id = uuid.uuid4()
    backend = LineageBackend().start()
    try:
        env = os.environ | {
            "MLTRAIL_TRACKING_URI": url,
            "OPENLINEAGE__TRANSPORT__TYPE": "http",
            "OPENLINEAGE__TRANSPORT__URL": backend.url,
            "OPENLINEAGE__TRANSPORT__RETRY__TOTAL": "0",
        }
        process = subprocess.Popen(
            [sys.executable, "-c", SCRIPT, str(run_id)], env=env, stdout=subprocess.PIPE, text=True
        )
        try:
            assert process.stdout is not None and process.stdout.readline().strip() == "started"
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=30)
        finally:
            process.kill()
            process.wait()
    finally:
        backend.stop()

    assert code == -signal.SIGTERM
    with Store(url) as store:
        run = store.get_run(run_id)
    assert run.status.value == "Stopped"
    assert run.error_message == "terminated (SIGTERM)"
    assert [event["eventType"] for event in backend.events] == ["START", "ABORT"]


def test_a_handler_someone_else_installed_is_left_alone(tmp_path: Path) -> None:
    code = (
        "import signal, mltrail\n"
        "handler = lambda *a: None\n"
        "signal.signal(signal.SIGTERM, handler)\n"
        "mltrail.start_run(experiment='e').end()\n"
        "print(signal.getsignal(signal.SIGTERM) is handler)\n"
    )
    env = os.environ | {"MLTRAIL_TRACKING_URI": f"sqlite:///{tmp_path / 'm.db'}"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "True"
