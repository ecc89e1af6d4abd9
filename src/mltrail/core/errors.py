"""The one error tree of mltrail; every exception carries the value that caused it.

```
MltrailError
├── ConfigError          .key, .value, .source
├── ValidationError      .field, .value          bad input to an SDK or store call
│   ├── QuerySyntaxError .text, .position        a filter or order-by that does not parse
│   └── EventValidationError .errors              an OpenLineage event that breaks its schemas
├── NotFoundError        .kind, .id
├── ConflictError        .kind, .id
├── StoreError           .cause                  the database failed (not the caller's fault)
└── DeliveryError        .destination, .cause    OpenLineage events could not be delivered (strict mode)
```

Code that catches ``MltrailError`` catches everything mltrail raises on purpose. Bad input
(``ValidationError`` and below, ``NotFoundError``) is the caller's to fix; ``StoreError`` is
transient or environmental.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class MltrailError(Exception):
    """Base of every error mltrail raises on purpose."""


class ConfigError(MltrailError):
    """A setting has a value mltrail cannot use.

    Attributes:
        key: The setting's name, e.g. ``tracking_uri``.
        value: The offending value.
        source: Where the value came from, e.g. ``env MLTRAIL_TRACKING_URI``.
    """

    def __init__(self, message: str, *, key: str, value: Any = None, source: str | None = None) -> None:
        where = f" (from {source})" if source else ""
        super().__init__(f"{message}{where}")
        self.key = key
        self.value = value
        self.source = source


class ValidationError(MltrailError):
    """An argument is invalid; nothing was written.

    Attributes:
        field: The argument or field that is wrong, e.g. ``metrics.val_auc`` or ``experiment``.
        value: The offending value.
    """

    def __init__(self, message: str, *, field: str, value: Any = None) -> None:
        super().__init__(message)
        self.field = field
        self.value = value


class QuerySyntaxError(ValidationError):
    """A search filter or order-by clause is malformed.

    The message names the problem and the position, and ends with the text and a caret
    under the offending token.

    Attributes:
        text: The whole filter or order-by text.
        position: Zero-based character offset of the offending token.
        reason: The problem alone, without position or caret.
    """

    def __init__(self, reason: str, *, text: str, position: int, field: str = "filter") -> None:
        caret = " " * position + "^"
        super().__init__(f"{reason}\n  {text}\n  {caret}", field=field, value=text)
        self.text = text
        self.position = position
        self.reason = reason


class EventValidationError(ValidationError):
    """An OpenLineage event does not match the OpenLineage spec or the schema of one of its facets.

    The message lists the first problems as ``<JSON path>: <message>``.

    Attributes:
        errors: Every problem found, as ``(JSON path, message)`` pairs, e.g.
            ``("$.run.runId", "'42' is not a 'uuid'")``.
    """

    MAX_LISTED = 10
    """How many problems the message lists."""

    def __init__(self, errors: Sequence[tuple[str, str]], *, value: Any = None) -> None:
        self.errors = list(errors)
        listed = "; ".join(f"{path}: {message}" for path, message in self.errors[: self.MAX_LISTED])
        more = len(self.errors) - self.MAX_LISTED
        suffix = f" (and {more} more)" if more > 0 else ""
        super().__init__(
            f"invalid OpenLineage event: {listed}{suffix}",
            field=self.errors[0][0] if self.errors else "$",
            value=value,
        )


class NotFoundError(MltrailError):
    """A named thing does not exist.

    Attributes:
        kind: What was looked for: ``experiment``, ``trial``, ``run``, ``metric``.
        id: The name or id that was not found.
    """

    def __init__(self, kind: str, id: Any, *, hint: str | None = None) -> None:  # noqa: A002
        message = f"{kind} {id!r} not found"
        super().__init__(f"{message}: {hint}" if hint else message)
        self.kind = kind
        self.id = id


class ConflictError(MltrailError):
    """A write clashes with what is stored, e.g. a run id reused for another experiment.

    Attributes:
        kind: The kind of thing in conflict.
        id: Its name or id.
    """

    def __init__(self, message: str, *, kind: str, id: Any) -> None:  # noqa: A002
        super().__init__(message)
        self.kind = kind
        self.id = id


class StoreError(MltrailError):
    """The database failed for a reason that is not the caller's input.

    Attributes:
        cause: The underlying driver or SQLAlchemy exception.
    """

    def __init__(self, message: str, *, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.cause = cause


class DeliveryError(MltrailError):
    """OpenLineage events could not be delivered to a destination.

    Raised to the caller in strict mode only, after the undelivered events were spooled (so
    ``mltrail spool replay`` can still deliver them). A destination may raise it itself to say
    that the first ``delivered`` events of a batch went through before it failed.

    Attributes:
        destination: The key of the destination that failed, e.g. ``openlineage`` or
            ``store:sqlite:///.mltrail/mltrail.db``.
        cause: The exception the destination raised.
        delivered: How many events of the batch, from its start, were delivered before the failure.
    """

    def __init__(
        self, message: str, *, destination: str, cause: BaseException | None = None, delivered: int = 0
    ) -> None:
        super().__init__(message)
        self.destination = destination
        self.cause = cause
        self.delivered = delivered


__all__ = [
    "ConfigError",
    "ConflictError",
    "DeliveryError",
    "EventValidationError",
    "MltrailError",
    "NotFoundError",
    "QuerySyntaxError",
    "StoreError",
    "ValidationError",
]
