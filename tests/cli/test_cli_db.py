from __future__ import annotations

from collections.abc import Callable

from click.testing import Result

from mltrail.store.migrate import head_revision

Invoke = Callable[..., Result]


def test_upgrade_twice(invoke: Invoke, url: str) -> None:
    head = head_revision()

    first = invoke("db", "upgrade")
    second = invoke("db", "upgrade")

    assert first.exit_code == 0
    assert first.stdout == f"upgraded {url} from empty to {head}\n"
    assert second.exit_code == 0
    assert second.stdout == f"already at {head}\n"


def test_upgrade_to_an_explicit_revision(invoke: Invoke, url: str) -> None:
    result = invoke("db", "upgrade", "--revision", head_revision())

    assert result.exit_code == 0
    assert result.stdout == f"upgraded {url} from empty to {head_revision()}\n"


def test_upgrade_to_an_unknown_revision_is_bad_input(invoke: Invoke) -> None:
    result = invoke("db", "upgrade", "--revision", "nope")

    assert result.exit_code == 2
    assert result.stderr == "error: Can't locate revision identified by 'nope'\n"


def test_current_before_and_after_upgrade(invoke: Invoke) -> None:
    head = head_revision()

    before = invoke("db", "current")
    invoke("db", "upgrade")
    after = invoke("db", "current")

    assert before.exit_code == 0
    assert before.stdout == f"empty (head is {head}; run `mltrail db upgrade`)\n"
    assert after.exit_code == 0
    assert after.stdout == f"{head} (head)\n"


def test_unreachable_database_exits_1_without_the_password(invoke: Invoke) -> None:
    result = invoke("db", "upgrade", tracking_uri="postgresql+psycopg://ana:s3cret@127.0.0.1:1/mltrail")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: database error: ")
    assert "s3cret" not in result.output
