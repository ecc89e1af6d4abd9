"""Install MLflow into a virtualenv of its own and run the MLflow benchmark script inside it.

MLflow is a peer we measure, never a dependency of mltrail: it lives in
``benchmarks/.work/mlflow-venv`` (gitignored), is installed once (a stamp file records
what was installed), and is driven only through :func:`run_mlflow`, which starts
``mlflow_runner.py`` with that venv's interpreter and parses the one JSON object the
script prints on stdout.

Typical use from the top-level benchmark runner::

    from benchmarks.peers.mlflow_env import DEFAULT_VENV, ensure_mlflow_venv, run_mlflow

    python = ensure_mlflow_venv(DEFAULT_VENV)
    result = run_mlflow(python, ["--backend-uri", "sqlite:////tmp/x/mlflow.db", "--n", "2000"])
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_VENV",
    "MLFLOW_VERSION",
    "RUNNER_SCRIPT",
    "MlflowRunError",
    "ensure_mlflow_venv",
    "mlflow_subprocess_env",
    "run_mlflow",
]

MLFLOW_VERSION = "3.17.2"
"""The MLflow release we benchmark (checked with ``pip index versions mlflow``; 3.18.0 is newer)."""

EXTRA_PACKAGES: tuple[str, ...] = ("psycopg2-binary",)
"""Installed next to MLflow: the PostgreSQL driver its SQLAlchemy store uses for ``postgresql://``."""

DEFAULT_VENV = Path(__file__).resolve().parents[1] / ".work" / "mlflow-venv"
"""``benchmarks/.work/mlflow-venv``; ``benchmarks/.work/`` is in ``.gitignore``."""

RUNNER_SCRIPT = Path(__file__).resolve().with_name("mlflow_runner.py")
"""The standalone script executed inside the MLflow venv."""

_STAMP_NAME = ".mltrail-bench-stamp.json"
_PIP_TIMEOUT_S = 1800


class MlflowRunError(RuntimeError):
    """The MLflow venv could not be built, or the runner script failed or printed no JSON.

    Attributes:
        returncode: Exit status of the failed subprocess (``None`` if it timed out).
        output: The tail of the subprocess output, for the error report.
    """

    def __init__(self, message: str, *, returncode: int | None = None, output: str = "") -> None:
        super().__init__(message)
        self.returncode = returncode
        self.output = output


def _venv_python(path: Path) -> Path:
    """Return the interpreter of the venv at ``path``."""
    if os.name == "nt":
        return path / "Scripts" / "python.exe"
    return path / "bin" / "python"


def _requirements(version: str) -> list[str]:
    """Return the pip requirement strings for the MLflow venv."""
    return [f"mlflow=={version}", *EXTRA_PACKAGES]


def mlflow_subprocess_env() -> dict[str, str]:
    """Return the environment for processes running in the MLflow venv.

    Drops variables that would leak our own interpreter's setup into the venv
    (``PYTHONPATH``, ``VIRTUAL_ENV``, ``MLFLOW_TRACKING_URI``) and switches off
    MLflow's usage telemetry, so a benchmark run never contacts a remote host.
    """
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}}
    for key in [k for k in env if k.startswith("MLFLOW_")]:
        del env[key]
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    env["DO_NOT_TRACK"] = "true"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _run_checked(cmd: list[str], *, what: str, timeout_s: float) -> str:
    """Run ``cmd``, return its stdout, raise :class:`MlflowRunError` on failure."""
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout_s, env=mlflow_subprocess_env(), check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise MlflowRunError(f"{what} timed out after {timeout_s:.0f} s") from exc
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr)[-4000:]
        raise MlflowRunError(
            f"{what} failed (exit {proc.returncode})", returncode=proc.returncode, output=tail
        )
    return proc.stdout


def ensure_mlflow_venv(path: Path = DEFAULT_VENV, *, version: str = MLFLOW_VERSION) -> Path:
    """Create the MLflow venv at ``path`` once and return its interpreter.

    The venv is built with ``python -m venv`` and ``pip install mlflow==<version>
    psycopg2-binary``. A stamp file written after a successful install records the
    requirements; a later call with the same requirements returns at once, a call with
    different ones reinstalls into the same venv.

    Args:
        path: Directory of the venv (default ``benchmarks/.work/mlflow-venv``).
        version: Exact MLflow version to install.

    Returns:
        Path of the venv's ``python``.

    Raises:
        MlflowRunError: If creating the venv or installing the packages fails.
    """
    python = _venv_python(path)
    stamp = path / _STAMP_NAME
    wanted = {"requirements": _requirements(version)}
    if python.exists() and stamp.exists():
        try:
            if json.loads(stamp.read_text())["requirements"] == wanted["requirements"]:
                return python
        except (ValueError, KeyError):
            pass  # unreadable stamp: install again
    path.parent.mkdir(parents=True, exist_ok=True)
    if not python.exists():
        _run_checked([sys.executable, "-m", "venv", str(path)], what="python -m venv", timeout_s=300)
    _run_checked(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", *wanted["requirements"]],
        what=f"pip install {' '.join(wanted['requirements'])}",
        timeout_s=_PIP_TIMEOUT_S,
    )
    installed = _run_checked(
        [str(python), "-c", "import mlflow; print(mlflow.__version__)"], what="import mlflow", timeout_s=300
    ).strip()
    if installed != version:
        raise MlflowRunError(f"expected mlflow {version} in {path}, found {installed}")
    stamp.write_text(json.dumps({**wanted, "mlflow_version": installed}, indent=2) + "\n")
    return python


def run_mlflow(venv_python: Path, args: list[str], *, timeout_s: float | None = None) -> dict[str, Any]:
    """Run ``mlflow_runner.py`` with ``venv_python`` and return the JSON object it prints.

    The script's stderr (progress lines) is passed through to ours; its stdout must be
    exactly one JSON object.

    Args:
        venv_python: Interpreter returned by :func:`ensure_mlflow_venv`.
        args: Command-line arguments for the runner (``--backend-uri``, ``--n``, ...).
        timeout_s: Hard wall-clock limit for the whole subprocess; ``None`` relies on the
            runner's own per-benchmark ``--timeout-s`` caps.

    Returns:
        The decoded JSON result.

    Raises:
        MlflowRunError: If the script exits non-zero, times out or prints no valid JSON.
    """
    cmd = [str(venv_python), str(RUNNER_SCRIPT), *args]
    try:
        proc = subprocess.run(
            cmd,
            stdout=subprocess.PIPE,
            stderr=None,
            text=True,
            timeout=timeout_s,
            env=mlflow_subprocess_env(),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise MlflowRunError(f"mlflow runner timed out after {timeout_s} s") from exc
    if proc.returncode != 0:
        raise MlflowRunError(
            f"mlflow runner failed (exit {proc.returncode})",
            returncode=proc.returncode,
            output=proc.stdout[-4000:],
        )
    try:
        result = json.loads(proc.stdout)
    except ValueError as exc:
        raise MlflowRunError("mlflow runner printed no valid JSON", output=proc.stdout[-4000:]) from exc
    if not isinstance(result, dict):
        raise MlflowRunError("mlflow runner printed JSON that is not an object", output=proc.stdout[-4000:])
    return result
