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


def test_event_validation_error_lists_its_errors_and_names_the_first_path() -> None:
    from mltrail.core.errors import EventValidationError

    errors = [(f"$.inputs[{i}].name", "'name' is a required property") for i in range(12)]
    error = EventValidationError(errors, value={"run": {}})
    assert isinstance(error, ValidationError) and isinstance(error, MltrailError)
    assert error.errors == errors
    assert (error.field, error.value) == ("$.inputs[0].name", {"run": {}})
    assert str(error).startswith(
        "invalid OpenLineage event: $.inputs[0].name: 'name' is a required property; "
    )
    assert "$.inputs[9].name" in str(error) and "$.inputs[10].name" not in str(error)
    assert str(error).endswith("(and 2 more)")
