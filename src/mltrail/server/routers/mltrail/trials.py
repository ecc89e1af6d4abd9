"""Trials: read one, search them with the search language."""

from __future__ import annotations

from fastapi import APIRouter

from mltrail.core.entities import Trial
from mltrail.core.wire import SearchRequest, arguments, dump
from mltrail.server.deps import READ, StoreDep
from mltrail.server.paths import PathText
from mltrail.server.responses import WireResponse, wire_response

router = APIRouter(tags=["trials"], dependencies=[READ])


@router.get("/experiments/{experiment}/trials/{name}", responses={200: {"model": Trial}})
def get_trial(experiment: PathText, name: PathText, store: StoreDep) -> WireResponse:
    """One trial with its runs, params and metric summaries, or 404."""
    return wire_response(store.get_trial(experiment, name))


@router.post("/trials/search")
def search_trials(body: SearchRequest, store: StoreDep) -> WireResponse:
    """``{"items": [Trial], "next_page_token": …}``: one page of the matching trials."""
    page = store.search_trials(**arguments(body))
    return WireResponse({"items": dump(list(page), list[Trial]), "next_page_token": page.next_page_token})
