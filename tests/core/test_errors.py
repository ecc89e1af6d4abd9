from __future__ import annotations

from mltrail import (
    ConfigError,
    ConflictError,
    MltrailError,
    NotFoundError,
    QuerySyntaxError,
    StoreError,
    ValidationError,
)


def test_every_error_is_an_mltrail_error_and_carries_its_value() -> None:
    cause = RuntimeError("disk full")
    errors = [
        ConfigError("bad", key="tracking_uri", value="x://", source="env MLTRAIL_TRACKING_URI"),
        ValidationError("bad", field="params.lr", value=-1),
        QuerySyntaxError("unexpected ')' at 3", text="a = )", position=3),
        NotFoundError("experiment", "fraud", hint="did you mean 'fraud-detection'?"),
        ConflictError("taken", kind="run", id="r1"),
        StoreError("database error", cause=cause),
    ]
    assert all(isinstance(error, MltrailError) for error in errors)
    config, validation, syntax, missing, conflict, store = errors
    assert (config.key, config.value, config.source) == ("tracking_uri", "x://", "env MLTRAIL_TRACKING_URI")
    assert str(config) == "bad (from env MLTRAIL_TRACKING_URI)"
    assert (validation.field, validation.value) == ("params.lr", -1)
    assert isinstance(syntax, ValidationError)
    assert (syntax.text, syntax.position, syntax.reason) == ("a = )", 3, "unexpected ')' at 3")
    assert str(syntax) == "unexpected ')' at 3\n  a = )\n     ^"
    assert (missing.kind, missing.id) == ("experiment", "fraud")
    assert str(missing) == "experiment 'fraud' not found: did you mean 'fraud-detection'?"
    assert (conflict.kind, conflict.id) == ("run", "r1")
    assert store.cause is cause
