from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

import mltrail
from mltrail.cli import exit_code_for
from mltrail.core.errors import (
    ConfigError,
    ConflictError,
    MltrailError,
    NotFoundError,
    QuerySyntaxError,
    StoreError,
    ValidationError,
)
from mltrail.store import Store

Invoke = Callable[..., Result]


def test_version(invoke: Invoke) -> None:
    result = invoke("--version")

    assert result.exit_code == 0
    assert result.stdout == f"mltrail {mltrail.__version__}\n"


def test_help_lists_the_commands_and_the_env_var(invoke: Invoke) -> None:
    result = invoke("--help", tracking_uri=None)

    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "--tracking-uri URL" in text
    assert "[env var: MLTRAIL_TRACKING_URI]" in text
    for command in ("db", "experiments", "runs", "trials"):
        assert f"\n  {command} " in result.stdout


def test_help_does_not_import_the_store() -> None:
    code = (
        "import sys\n"
        "from mltrail.cli import mltrail\n"
        "try:\n"
        "    mltrail.main(['--help'], prog_name='mltrail')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('sqlalchemy', 'alembic', 'rich', 'mltrail.store') if m in sys.modules]\n"
        "print('heavy:', heavy, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert "heavy: []" in done.stderr


def test_tracking_uri_from_the_environment(invoke: Invoke, seeded: str) -> None:
    result = invoke(
        "experiments", "list", "--format", "csv", env={"MLTRAIL_TRACKING_URI": seeded}, tracking_uri=None
    )

    assert result.exit_code == 0
    assert result.stdout.splitlines()[1].startswith("fraud-detection,3,")


def test_tracking_uri_from_mltrail_yml_in_the_working_folder(
    invoke: Invoke, seeded: str, tmp_path: Path
) -> None:
    (tmp_path / "mltrail.yml").write_text(f"tracking_uri: {seeded}\n", encoding="utf-8")

    result = invoke("experiments", "list", "--format", "csv", tracking_uri=None)

    assert result.exit_code == 0
    assert result.stdout.splitlines()[1].startswith("fraud-detection,3,")


def test_option_wins_over_the_environment(invoke: Invoke, seeded: str, tmp_path: Path) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"

    result = invoke("experiments", "list", "--format", "csv", env={"MLTRAIL_TRACKING_URI": other})

    assert result.exit_code == 0
    assert "fraud-detection" in result.stdout


def test_empty_env_var_is_a_config_error_naming_the_variable(invoke: Invoke) -> None:
    result = invoke("experiments", "list", env={"MLTRAIL_TRACKING_URI": ""}, tracking_uri=None)

    assert result.exit_code == 2
    assert result.stderr == "error: tracking_uri must not be empty (from env MLTRAIL_TRACKING_URI)\n"
    assert result.stdout == ""


def test_unsupported_backend_is_a_config_error(invoke: Invoke) -> None:
    result = invoke("experiments", "list", tracking_uri="mysql://db/x")

    assert result.exit_code == 2
    assert result.stderr.startswith("error: unsupported database backend 'mysql'")


def test_unmigrated_database_is_a_store_error_that_says_what_to_run(invoke: Invoke) -> None:
    result = invoke("experiments", "list")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: the database at ")
    assert result.stderr.endswith("run `mltrail db upgrade`\n")


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ValidationError("bad", field="x"), 2),
        (QuerySyntaxError("bad", text="a", position=0), 2),
        (NotFoundError("run", "x"), 2),
        (ConfigError("bad", key="x"), 2),
        (ConflictError("bad", kind="run", id="x"), 2),
        (StoreError("down"), 1),
        (MltrailError("other"), 1),
    ],
)
def test_exit_code_for(error: MltrailError, code: int) -> None:
    assert exit_code_for(error) == code


def test_store_error_exits_1(invoke: Invoke, seeded: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise StoreError("database error: disk I/O error")

    monkeypatch.setattr(Store, "list_experiments", fail)

    result = invoke("experiments", "list")

    assert result.exit_code == 1
    assert result.stderr == "error: database error: disk I/O error\n"


def test_ctrl_c_exits_130(invoke: Invoke, seeded: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Store, "list_experiments", interrupt)

    result = invoke("experiments", "list")

    assert result.exit_code == 130
    assert "Traceback" not in result.output


def test_unknown_command_is_a_usage_error(invoke: Invoke) -> None:
    result = invoke("experiment")

    assert result.exit_code == 2
    assert "No such command 'experiment'" in result.stderr


def test_console_script_runs_main(seeded: str) -> None:
    script = Path(sys.executable).with_name("mltrail")
    if not script.exists():
        pytest.skip("the mltrail console script is not installed next to this interpreter")

    done = subprocess.run(
        [str(script), "--tracking-uri", seeded, "trials", "search", "nope"], capture_output=True, text=True
    )

    assert done.returncode == 2
    assert done.stderr.startswith("error: experiment 'nope' not found")
