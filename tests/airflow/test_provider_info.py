"""The provider's metadata matches Airflow's schema, and Airflow finds the provider and the plugin."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema

from mltrail.airflow import get_provider_info


def test_provider_info_is_valid_for_airflow() -> None:
    schema = json.loads(resources.files("airflow").joinpath("provider_info.schema.json").read_text())
    info = get_provider_info()
    jsonschema.validate(info, schema)
    assert info["connection-types"] == [
        {"hook-class-name": "mltrail.airflow.hooks.MltrailHook", "connection-type": "mltrail"}
    ]


def test_airflow_discovers_the_provider_hook_and_plugin() -> None:
    from airflow import plugins_manager
    from airflow.providers_manager import ProvidersManager
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    manager = ProvidersManager()
    assert "mltrail" in manager.providers
    assert "mltrail" in ProvidersManagerTaskRuntime().hooks
    assert "mltrail.airflow.links.MltrailTrialLink" in manager.extra_links_class_names
    plugins = {info["name"]: info for info in plugins_manager.get_plugin_info()}
    assert "mltrail" in plugins, plugins_manager.get_import_errors()
    assert {"lineage_run_id", "lineage_parent"} <= {
        m.rsplit(".", 1)[-1] for m in plugins["mltrail"]["macros"]
    }
    assert {type(link).__name__ for link in plugins_manager.get_operator_extra_links()} >= {
        "MltrailTrialLink"
    }


def test_the_decorators_are_registered_on_task() -> None:
    from airflow.sdk import task

    from mltrail.airflow.decorators import evaluation_task, processing_task, training_task

    assert task.mltrail_training is training_task
    assert task.mltrail_processing is processing_task
    assert task.mltrail_evaluation is evaluation_task
