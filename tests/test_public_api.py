from __future__ import annotations

import subprocess
import sys
import types

import mltrail


def test_all_matches_the_exports() -> None:
    exported = {
        name
        for name in dir(mltrail)
        if not name.startswith("_") and not isinstance(getattr(mltrail, name), types.ModuleType)
    } - {"annotations"}
    assert set(mltrail.__all__) - {"__version__"} == exported
    assert mltrail.__all__ == sorted(mltrail.__all__)


def test_import_pulls_in_no_optional_integration() -> None:
    code = (
        "import sys, mltrail; "
        "print(','.join(m for m in ('airflow', 'kfp', 'fastapi', 'boto3', 'pandas') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_lineage_registry_and_deploy_are_submodules() -> None:
    assert callable(mltrail.lineage.query)
    assert "query" in mltrail.lineage.__all__
    assert callable(mltrail.registry.register_model) and callable(mltrail.deploy.deploy)


def test_import_loads_no_openlineage_client_or_schemas() -> None:
    code = (
        "import sys, mltrail; "
        "print(','.join(m for m in ('openlineage.client', 'jsonschema', 'requests') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
