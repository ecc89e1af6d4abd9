"""Settings, resolved in one place from arguments, environment, config file and defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from mltrail.core.errors import ConfigError

DEFAULT_TRACKING_URI = "sqlite:///.mltrail/mltrail.db"
DEFAULT_ARTIFACT_ROOT = ".mltrail/artifacts"
DEFAULT_SPOOL_DIR = ".mltrail/spool"
DEFAULT_SPOOL_MAX_BYTES = 100 * 1024 * 1024
MIN_SPOOL_MAX_BYTES = 64 * 1024
CONFIG_FILE_NAME = "mltrail.yml"
ENV_PREFIX = "MLTRAIL_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1000, "kib": 1024, "m": 1024**2, "mb": 1000**2, "mib": 1024**2}
_SIZE_UNITS |= {"g": 1024**3, "gb": 1000**3, "gib": 1024**3}
_URL_SETTINGS = frozenset({"airflow_url", "kfp_url"})
"""Settings that hold the base URL of a web UI: ``http(s)://`` only, since pages link to them."""


@dataclass(frozen=True, slots=True)
class Settings:
    """What mltrail needs to know to track; see :func:`resolve_settings` for where values come from.

    Attributes:
        tracking_uri: Database URL (``sqlite:///…``, ``postgresql+psycopg://…``) or the URL of an
            ``mltrail server`` (``http://host:5000``). [env MLTRAIL_TRACKING_URI]
        tracking_token: API token for an ``mltrail server`` that requires one; never shown in
            ``repr``. [env MLTRAIL_TRACKING_TOKEN]
        artifact_root: Where logged artifacts go: a folder (or ``file://`` URI), an ``s3://bucket/prefix``
            root, or an ``mltrail server``'s artifact URL (the default with a server as tracking
            URI). [env MLTRAIL_ARTIFACT_ROOT]
        strict: Raise tracking failures instead of logging them. [env MLTRAIL_STRICT]
        instance_type: Machine type to record, e.g. ``ml.m5.xlarge``. [env MLTRAIL_INSTANCE_TYPE]
        cloud_metadata: Ask the cloud's metadata service for the instance type when the machine
            says it is a cloud VM (0.3 s timeout). [env MLTRAIL_CLOUD_METADATA]
        capture_code: Record the git commit, branch and entry point. [env MLTRAIL_CAPTURE_CODE]
        metric_batch_size: Metric points buffered per run before a write. [env MLTRAIL_METRIC_BATCH_SIZE]
        flush_interval: Seconds after which a run's buffer is written at the next logging call.
            [env MLTRAIL_FLUSH_INTERVAL]
        spool_dir: Folder of the spool that keeps OpenLineage events a destination could not take,
            relative to the working directory unless absolute. [env MLTRAIL_SPOOL_DIR]
        spool_max_bytes: Most bytes of events the spool keeps; when full, the oldest are dropped.
            A number of bytes or a size such as ``100MiB``, ``500MB``, ``1G``. [env MLTRAIL_SPOOL_MAX_BYTES]
        serving_dir: Folder of the ``local`` deployment target's endpoints (``mltrail serve``).
            [env MLTRAIL_SERVING_DIR]
        backend_timeout: Seconds a run waits, at its start, for an ``mltrail server`` to answer
            before it goes on without it (its records then wait in the spool).
            [env MLTRAIL_BACKEND_TIMEOUT]
        require_auth_for_reads: The server asks for a reader token on reads too (once any token
            exists; writes always need a writer token then). [env MLTRAIL_REQUIRE_AUTH_FOR_READS]
        airflow_url: Base URL of the Airflow 3 web server whose DAGs the runs come from, e.g.
            ``https://airflow.example.com``; the web UI links each Airflow task run back to it.
            [env MLTRAIL_AIRFLOW_URL]
        kfp_url: Base URL of the Kubeflow Pipelines UI the runs come from, e.g.
            ``https://kubeflow.example.com/pipeline``; the web UI links each KFP run back to it.
            [env MLTRAIL_KFP_URL]
    """

    tracking_uri: str = DEFAULT_TRACKING_URI
    tracking_token: str | None = field(default=None, repr=False)
    artifact_root: str = DEFAULT_ARTIFACT_ROOT
    strict: bool = False
    instance_type: str | None = None
    cloud_metadata: bool = True
    capture_code: bool = True
    metric_batch_size: int = 5000
    flush_interval: float = 5.0
    spool_dir: str = DEFAULT_SPOOL_DIR
    spool_max_bytes: int = DEFAULT_SPOOL_MAX_BYTES
    serving_dir: str = ".mltrail/endpoints"
    backend_timeout: float = 5.0
    require_auth_for_reads: bool = False
    airflow_url: str | None = None
    kfp_url: str | None = None


def resolve_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Return the settings in force.

    Each setting takes the first value found, in this order:

    1. ``overrides`` (explicit arguments, e.g. from :func:`mltrail.set_tracking_uri`);
    2. the environment variable ``MLTRAIL_<NAME>`` (``MLTRAIL_TRACKING_URI``…);
    3. the config file: ``$MLTRAIL_CONFIG``, else ``./mltrail.yml``, else ``~/.mltrail/mltrail.yml``;
    4. the default.

    This is the only function in mltrail that reads the environment or the config file. The
    result is cached for the same overrides, ``MLTRAIL_*`` variables, folder and config file
    (path and modification time), since the SDK asks for it at every run.

    Raises:
        ConfigError: Naming the setting, the value and its source when a value is unusable.
    """
    env = os.environ if environ is None else environ
    ours = tuple(sorted((k, v) for k, v in env.items() if k.startswith(ENV_PREFIX)))
    folder = cwd or Path.cwd()
    path = _config_path(dict(ours), folder)
    stamp = path.stat().st_mtime_ns if path is not None else None
    given = tuple(sorted((k, v) for k, v in (overrides or {}).items() if v is not None))
    return _resolve(given, ours, path, stamp)


@lru_cache(maxsize=64)
def _resolve(
    overrides: tuple[tuple[str, Any], ...],
    env: tuple[tuple[str, str], ...],
    path: Path | None,
    _stamp: int | None,
) -> Settings:
    explicit = dict(overrides)
    environment = dict(env)
    file_values, file_source = _read_config_file(path) if path is not None else ({}, "")
    values: dict[str, Any] = {}
    for setting in fields(Settings):
        name = setting.name
        env_name = f"{ENV_PREFIX}{name.upper()}"
        if name in explicit:
            raw, source = explicit[name], "argument"
        elif env_name in environment:
            raw, source = environment[env_name], f"env {env_name}"
        elif name in file_values:
            raw, source = file_values[name], file_source
        else:
            continue
        values[name] = _coerce(name, raw, setting.type, source)
    unknown = set(file_values) - {f.name for f in fields(Settings)}
    if unknown:
        key = sorted(unknown)[0]
        raise ConfigError(f"unknown setting {key!r}", key=key, value=file_values[key], source=file_source)
    return Settings(**values)


def _config_path(env: Mapping[str, str], cwd: Path) -> Path | None:
    explicit = env.get(f"{ENV_PREFIX}CONFIG")
    if explicit:
        if not Path(explicit).is_file():
            raise ConfigError(
                "config file not found", key="config", value=explicit, source=f"env {ENV_PREFIX}CONFIG"
            )
        return Path(explicit)
    for candidate in (cwd / CONFIG_FILE_NAME, Path.home() / ".mltrail" / CONFIG_FILE_NAME):
        if candidate.is_file():
            return candidate
    return None


def _read_config_file(path: Path) -> tuple[dict[str, Any], str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read config file: {exc}", key="config", value=str(path)) from exc
    if not isinstance(data, dict):
        raise ConfigError("config file must hold a mapping of settings", key="config", value=str(path))
    return data, str(path)


def _coerce(name: str, raw: Any, annotation: Any, source: str) -> Any:
    if name == "spool_max_bytes":
        return _coerce_size(name, raw, source)
    if name in _URL_SETTINGS:
        return _coerce_url(name, raw, source)
    text = str(annotation)
    if "bool" in text:
        if isinstance(raw, bool):
            return raw
        lowered = str(raw).strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ConfigError(f"{name} must be true or false, got {raw!r}", key=name, value=raw, source=source)
    if text == "float":
        try:
            real = float(raw)
        except (TypeError, ValueError):
            real = -1.0
        if not real >= 0:
            raise ConfigError(
                f"{name} must be a number of seconds, got {raw!r}", key=name, value=raw, source=source
            )
        return real
    if "int" in text:
        try:
            number = int(raw)
        except (TypeError, ValueError):
            number = 0
        if number < 1:
            raise ConfigError(
                f"{name} must be a positive integer, got {raw!r}", key=name, value=raw, source=source
            )
        return number
    value = str(raw).strip()
    if not value and "None" not in text:
        raise ConfigError(f"{name} must not be empty", key=name, value=raw, source=source)
    return value or None


def _coerce_url(name: str, raw: Any, source: str) -> str | None:
    """Return a web UI's base URL without its trailing ``/``, or ``None`` for an empty value."""
    text = str(raw).strip().rstrip("/")
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(
            f"{name} must be an http:// or https:// base URL, got {raw!r}", key=name, value=raw, source=source
        )
    return text


def _coerce_size(name: str, raw: Any, source: str) -> int:
    """Return a byte count from an integer or a size with a unit (``100MiB``, ``500MB``, ``1g``)."""
    text = str(raw).strip().lower().replace(" ", "").replace("_", "")
    digits = text.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = text[len(digits) :]
    try:
        number = float(digits) * _SIZE_UNITS[unit] if not isinstance(raw, bool) else -1.0
    except (KeyError, ValueError):
        raise ConfigError(
            f"{name} must be a number of bytes or a size such as 100MiB, got {raw!r}",
            key=name,
            value=raw,
            source=source,
        ) from None
    if not number >= MIN_SPOOL_MAX_BYTES:
        raise ConfigError(
            f"{name} must be at least {MIN_SPOOL_MAX_BYTES} bytes (64KiB), got {raw!r}",
            key=name,
            value=raw,
            source=source,
        )
    return int(number)
