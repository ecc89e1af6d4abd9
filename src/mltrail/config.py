"""Settings, resolved in one place from arguments, environment, config file and defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from mltrail.core.errors import ConfigError

DEFAULT_TRACKING_URI = "sqlite:///.mltrail/mltrail.db"
DEFAULT_ARTIFACT_ROOT = ".mltrail/artifacts"
CONFIG_FILE_NAME = "mltrail.yml"
ENV_PREFIX = "MLTRAIL_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True, slots=True)
class Settings:
    """What mltrail needs to know to track; see :func:`resolve_settings` for where values come from.

    Attributes:
        tracking_uri: Database URL (``sqlite:///…``, ``postgresql+psycopg://…``). [env MLTRAIL_TRACKING_URI]
        artifact_root: Folder (or ``file://`` URI) that logged artifacts are copied to.
            [env MLTRAIL_ARTIFACT_ROOT]
        strict: Raise tracking failures instead of logging them. [env MLTRAIL_STRICT]
        instance_type: Machine type to record, e.g. ``ml.m5.xlarge``. [env MLTRAIL_INSTANCE_TYPE]
        cloud_metadata: Ask the cloud's metadata service for the instance type when the machine
            says it is a cloud VM (0.3 s timeout). [env MLTRAIL_CLOUD_METADATA]
        capture_code: Record the git commit, branch and entry point. [env MLTRAIL_CAPTURE_CODE]
        metric_batch_size: Metric points buffered per run before a write. [env MLTRAIL_METRIC_BATCH_SIZE]
    """

    tracking_uri: str = DEFAULT_TRACKING_URI
    artifact_root: str = DEFAULT_ARTIFACT_ROOT
    strict: bool = False
    instance_type: str | None = None
    cloud_metadata: bool = True
    capture_code: bool = True
    metric_batch_size: int = 5000


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

    This is the only function in mltrail that reads the environment or the config file.

    Raises:
        ConfigError: Naming the setting, the value and its source when a value is unusable.
    """
    env = os.environ if environ is None else environ
    file_values, file_source = _read_config_file(env, cwd or Path.cwd())
    values: dict[str, Any] = {}
    for field in fields(Settings):
        name = field.name
        env_name = f"{ENV_PREFIX}{name.upper()}"
        if overrides and overrides.get(name) is not None:
            raw, source = overrides[name], "argument"
        elif env_name in env:
            raw, source = env[env_name], f"env {env_name}"
        elif name in file_values:
            raw, source = file_values[name], file_source
        else:
            continue
        values[name] = _coerce(name, raw, field.type, source)
    unknown = set(file_values) - {f.name for f in fields(Settings)}
    if unknown:
        key = sorted(unknown)[0]
        raise ConfigError(f"unknown setting {key!r}", key=key, value=file_values[key], source=file_source)
    return Settings(**values)


def _read_config_file(env: Mapping[str, str], cwd: Path) -> tuple[dict[str, Any], str]:
    explicit = env.get(f"{ENV_PREFIX}CONFIG")
    candidates = (
        [Path(explicit)]
        if explicit
        else [cwd / CONFIG_FILE_NAME, Path.home() / ".mltrail" / CONFIG_FILE_NAME]
    )
    for path in candidates:
        if not path.is_file():
            if explicit:
                raise ConfigError(
                    "config file not found", key="config", value=explicit, source=f"env {ENV_PREFIX}CONFIG"
                )
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read config file: {exc}", key="config", value=str(path)) from exc
        if not isinstance(data, dict):
            raise ConfigError("config file must hold a mapping of settings", key="config", value=str(path))
        return data, str(path)
    return {}, ""


def _coerce(name: str, raw: Any, annotation: Any, source: str) -> Any:
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
