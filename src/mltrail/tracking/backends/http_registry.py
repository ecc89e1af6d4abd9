"""The model registry of an ``mltrail server``, through ``/api/mltrail/v1/models``.

The server evaluates approval policies and records who acted (its token's name once it has
tokens); approving needs an approver token there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

from mltrail.core import wire
from mltrail.core.registry import ApprovalStatus, ModelVersion, RegisteredModel, check_version

Send = Callable[..., Any]
"""``send(method, path, body=...)``: one request to the server's API, its JSON answer back."""


class HttpRegistry:
    """:class:`~mltrail.core.registry.ModelRegistry` over HTTP; made by ``HttpBackend.registry``."""

    def __init__(self, send: Send) -> None:
        self._send = send

    def register(
        self,
        model: str,
        source_uri: str,
        *,
        run_id: UUID | None = None,
        approval_policy: str | None = None,
        description: str | None = None,
        tags: Mapping[str, Any] | None = None,
        actor: str,
    ) -> ModelVersion:
        """See :meth:`mltrail.store.registry.Registry.register`."""
        body = wire.VersionCreate(
            source_uri=source_uri,
            run_id=run_id,
            approval_policy=approval_policy,
            description=description,
            tags=tags,
            actor=actor,
        )
        return self._version("POST", f"{_model(model)}/versions", body)

    def update_approval(
        self, model: str, version: int, status: ApprovalStatus | str, *, actor: str, reason: str | None = None
    ) -> ModelVersion:
        """See :meth:`mltrail.store.registry.Registry.update_approval`."""
        body = wire.ApprovalUpdate(status=str(status), reason=reason, actor=actor)
        return self._version("POST", f"{_model(model)}/versions/{check_version(version)}/approval", body)

    def get(self, model: str, version: int) -> ModelVersion:
        """See :meth:`mltrail.store.registry.Registry.get`."""
        return self._version("GET", f"{_model(model)}/versions/{check_version(version)}")

    def versions(self, model: str) -> list[ModelVersion]:
        """See :meth:`mltrail.store.registry.Registry.versions`."""
        return wire.load(list[ModelVersion], self._send("GET", f"{_model(model)}/versions"))

    def models(self) -> list[RegisteredModel]:
        """See :meth:`mltrail.store.registry.Registry.models`."""
        return wire.load(list[RegisteredModel], self._send("GET", "/models"))

    def latest_approved(self, model: str) -> ModelVersion:
        """See :meth:`mltrail.store.registry.Registry.latest_approved`."""
        return self._version("GET", f"{_model(model)}/latest-approved")

    def set_alias(self, model: str, alias: str, version: int) -> ModelVersion:
        """See :meth:`mltrail.store.registry.Registry.set_alias`."""
        body = wire.AliasUpdate(version=check_version(version))
        return self._version("PUT", f"{_model(model)}/aliases/{wire.path_segment(alias)}", body)

    def by_alias(self, model: str, alias: str) -> ModelVersion:
        """See :meth:`mltrail.store.registry.Registry.by_alias`."""
        return self._version("GET", f"{_model(model)}/aliases/{wire.path_segment(alias)}")

    def _version(self, method: str, path: str, body: Any = None) -> ModelVersion:
        return wire.load(
            ModelVersion, self._send(method, path, body=None if body is None else wire.dump(body))
        )


def _model(model: str) -> str:
    return f"/models/{wire.path_segment(model)}"


__all__ = ["HttpRegistry"]
