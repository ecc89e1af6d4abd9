"""What Airflow's providers manager reads about mltrail (entry point ``apache_airflow_provider``).

Kept free of Airflow imports: the providers manager calls it while it discovers providers.
"""

from __future__ import annotations

from typing import Any

from mltrail.__about__ import __version__


def get_provider_info() -> dict[str, Any]:
    """The provider's name, connection type, operators, decorators and extra links."""
    return {
        "package-name": "mltrail",
        "name": "mltrail",
        "description": "Tracked operators that record experiments, trials and OpenLineage lineage.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "mltrail",
                "external-doc-url": "https://github.com/mltrail/mltrail/blob/main/docs/airflow.md",
                "tags": ["software"],
            }
        ],
        "operators": [{"integration-name": "mltrail", "python-modules": ["mltrail.airflow.operators"]}],
        "hooks": [{"integration-name": "mltrail", "python-modules": ["mltrail.airflow.hooks"]}],
        "sensors": [{"integration-name": "mltrail", "python-modules": ["mltrail.airflow.sensors"]}],
        "triggers": [{"integration-name": "mltrail", "python-modules": ["mltrail.airflow.triggers"]}],
        "connection-types": [
            {"hook-class-name": "mltrail.airflow.hooks.MltrailHook", "connection-type": "mltrail"}
        ],
        "task-decorators": [
            {"name": "mltrail_training", "class-name": "mltrail.airflow.decorators.training_task"},
            {"name": "mltrail_processing", "class-name": "mltrail.airflow.decorators.processing_task"},
            {"name": "mltrail_evaluation", "class-name": "mltrail.airflow.decorators.evaluation_task"},
        ],
        "extra-links": ["mltrail.airflow.links.MltrailTrialLink"],
    }
