"""The model registry: models, versions, approvals (approver role) and aliases.

Who acted is the token's name once the server has tokens, else the ``actor`` the body names.
Approving, rejecting, and registering with an approval policy (an approval decided by a rule)
need an approver token; the rest of the writes need a writer token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.exceptions import HTTPException

from mltrail.core.access import Role, TokenInfo
from mltrail.core.registry import ModelVersion, RegisteredModel
from mltrail.core.wire import AliasUpdate, ApprovalUpdate, VersionCreate
from mltrail.server.deps import READ, WRITE, Access, StoreDep
from mltrail.server.paths import PathText
from mltrail.server.responses import WireResponse, wire_response

router = APIRouter(prefix="/models", tags=["models"])

Writer = Annotated[TokenInfo | None, Depends(Access(Role.WRITER))]
Approver = Annotated[TokenInfo | None, Depends(Access(Role.APPROVER))]
ANONYMOUS = "anonymous"
"""The actor of a change sent without a token or an ``actor``."""


@router.get("", dependencies=[READ], responses={200: {"model": list[RegisteredModel]}})
def list_models(store: StoreDep) -> WireResponse:
    """Every registered model with its version count and latest (approved) version."""
    return wire_response(store.registry.models(), list[RegisteredModel])


@router.post("/{model}/versions", status_code=201, responses={201: {"model": ModelVersion}})
def register(model: PathText, body: VersionCreate, store: StoreDep, token: Writer) -> WireResponse:
    """Register the next version; with ``approval_policy`` (approver role) it may be Approved at once."""
    if body.approval_policy is not None and token is not None and not token.role.allows(Role.APPROVER):
        raise HTTPException(
            403, f"a {token.role} token may not register with an approval policy; it needs approver or above"
        )
    registered = store.registry.register(
        model,
        body.source_uri,
        run_id=body.run_id,
        approval_policy=body.approval_policy,
        description=body.description,
        tags=body.tags,
        actor=_actor(token, body.actor),
    )
    return wire_response(registered, status_code=201)


@router.get("/{model}/versions", dependencies=[READ], responses={200: {"model": list[ModelVersion]}})
def list_versions(model: PathText, store: StoreDep) -> WireResponse:
    """Every version of the model, newest first; 404 for an unknown model."""
    return wire_response(store.registry.versions(model), list[ModelVersion])


@router.get("/{model}/versions/{version}", dependencies=[READ], responses={200: {"model": ModelVersion}})
def get_version(model: PathText, version: int, store: StoreDep) -> WireResponse:
    """One version with its audit trail, links and aliases."""
    return wire_response(store.registry.get(model, version))


@router.post("/{model}/versions/{version}/approval", responses={200: {"model": ModelVersion}})
def update_approval(
    model: PathText, version: int, body: ApprovalUpdate, store: StoreDep, token: Approver
) -> WireResponse:
    """Approve, reject or reverse a decision; 400 for a transition the workflow forbids."""
    changed = store.registry.update_approval(
        model, version, body.status, actor=_actor(token, body.actor), reason=body.reason
    )
    return wire_response(changed)


@router.get("/{model}/latest-approved", dependencies=[READ], responses={200: {"model": ModelVersion}})
def latest_approved(model: PathText, store: StoreDep) -> WireResponse:
    """The newest Approved version; 404 when there is none."""
    return wire_response(store.registry.latest_approved(model))


@router.put("/{model}/aliases/{alias}", dependencies=[WRITE], responses={200: {"model": ModelVersion}})
def set_alias(model: PathText, alias: PathText, body: AliasUpdate, store: StoreDep) -> WireResponse:
    """Point the alias at a version, moving it from any other."""
    return wire_response(store.registry.set_alias(model, alias, body.version))


@router.get("/{model}/aliases/{alias}", dependencies=[READ], responses={200: {"model": ModelVersion}})
def by_alias(model: PathText, alias: PathText, store: StoreDep) -> WireResponse:
    """The version the alias points at."""
    return wire_response(store.registry.by_alias(model, alias))


def _actor(token: TokenInfo | None, named: str | None) -> str:
    if token is not None:
        return token.name
    return named or ANONYMOUS


__all__ = ["router"]
