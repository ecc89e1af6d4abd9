from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import Result

from mltrail.cli.output import format_time
from mltrail.store import Store

Invoke = Callable[..., Result]


def _created(url: str, name: str) -> str:
    with Store(url) as store:
        created = store.get_experiment(name).created_at
    assert created is not None
    return created.isoformat()


def test_list_table_hides_archived_experiments(invoke: Invoke, seeded: str) -> None:
    with Store(seeded) as store:
        created = store.get_experiment("fraud-detection").created_at
    assert created is not None

    result = invoke("experiments", "list")

    assert result.exit_code == 0
    assert result.stdout == (
        " name              trials   created_at             description\n"
        "───────────────────────────────────────────────────────────────\n"
        f" fraud-detection   3        {format_time(created)}\n"
    )


def test_list_all_table_shows_archived_column(invoke: Invoke, seeded: str) -> None:
    result = invoke("experiments", "list", "--all")

    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["name", "trials", "created_at", "description", "archived"]
    assert [line.split()[0] for line in lines[2:]] == ["churn", "fraud-detection"]
    assert [line.split()[-1] for line in lines[2:]] == ["true", "false"]


def test_list_json(invoke: Invoke, seeded: str) -> None:
    result = invoke("experiments", "list", "--all", "--format", "json")

    assert result.exit_code == 0
    assert json.loads(result.stdout) == [
        {
            "name": "churn",
            "trials": 1,
            "created_at": _created(seeded, "churn"),
            "description": None,
            "archived": True,
        },
        {
            "name": "fraud-detection",
            "trials": 3,
            "created_at": _created(seeded, "fraud-detection"),
            "description": None,
            "archived": False,
        },
    ]


def test_list_csv(invoke: Invoke, seeded: str) -> None:
    result = invoke("experiments", "list", "--format", "csv")

    assert result.exit_code == 0
    assert result.stdout == (
        f"name,trials,created_at,description\nfraud-detection,3,{_created(seeded, 'fraud-detection')},\n"
    )


def test_list_with_tags_and_description(invoke: Invoke, url: str) -> None:
    with Store(url) as store:
        store.create_experiment("a", description="first, try", tags={"team": "risk"})

    result = invoke("experiments", "list", "--format", "csv")

    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "name,trials,created_at,description,tags.team"
    assert result.stdout.splitlines()[1].endswith(",0," + _created(url, "a") + ',"first, try",risk')


def test_list_empty(invoke: Invoke, url: str) -> None:
    Store(url).close()

    table = invoke("experiments", "list")
    as_json = invoke("experiments", "list", "--format", "json")
    as_csv = invoke("experiments", "list", "--format", "csv")

    assert table.stdout == "no experiments found\n"
    assert as_json.stdout == "[]\n"
    assert as_csv.stdout == ""


def test_bad_format_is_a_usage_error(invoke: Invoke, seeded: str) -> None:
    result = invoke("experiments", "list", "--format", "xml")

    assert result.exit_code == 2
    assert "Invalid value for '--format'" in result.stderr
    assert result.stdout == ""
