"""``mltrail models``: versions, a version and its trail, approvals, the latest approved, aliases."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable, Iterator

import pytest
from click.testing import Result
from live_server import live_server

import mltrail
from mltrail.store import Store
from mltrail.tracking import api

Invoke = Callable[..., Result]
T0 = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC, as in conftest
MINUTE = 60_000
RUN_2, RUN_3 = uuid.UUID(int=2), uuid.UUID(int=3)  # the seeded lr-0.1 and lr-1 runs
RULE = "─"


@pytest.fixture
def registered(seeded: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Register three versions of ``fraud`` through the SDK, a minute apart from T0, by ``ana``.

    ======= ================== ===================== ==================
    version source run         metrics               tags
    ======= ================== ===================== ==================
    1       lr-0.1 (run 2)     loss 0.2, val_auc 0.93
    2       lr-1 (run 3)       loss 0.9, val_auc 0.7  stage=candidate
    3       none
    ======= ================== ===================== ==================

    Every later registry write (approvals, aliases) happens a minute after the one before.
    """
    clock = itertools.count(T0, MINUTE)
    monkeypatch.setattr("mltrail.store.registry._now", lambda: next(clock))
    monkeypatch.setenv("LOGNAME", "ana")
    monkeypatch.setenv("MLTRAIL_CAPTURE_CODE", "false")
    mltrail.set_tracking_uri(seeded)
    try:
        mltrail.registry.register_model("fraud", "s3://models/lr-0.1.pkl", source_run_id=RUN_2)
        mltrail.registry.register_model(
            "fraud", "s3://models/lr-1.pkl", source_run_id=RUN_3, tags={"stage": "candidate"}
        )
        mltrail.registry.register_model("fraud", "s3://models/manual.pkl", description="hand-trained")
    finally:
        api.reset()
    yield seeded


def test_versions_are_listed_newest_first(invoke: Invoke, registered: str) -> None:
    result = invoke("models", "versions", "fraud")
    assert result.exit_code == 0, result.output
    assert result.output == (
        " version   status                  created                run                                    "
        "experiment        trials   aliases   metrics\n"
        f"{RULE * 157}\n"
        " 3         PendingManualApproval   2023-11-14 22:15:20Z\n"
        " 2         PendingManualApproval   2023-11-14 22:14:20Z   00000000-0000-0000-0000-000000000003   "
        "fraud-detection   lr-1               loss=0.9, val_auc=0.7\n"
        " 1         PendingManualApproval   2023-11-14 22:13:20Z   00000000-0000-0000-0000-000000000002   "
        "fraud-detection   lr-0.1             loss=0.2, val_auc=0.93\n"
    )


def test_versions_as_json_and_csv_carry_every_field(invoke: Invoke, registered: str) -> None:
    listed = json.loads(invoke("models", "versions", "fraud", "--format", "json").output)
    assert [item["version"] for item in listed] == [3, 2, 1]
    assert listed[1] == {
        "model": "fraud",
        "version": 2,
        "uri": "mltrail://models/fraud/versions/2",
        "source_uri": "s3://models/lr-1.pkl",
        "status": "PendingManualApproval",
        "created_at": "2023-11-14T22:14:20+00:00",
        "updated_at": "2023-11-14T22:14:20+00:00",
        "run_id": str(RUN_3),
        "experiment": "fraud-detection",
        "trials": ["lr-1"],
        "description": None,
        "tags": {"stage": "candidate"},
        "metrics": {"loss": 0.9, "val_auc": 0.7},
        "history": [
            {
                "from_status": None,
                "to_status": "PendingManualApproval",
                "actor": "ana",
                "at": "2023-11-14T22:14:20+00:00",
                "reason": "registered",
            }
        ],
        "aliases": [],
    }

    lines = invoke("models", "versions", "fraud", "--format", "csv").output.splitlines()
    assert lines[0] == (
        "version,status,created,run,experiment,trials,aliases,updated,source_uri,description,"
        "metrics.loss,metrics.val_auc,tags.stage"
    )
    assert lines[1].startswith("3,PendingManualApproval,2023-11-14T22:15:20+00:00,,,,,")
    assert lines[1].endswith(",s3://models/manual.pkl,hand-trained,,,")


def test_approve_and_reject_print_the_audit_trail(invoke: Invoke, registered: str) -> None:
    approved = invoke("models", "approve", "fraud", "1", "--reason", "beats champion")
    assert approved.exit_code == 0, approved.output
    assert approved.output == (
        "fraud version 1 is now Approved\n"
        "Approval trail\n"
        " from                    to                      actor   at                     reason\n"
        f"{RULE * 95}\n"
        "                         PendingManualApproval   ana     2023-11-14 22:13:20Z   registered\n"
        " PendingManualApproval   Approved                ana     2023-11-14 22:16:20Z   beats champion\n"
    )

    rejected = invoke("models", "reject", "fraud", "1", "--reason", "drift", "--format", "json")
    assert rejected.exit_code == 0, rejected.output
    body = json.loads(rejected.output)
    assert body["status"] == "Rejected"
    assert [(c["from_status"], c["to_status"], c["reason"]) for c in body["history"]] == [
        (None, "PendingManualApproval", "registered"),
        ("PendingManualApproval", "Approved", "beats champion"),
        ("Approved", "Rejected", "drift"),
    ]

    assert invoke("models", "reject", "fraud", "2").exit_code == 2  # --reason is required


def test_an_illegal_transition_is_refused_and_writes_nothing(invoke: Invoke, registered: str) -> None:
    assert invoke("models", "approve", "fraud", "1", "--reason", "ok").exit_code == 0

    again = invoke("models", "approve", "fraud", "1", "--reason", "twice")
    refused = "error: an approval status cannot go from Approved to Approved\n"
    assert (again.exit_code, again.output) == (2, refused)
    with Store(registered) as store:
        assert [c.reason for c in store.registry.get("fraud", 1).history] == ["registered", "ok"]


def test_show_by_number_or_alias(invoke: Invoke, registered: str) -> None:
    invoke("models", "approve", "fraud", "2", "--reason", "fine")
    aliased = invoke("models", "alias", "fraud", "champion", "2")
    assert (aliased.exit_code, aliased.output) == (0, "fraud@champion -> version 2 (Approved)\n")

    shown = invoke("models", "show", "fraud@champion")
    assert shown.exit_code == 0, shown.output
    assert shown.output == (
        "model       fraud\n"
        "version     2\n"
        "status      Approved\n"
        "aliases     champion\n"
        "source      s3://models/lr-1.pkl\n"
        "lineage     mltrail://models/fraud/versions/2\n"
        "run         00000000-0000-0000-0000-000000000003\n"
        "experiment  fraud-detection\n"
        "trials      lr-1\n"
        "created     2023-11-14 22:14:20Z\n"
        "updated     2023-11-14 22:16:20Z\n"
        "\n"
        "Metrics\n"
        " key       value\n"
        f"{RULE * 17}\n"
        " loss      0.9\n"
        " val_auc   0.7\n"
        "\n"
        "Tags\n"
        " key     value\n"
        f"{RULE * 19}\n"
        " stage   candidate\n"
        "\n"
        "Approval trail\n"
        " from                    to                      actor   at                     reason\n"
        f"{RULE * 91}\n"
        "                         PendingManualApproval   ana     2023-11-14 22:14:20Z   registered\n"
        " PendingManualApproval   Approved                ana     2023-11-14 22:16:20Z   fine\n"
    )
    by_number = invoke("models", "show", "fraud", "2", "--format", "json").output
    assert by_number == invoke("models", "show", "fraud@champion", "--format", "json").output
    assert json.loads(by_number)["aliases"] == ["champion"]


def test_latest_is_the_newest_approved_version(invoke: Invoke, registered: str) -> None:
    none = invoke("models", "latest", "fraud")
    assert (none.exit_code, none.output) == (2, "error: approved version of model 'fraud' not found\n")

    invoke("models", "approve", "fraud", "1", "--reason", "ok")
    invoke("models", "approve", "fraud", "2", "--reason", "ok")
    invoke("models", "reject", "fraud", "2", "--reason", "drift")
    latest = invoke("models", "latest", "fraud", "--format", "json")
    assert latest.exit_code == 0, latest.output
    assert json.loads(latest.output)["version"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("versions", "nope"), "error: model 'nope' not found\n"),
        (("show", "fraud", "9"), "error: model version 'fraud/9' not found\n"),
        (("show", "nope", "1"), "error: model version 'nope/1' not found\n"),
        (("show", "fraud@nope"), "error: alias 'fraud@nope' not found\n"),
        (("approve", "fraud", "9", "--reason", "x"), "error: model version 'fraud/9' not found\n"),
        (("alias", "fraud", "champion", "9"), "error: model version 'fraud/9' not found\n"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else "",
)
def test_unknown_models_versions_and_aliases_are_named(
    invoke: Invoke, registered: str, args: tuple[str, ...], message: str
) -> None:
    result = invoke("models", *args)
    assert (result.exit_code, result.output) == (2, message)


def test_bad_arguments_are_usage_errors(invoke: Invoke, registered: str) -> None:
    no_version = invoke("models", "show", "fraud")
    assert (
        no_version.exit_code == 2 and "give a VERSION, or name the version MODEL@ALIAS" in no_version.output
    )
    zero = invoke("models", "approve", "fraud", "0", "--reason", "x")
    assert zero.exit_code == 2 and "VERSION" in zero.output


def test_the_commands_work_against_a_server(invoke: Invoke, registered: str) -> None:
    with live_server(registered) as url:
        approved = invoke("models", "approve", "fraud", "1", "--reason", "beats champion", tracking_uri=url)
        assert approved.exit_code == 0, approved.output
        assert approved.output.startswith("fraud version 1 is now Approved\n")
        listed = invoke("models", "list", "--format", "json", tracking_uri=url)
    assert listed.exit_code == 0, listed.output
    (model,) = json.loads(listed.output)
    assert (model["name"], model["versions"], model["latest_status"], model["latest_approved"]) == (
        "fraud",
        3,
        "PendingManualApproval",
        1,
    )
    with Store(registered) as store:
        assert store.registry.get("fraud", 1).history[-1].reason == "beats champion"


def test_models_are_listed_with_their_latest_versions(invoke: Invoke, registered: str) -> None:
    result = invoke("models", "list")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[2].split() == [
        "fraud",
        "3",
        "3",
        "PendingManualApproval",
        "2023-11-14",
        "22:15:20Z",
    ]
