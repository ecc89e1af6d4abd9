"""The ``http(s)://`` tracking backend: an ``mltrail server`` reached through its REST API.

Each :class:`~mltrail.tracking.backends.base.Backend` method is one request to
``/api/mltrail/v1``; bodies and answers are the dataclasses of :mod:`mltrail.core.wire` and
:mod:`mltrail.core.entities`, so the SDK behaves as with a database URL. Errors come back as the
same exceptions: the server's JSON error names the class and its fields. A server that cannot be
reached, or answers 5xx, raises :class:`~mltrail.core.errors.StoreError` (after retries for
connection failures and 503), which the SDK treats like a database that is down.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from mltrail.core import wire
from mltrail.core.entities import (
    CodeInfo,
    DatasetRef,
    EnvironmentInfo,
    Experiment,
    MetricHistory,
    Run,
    RunKind,
    RunRecord,
    RunStatus,
    Trial,
)
from mltrail.core.errors import (
    ConfigError,
    ConflictError,
    EventValidationError,
    MltrailError,
    NotFoundError,
    QuerySyntaxError,
    StoreError,
    ValidationError,
)
from mltrail.core.lineage import (
    ArtifactSummary,
    AssociationSummary,
    ContextSummary,
    Direction,
    Granularity,
    IngestResult,
    LineagePage,
    NodeType,
)
from mltrail.core.page import Page
from mltrail.tracking.backends.http_registry import HttpRegistry

if TYPE_CHECKING:
    from mltrail.config import Settings

API_PATH = "/api/mltrail/v1"
TIMEOUT = (5.0, 60.0)
"""Seconds to connect, and to wait for an answer."""
RETRIES = Retry(
    total=4,
    connect=4,
    read=0,  # a request that reached the server is not sent again, except after a 503 (rolled back)
    status=4,
    status_forcelist=(503,),
    allowed_methods=None,
    backoff_factor=0.25,
    respect_retry_after_header=True,
    raise_on_status=False,
)

UPLOAD_RETRIES = Retry(total=4, connect=4, read=0, status=0, backoff_factor=0.25)


class HttpBackend:
    """A tracking backend that talks to ``mltrail server``.

    Args:
        uri: The server's base URL, e.g. ``http://mltrail.internal:5000`` (a path prefix is kept,
            for a server behind a reverse proxy).
        token: API token sent as ``Authorization: Bearer``; by default ``MLTRAIL_TRACKING_TOKEN``
            (see :class:`~mltrail.config.Settings`).
        timeout: Seconds the first contact (``/readyz``, one attempt) may take; by default
            ``MLTRAIL_BACKEND_TIMEOUT``. A server that is down costs a run at most this long.

    Raises:
        StoreError: If the server does not answer ``/readyz`` (after retries), as a database that
            cannot be reached fails when opened.
    """

    def __init__(self, uri: str, *, token: str | None = None, timeout: float | None = None) -> None:
        if token is None or timeout is None:
            from mltrail.config import resolve_settings

            settings = resolve_settings()
            token = settings.tracking_token if token is None else token
            timeout = settings.backend_timeout if timeout is None else timeout
        parts = urlsplit(uri)
        self.uri = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
        self._base = self.uri + API_PATH
        self._token = token
        self._local = threading.local()
        self._lock = threading.Lock()
        self._sessions: list[requests.Session] = []
        self._check_ready(timeout)

    def __repr__(self) -> str:
        return f"HttpBackend({self.uri!r})"

    @property
    def registry(self) -> HttpRegistry:
        """The server's model registry."""
        return HttpRegistry(self._send)

    # -- runs: writes -------------------------------------------------------------------------------

    def start_run(
        self,
        *,
        run_id: UUID,
        experiment: str,
        trial: str,
        name: str,
        kind: RunKind | str = RunKind.CUSTOM,
        start_time: int | None = None,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
        code: CodeInfo | None = None,
        environment: EnvironmentInfo | None = None,
        artifact_uri: str | None = None,
        metrics: Sequence[tuple[str, Any, Any, Any]] = (),
        inputs: Sequence[DatasetRef] = (),
        outputs: Sequence[DatasetRef] = (),
        status: RunStatus | str | None = None,
        end_time: int | None = None,
        error_message: str | None = None,
        job_namespace: str | None = None,
        job_name: str | None = None,
    ) -> None:
        """Record a new run in a trial (InProgress unless ``status`` ends it at once) with a first batch."""
        record = RunRecord(
            run_id=run_id,
            experiment=experiment,
            trial=trial,
            name=name,
            kind=kind,
            start_time=start_time,
            params=params or {},
            tags=tags or {},
            metrics=metrics,
            inputs=inputs,
            outputs=outputs,
            code=code,
            environment=environment,
            artifact_uri=artifact_uri,
            status=status,
            end_time=end_time,
            error_message=error_message,
            job_namespace=job_namespace,
            job_name=job_name,
        )
        self._send("POST", "/runs", body=wire.dump(record))

    def record_runs(self, records: Sequence[RunRecord]) -> None:
        """Record many new runs (start, first batch, optional end) in one transaction."""
        self._send("POST", "/runs/bulk", body=wire.dump(list(records), list[RunRecord]))

    def log_batch(
        self,
        run_id: UUID,
        *,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
        metrics: Sequence[tuple[str, Any, Any, Any]] = (),
        inputs: Sequence[DatasetRef] = (),
        outputs: Sequence[DatasetRef] = (),
    ) -> None:
        """Write params, tags, metric points ``(key, value, step, timestamp_ms)`` and datasets at once."""
        batch = wire.RunBatch(
            params=params or {}, tags=tags or {}, metrics=metrics, inputs=inputs, outputs=outputs
        )
        self._send("POST", f"/runs/{_run(run_id)}/batch", body=wire.dump(batch))

    def end_run(
        self,
        run_id: UUID,
        *,
        status: RunStatus | str,
        end_time: int | None = None,
        error_message: str | None = None,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
        metrics: Sequence[tuple[str, Any, Any, Any]] = (),
        inputs: Sequence[DatasetRef] = (),
        outputs: Sequence[DatasetRef] = (),
    ) -> None:
        """End a run, writing a last batch with it."""
        end = wire.RunEnd(
            status=str(status),
            end_time=end_time,
            error_message=error_message,
            params=params or {},
            tags=tags or {},
            metrics=metrics,
            inputs=inputs,
            outputs=outputs,
        )
        self._send("POST", f"/runs/{_run(run_id)}/end", body=wire.dump(end))

    def link_trial(self, run_id: UUID, *, experiment: str, trial: str) -> None:
        """Add a run to another trial."""
        link = wire.TrialLink(experiment=experiment, trial=trial)
        self._send("POST", f"/runs/{_run(run_id)}/trials", body=wire.dump(link))

    # -- experiments --------------------------------------------------------------------------------

    def create_experiment(
        self, name: str, *, description: str | None = None, tags: Mapping[str, str] | None = None
    ) -> Experiment:
        """Create an experiment."""
        body = wire.ExperimentCreate(name=name, description=description, tags=tags)
        return wire.load(Experiment, self._send("POST", "/experiments", body=wire.dump(body)))

    def get_experiment(self, name: str) -> Experiment:
        """Return an experiment by name."""
        return wire.load(Experiment, self._send("GET", f"/experiments/{wire.path_segment(name)}"))

    def list_experiments(
        self, *, include_archived: bool = False, names: Sequence[str] | None = None
    ) -> list[Experiment]:
        """Return experiments ordered by name."""
        if names is not None and not names:
            return []
        params: dict[str, Any] = {"include_archived": include_archived, "name": list(names or ())}
        return wire.load(list[Experiment], self._send("GET", "/experiments", params=params))

    def experiment_keys(self, name: str) -> dict[str, list[str]]:
        """Return the param, metric and tag keys of an experiment's trials, each list sorted."""
        answer = self._send("GET", f"/experiments/{wire.path_segment(name)}/keys")
        return wire.load(dict[str, list[str]], answer)

    # -- reads ------------------------------------------------------------------------------------

    def get_run(self, run_id: UUID) -> Run:
        """Return a run by id."""
        return wire.load(Run, self._send("GET", f"/runs/{_run(run_id)}"))

    def get_trial(self, experiment: str, name: str) -> Trial:
        """Return a trial by experiment and name."""
        path = f"/experiments/{wire.path_segment(experiment)}/trials/{wire.path_segment(name)}"
        return wire.load(Trial, self._send("GET", path))

    def get_metric_history(self, run_id: UUID, key: str, *, max_points: int | None = None) -> MetricHistory:
        """Return a metric's points, all or about ``max_points`` of them."""
        params: dict[str, Any] = {"key": key}
        if max_points is not None:
            params["max_points"] = max_points
        answer = self._send("GET", f"/runs/{_run(run_id)}/metric-history", params=params)
        return wire.load(MetricHistory, answer)

    def search_trials(
        self,
        *,
        experiment: str | Sequence[str] | None = None,
        filter: str | None = None,  # noqa: A002
        order_by: str | Sequence[str] | None = None,
        max_results: int = 100,
        page_token: str | None = None,
    ) -> Page[Trial]:
        """Return one page of matching trials."""
        request = _search(experiment, filter, order_by, max_results, page_token)
        answer = self._send("POST", "/trials/search", body=wire.dump(request))
        return Page(wire.load(list[Trial], answer["items"]), next_page_token=answer["next_page_token"])

    def search_runs(
        self,
        *,
        experiment: str | Sequence[str] | None = None,
        filter: str | None = None,  # noqa: A002
        order_by: str | Sequence[str] | None = None,
        max_results: int = 100,
        page_token: str | None = None,
    ) -> Page[Run]:
        """Return one page of matching runs."""
        request = _search(experiment, filter, order_by, max_results, page_token)
        answer = self._send("POST", "/runs/search", body=wire.dump(request))
        return Page(wire.load(list[Run], answer["items"]), next_page_token=answer["next_page_token"])

    # -- lineage ----------------------------------------------------------------------------------

    def lineage(
        self,
        start: str,
        *,
        direction: Direction | str = Direction.BOTH,
        depth: int = 10,
        include_edges: bool = True,
        node_types: Sequence[NodeType | str] | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        page_size: int = 100,
        page_token: str | None = None,
        granularity: Granularity | str = Granularity.RUN,
    ) -> LineagePage:
        """Walk the lineage graph from a node."""
        params: dict[str, Any] = {
            "start": start,
            "direction": str(direction),
            "depth": depth,
            "include_edges": include_edges,
            "page_size": page_size,
            "granularity": str(granularity),
        }
        optional = {
            "node_type": None if node_types is None else [str(kind) for kind in node_types],
            "created_after": None if created_after is None else created_after.isoformat(),
            "created_before": None if created_before is None else created_before.isoformat(),
            "page_token": page_token,
        }
        params |= {key: value for key, value in optional.items() if value is not None}
        return wire.load(LineagePage, self._send("GET", "/lineage", params=params))

    def create_artifact(
        self, name: str, type: str, source_uri: str, properties: Mapping[str, Any] | None = None
    ) -> ArtifactSummary:
        """Record a named, typed artifact at a source URI."""
        body = wire.ArtifactCreate(name=name, type=type, source_uri=source_uri, properties=properties)
        return wire.load(ArtifactSummary, self._send("POST", "/lineage/artifacts", body=wire.dump(body)))

    def list_artifacts(
        self,
        *,
        source_uri: str | None = None,
        artifact_type: str | None = None,
        sort_by: str = "CreationTime",
        sort_order: str = "Descending",
        max_results: int = 100,
    ) -> list[ArtifactSummary]:
        """List artifacts."""
        params: dict[str, Any] = {"sort_by": sort_by, "sort_order": sort_order, "max_results": max_results}
        optional = {"source_uri": source_uri, "artifact_type": artifact_type}
        params |= {key: value for key, value in optional.items() if value is not None}
        return wire.load(list[ArtifactSummary], self._send("GET", "/lineage/artifacts", params=params))

    def create_context(
        self,
        name: str,
        type: str,
        *,
        description: str | None = None,
        properties: Mapping[str, Any] | None = None,
    ) -> ContextSummary:
        """Record a context."""
        body = wire.ContextCreate(name=name, type=type, description=description, properties=properties)
        return wire.load(ContextSummary, self._send("POST", "/lineage/contexts", body=wire.dump(body)))

    def create_association(self, source: str, destination: str, type: str) -> AssociationSummary:
        """Add a typed edge between two nodes."""
        body = wire.AssociationCreate(source=source, destination=destination, type=type)
        answer = self._send("POST", "/lineage/associations", body=wire.dump(body))
        return wire.load(AssociationSummary, answer)

    def list_associations(
        self, *, source: str | None = None, destination: str | None = None
    ) -> list[AssociationSummary]:
        """List associations."""
        optional = {"source": source, "destination": destination}
        params = {key: value for key, value in optional.items() if value is not None}
        return wire.load(list[AssociationSummary], self._send("GET", "/lineage/associations", params=params))

    # -- OpenLineage events ----------------------------------------------------------------------------

    def ingest(self, event: Mapping[str, Any]) -> bool:
        """Store one OpenLineage event; return whether it was new."""
        return bool(self._send("POST", "/events", body=wire.dump(dict(event), dict[str, Any]))["stored"])

    def ingest_batch(self, events: Sequence[Any]) -> IngestResult:
        """Store many OpenLineage events; refuse the invalid ones."""
        answer = self._send("POST", "/events/batch", body=wire.dump(list(events), list[Any]))
        return wire.load(IngestResult, answer)

    def close(self) -> None:
        """Close every thread's connections (a later call opens new ones)."""
        with self._lock:
            sessions, self._sessions = self._sessions, []
            self._local = threading.local()
        for session in sessions:
            session.close()

    # -- plumbing -----------------------------------------------------------------------------------

    def _session(self) -> requests.Session:
        """This thread's session: sessions pool connections but are not meant to be shared."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = _new_session(self._token, RETRIES)
            with self._lock:
                self._local.session = session
                self._sessions.append(session)
        return session

    def _check_ready(self, timeout: float) -> None:
        """Ask the server, once, whether it and its database answer, as opening a database connects.

        Raises:
            StoreError: If the server is unreachable or its database is down.
        """
        try:
            with _new_session(self._token, Retry(total=0, raise_on_status=False)) as probe:
                response = probe.get(self.uri + "/readyz", timeout=timeout)
        except requests.RequestException as exc:
            raise StoreError(f"mltrail server {self.uri} did not answer: {exc}", cause=exc) from exc
        if response.status_code != 200:
            raise _error(response, self.uri)

    def _send(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, body: Any = None
    ) -> Any:
        """Send a request; return its JSON answer (``None`` for an empty one) or raise its error."""
        data = None if body is None else wire.encode(body)
        headers = {} if data is None else {"Content-Type": wire.MEDIA_TYPE}
        try:
            response = self._session().request(
                method, self._base + path, params=params, data=data, headers=headers, timeout=TIMEOUT
            )
        except requests.RequestException as exc:
            raise StoreError(f"mltrail server {self.uri} did not answer: {exc}", cause=exc) from exc
        if response.status_code >= 400:
            raise _error(response, self.uri)
        return response.json() if response.content else None


def _new_session(token: str | None, retries: Retry) -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retries)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["Accept"] = wire.MEDIA_TYPE
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    return session


def upload(url: str, file: Path, settings: Settings) -> None:
    """``PUT`` a file to a server's artifact URL, streamed from disk.

    Only connection failures are retried: a file body that was sent is not sent again.

    Raises:
        StoreError: If the server did not take the file.
        ValidationError: If the server refused the path.
    """
    with _new_session(settings.tracking_token, UPLOAD_RETRIES) as session, file.open("rb") as body:
        try:
            response = session.put(url, data=body, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise StoreError(f"artifact upload to {url} failed: {exc}", cause=exc) from exc
    if response.status_code >= 400:
        raise _error(response, url)


def _search(
    experiment: str | Sequence[str] | None,
    filter: str | None,  # noqa: A002
    order_by: str | Sequence[str] | None,
    max_results: int,
    page_token: str | None,
) -> wire.SearchRequest:
    return wire.SearchRequest(
        experiment=experiment if experiment is None or isinstance(experiment, str) else list(experiment),
        filter=filter,
        order_by=order_by if order_by is None or isinstance(order_by, str) else list(order_by),
        max_results=max_results,
        page_token=page_token,
    )


def _run(run_id: UUID) -> str:
    """A run id as a path segment, checked here so a bad one fails as it does with a database."""
    if isinstance(run_id, UUID):
        return str(run_id)
    try:
        return str(UUID(str(run_id)))
    except ValueError:
        raise ValidationError(f"run id {run_id!r} is not a UUID", field="run_id", value=run_id) from None


def _error(response: requests.Response, uri: str) -> MltrailError:
    """The exception a server's error answer stands for (the server's message kept)."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    message = body.get("message") or f"mltrail server {uri} answered {response.status_code}"
    details: dict[str, Any] = body.get("details") or {}
    error: MltrailError
    kind = details.get("error")
    if response.status_code >= 500:
        error = StoreError(f"mltrail server {uri}: {message}")
    elif kind == "EventValidationError":
        problems = [(item["path"], item["message"]) for item in details.get("errors", [])]
        error = EventValidationError(problems)
    elif kind == "QuerySyntaxError":
        error = QuerySyntaxError(
            details["reason"], text=details["text"], position=details["position"], field=details["field"]
        )
    elif kind == "NotFoundError":
        error = NotFoundError(details.get("kind", "resource"), details.get("id"))
    elif kind == "ConflictError":
        error = ConflictError(message, kind=details.get("kind", "resource"), id=details.get("id"))
    elif response.status_code in (401, 403):
        error = ConfigError(
            f"mltrail server {uri} refused the request: {message}", key="tracking_token", value=None
        )
    else:
        error = ValidationError(message, field=details.get("field", "request"), value=details.get("value"))
    error.args = (message,)
    return error


__all__ = ["HttpBackend", "upload"]
