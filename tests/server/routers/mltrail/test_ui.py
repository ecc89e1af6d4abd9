"""The web UI's settings route and the two settings it serves: the orchestrators' UIs to link to."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from live_server import live_server, wait_for_auth

from mltrail.config import resolve_settings
from mltrail.core.errors import ConfigError
from mltrail.store import Store

CONFIG = "/api/mltrail/v1/ui/config"
WHOAMI = "/api/mltrail/v1/ui/whoami"


def test_ui_config_serves_the_orchestrator_urls_the_server_was_given(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'ui.db'}"
    with live_server(
        database, airflow_url="https://airflow.example.com", kfp_url="http://kfp:8080/pipeline"
    ) as url:
        assert requests.get(url + CONFIG, timeout=10).json() == {
            "airflow_url": "https://airflow.example.com",
            "kfp_url": "http://kfp:8080/pipeline",
        }
    with live_server(database) as url:
        assert requests.get(url + CONFIG, timeout=10).json() == {"airflow_url": None, "kfp_url": None}


def test_orchestrator_urls_come_from_the_environment_without_a_trailing_slash(tmp_path: Path) -> None:
    environ = {"MLTRAIL_AIRFLOW_URL": "https://airflow.example.com/", "MLTRAIL_KFP_URL": " "}
    settings = resolve_settings(environ=environ, cwd=tmp_path)
    assert (settings.airflow_url, settings.kfp_url) == ("https://airflow.example.com", None)
    assert resolve_settings({"kfp_url": "http://kfp/pipeline"}, environ={}, cwd=tmp_path).kfp_url == (
        "http://kfp/pipeline"
    )


@pytest.mark.parametrize("value", ["javascript:alert(1)", "airflow.example.com", "https://", "http://a/?x=1"])
def test_an_orchestrator_url_must_be_a_plain_http_url(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="must be an http:// or https:// base URL") as raised:
        resolve_settings(environ={"MLTRAIL_AIRFLOW_URL": value}, cwd=tmp_path)
    assert (raised.value.key, raised.value.value, raised.value.source) == (
        "airflow_url",
        value,
        "env MLTRAIL_AIRFLOW_URL",
    )


def test_whoami_names_a_valid_token_and_refuses_a_bad_one_even_with_reads_open(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'who.db'}"
    with live_server(database) as url:
        assert requests.get(url + WHOAMI, timeout=10).json() == {
            "name": None,
            "role": None,
            "tokens_required": False,
        }
        with Store(database) as store:
            _, token = store.tokens.create("release-manager", "approver")
        wait_for_auth(url)
        answer = requests.get(url + WHOAMI, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert answer.json() == {"name": "release-manager", "role": "approver", "tokens_required": True}
        refused = requests.get(url + WHOAMI, headers={"Authorization": f"Bearer {token}x"}, timeout=10)
        assert refused.status_code == 401 and "invalid" in refused.json()["message"]
        assert requests.get(url + WHOAMI, timeout=10).json()["name"] is None  # reads stay open
