from __future__ import annotations

from pathlib import Path

import pytest

from mltrail.config import DEFAULT_TRACKING_URI, resolve_settings
from mltrail.core.errors import ConfigError


def test_default(tmp_path: Path) -> None:
    settings = resolve_settings(environ={}, cwd=tmp_path)
    assert settings.tracking_uri == DEFAULT_TRACKING_URI
    assert settings.strict is False


def test_config_file_in_cwd(tmp_path: Path) -> None:
    (tmp_path / "mltrail.yml").write_text("tracking_uri: sqlite:///from-file.db\nstrict: true\n")
    settings = resolve_settings(environ={}, cwd=tmp_path)
    assert settings.tracking_uri == "sqlite:///from-file.db"
    assert settings.strict is True


def test_env_beats_file(tmp_path: Path) -> None:
    (tmp_path / "mltrail.yml").write_text("tracking_uri: sqlite:///from-file.db\n")
    settings = resolve_settings(environ={"MLTRAIL_TRACKING_URI": "sqlite:///from-env.db"}, cwd=tmp_path)
    assert settings.tracking_uri == "sqlite:///from-env.db"


def test_argument_beats_env(tmp_path: Path) -> None:
    settings = resolve_settings(
        {"tracking_uri": "sqlite:///arg.db"},
        environ={"MLTRAIL_TRACKING_URI": "sqlite:///env.db"},
        cwd=tmp_path,
    )
    assert settings.tracking_uri == "sqlite:///arg.db"


def test_explicit_config_path(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.yml"
    path.write_text("metric_batch_size: 50\n")
    settings = resolve_settings(environ={"MLTRAIL_CONFIG": str(path)}, cwd=tmp_path / "nowhere")
    assert settings.metric_batch_size == 50


def test_missing_explicit_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found") as raised:
        resolve_settings(environ={"MLTRAIL_CONFIG": str(tmp_path / "missing.yml")}, cwd=tmp_path)
    assert raised.value.source == "env MLTRAIL_CONFIG"


@pytest.mark.parametrize(
    ("environ", "key"),
    [
        ({"MLTRAIL_STRICT": "maybe"}, "strict"),
        ({"MLTRAIL_METRIC_BATCH_SIZE": "0"}, "metric_batch_size"),
        ({"MLTRAIL_TRACKING_URI": "  "}, "tracking_uri"),
    ],
)
def test_bad_values_name_setting_and_source(tmp_path: Path, environ: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        resolve_settings(environ=environ, cwd=tmp_path)
    assert raised.value.key == key
    assert raised.value.source == f"env MLTRAIL_{key.upper()}"


def test_unknown_setting_in_file(tmp_path: Path) -> None:
    (tmp_path / "mltrail.yml").write_text("tracking_url: typo\n")
    with pytest.raises(ConfigError, match="unknown setting 'tracking_url'"):
        resolve_settings(environ={}, cwd=tmp_path)
