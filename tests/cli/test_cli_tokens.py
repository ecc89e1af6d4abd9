"""``mltrail tokens``: the secret shown once, listings without secrets, revocation, durations."""

from __future__ import annotations

import json
from typing import Any

from mltrail.store import Store


def test_create_list_and_revoke(invoke: Any, url: str) -> None:
    Store(url).close()  # a migrated database, as `mltrail db upgrade` leaves it

    created = invoke("tokens", "create", "--name", "airflow", "--role", "writer", "--expires-in", "30d")
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("mlt_")
    assert "created writer token" in created.stderr and "expires" in created.stderr
    with Store(url) as store:
        info = store.tokens.verify(secret)
    assert info is not None and info.name == "airflow"

    listed = json.loads(invoke("tokens", "list", "--format", "json").output)
    assert [(t["key"], t["name"], t["role"], t["active"]) for t in listed] == [
        (info.key, "airflow", "writer", True)
    ]
    assert secret not in invoke("tokens", "list").output
    assert secret.split("_", 2)[2] not in json.dumps(listed)  # the part after mlt_<key>_

    revoked = invoke("tokens", "revoke", info.key)
    assert (revoked.exit_code, revoked.output) == (0, f"revoked writer token {info.key} (airflow)\n")
    assert json.loads(invoke("tokens", "list", "--format", "json").output)[0]["active"] is False


def test_bad_input_is_named(invoke: Any, url: str) -> None:
    Store(url).close()

    duration = invoke("tokens", "create", "--name", "x", "--expires-in", "soon")
    assert duration.exit_code == 2 and "--expires-in" in duration.output
    role = invoke("tokens", "create", "--name", "x", "--role", "root")
    assert role.exit_code == 2 and "root" in role.output
    unknown = invoke("tokens", "revoke", "nope")
    assert unknown.exit_code == 2 and "token 'nope' not found" in unknown.output
