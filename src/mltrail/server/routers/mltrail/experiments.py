"""Experiments: create, list, read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from mltrail.core.entities import Experiment
from mltrail.core.wire import ExperimentCreate
from mltrail.server.deps import READ, WRITE, StoreDep
from mltrail.server.paths import PathText
from mltrail.server.responses import WireResponse, wire_response

router = APIRouter(prefix="/experiments", tags=["experiments"])


@router.post("", status_code=201, dependencies=[WRITE], responses={201: {"model": Experiment}})
def create_experiment(body: ExperimentCreate, store: StoreDep) -> WireResponse:
    """Create an experiment; 409 if the name is taken."""
    created = store.create_experiment(body.name, description=body.description, tags=body.tags)
    return wire_response(created, status_code=201)


@router.get("", dependencies=[READ], responses={200: {"model": list[Experiment]}})
def list_experiments(
    store: StoreDep,
    include_archived: bool = False,
    name: Annotated[list[str] | None, Query(description="Only these experiments (repeat it)")] = None,
) -> WireResponse:
    """Experiments ordered by name."""
    found = store.list_experiments(include_archived=include_archived, names=name)
    return wire_response(found, list[Experiment])


@router.get("/{name}", dependencies=[READ], responses={200: {"model": Experiment}})
def get_experiment(name: PathText, store: StoreDep) -> WireResponse:
    """One experiment, or 404."""
    return wire_response(store.get_experiment(name))


@router.get("/{name}/keys", dependencies=[READ], responses={200: {"model": dict[str, list[str]]}})
def get_experiment_keys(name: PathText, store: StoreDep) -> WireResponse:
    """The param, metric and tag keys of the experiment's trials: ``{params, metrics, tags}``."""
    return wire_response(store.experiment_keys(name), dict[str, list[str]])
