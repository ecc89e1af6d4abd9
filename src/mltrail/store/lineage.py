"""Walk the lineage graph breadth-first, one set-wise query per level and direction.

Run granularity follows the exact dataset versions runs read and wrote: the version a run read is
the one written last before it started (or the version its event named), and the runs that read
a version are those that started after it was written and before the next one was. Job granularity
collapses runs into their jobs, as Marquez does, but keeps every job that ever read or wrote a
dataset, not only the latest version's.

Nodes come out ordered by depth, then id; a page token carries the last node's depth and id, so
the next page resumes exactly after it. Each level of the walk is a few indexed queries on the
frontier, so an answer costs what its levels hold, not what the graph holds.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, and_, bindparam, func, literal_column, or_, select, tuple_

from mltrail.core.errors import NotFoundError, ValidationError
from mltrail.core.ids import parse_uuid
from mltrail.core.lineage import (
    Direction,
    Granularity,
    LineageEdge,
    LineageNode,
    LineagePage,
    NodeId,
    NodeType,
    dataset_node,
    parse_node_id,
)
from mltrail.core.sequences import chunks
from mltrail.store import manual
from mltrail.store import tables as t

Key = tuple[Any, ...]
"""A node: ``("run", UUID)``, ``("dataset", id, version)``, ``("job", id)``, ``("trial", id)``…"""
Step = tuple[Key, Key, str]
"""``(from, to, edge type)`` found walking one level; the edge's direction is data flow."""


@dataclass(frozen=True, slots=True)
class Walk:
    """A lineage query, checked."""

    start: NodeId
    direction: Direction
    depth: int
    granularity: Granularity
    node_types: frozenset[NodeType] | None
    created_after: int | None
    created_before: int | None

    def fingerprint(self) -> str:
        """What a page token must belong to."""
        text = json.dumps(
            [
                str(self.start),
                self.direction.value,
                self.depth,
                self.granularity.value,
                sorted(self.node_types or ()),
                self.created_after,
                self.created_before,
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def query(
    connection: Connection, walk: Walk, *, page_size: int, page_token: str | None, include_edges: bool
) -> LineagePage:
    """Answer a lineage query with one page of nodes (and the edges that reached them)."""
    after = _decode_token(page_token, walk.fingerprint())
    graph = _Graph(connection, walk)
    start = graph.resolve_start(walk.start)
    depths: dict[Key, int] = {start: 0}
    reached: dict[Key, list[tuple[Key, Key, str]]] = {}
    walks = (
        [Direction.ASCENDANTS, Direction.DESCENDANTS]
        if walk.direction in (Direction.BOTH, Direction.CONNECTED)
        else [walk.direction]
    )
    frontiers = {direction: [start] for direction in walks}
    for level in range(1, walk.depth + 1):  # both directions in step, so depths stay comparable
        for direction in walks:
            found: list[Key] = []
            for origin, target, kind in graph.step(frontiers[direction], direction):
                neighbour = target if direction is Direction.DESCENDANTS else origin
                if depths.get(neighbour, level) < level:
                    continue  # reached by a shorter path
                if neighbour not in depths:
                    depths[neighbour] = level
                    found.append(neighbour)
                reached.setdefault(neighbour, []).append((origin, target, kind))
            frontiers[direction] = found
        if walk.direction is Direction.CONNECTED:  # what either way reached is walked both ways next
            joined = frontiers[Direction.ASCENDANTS] + frontiers[Direction.DESCENDANTS]
            frontiers = {direction: joined for direction in walks}
        if not any(frontiers.values()) or (after is None and _enough(depths, level, page_size, graph, walk)):
            break
    graph.prefetch_names(depths)
    ordered = sorted(
        ((depth, graph.node_id(key), key) for key, depth in depths.items() if graph.wanted(key, walk)),
        key=lambda item: (item[0], item[1]),
    )
    if after is not None:
        ordered = [item for item in ordered if (item[0], item[1]) > after]
    page = ordered[:page_size]
    token = (
        _encode_token((page[-1][0], page[-1][1]), walk.fingerprint()) if len(ordered) > page_size else None
    )
    data = graph.describe([key for _, _, key in page])
    nodes = tuple(
        LineageNode(id=node_id, type=NodeType(key[0]), depth=depth, data=data[key])
        for depth, node_id, key in page
    )
    edges: tuple[LineageEdge, ...] = ()
    if include_edges:
        edges = tuple(
            sorted(
                {
                    LineageEdge(graph.node_id(origin), graph.node_id(target), kind)
                    for _, _, key in page
                    for origin, target, kind in reached.get(key, ())
                },
                key=lambda edge: (edge.origin, edge.destination, edge.type),
            )
        )
    return LineagePage(start=str(walk.start), nodes=nodes, edges=edges, next_page_token=token)


def resolve(connection: Connection, node: NodeId) -> Key:
    """The key of a node.

    Raises:
        NotFoundError: If the graph has no such node.
    """
    walk = Walk(node, Direction.BOTH, 0, Granularity.RUN, None, None, None)
    return _Graph(connection, walk).resolve_start(node)


def _enough(depths: dict[Key, int], level: int, page_size: int, graph: _Graph, walk: Walk) -> bool:
    """Whether the levels walked so far already hold a full first page (deeper nodes sort after)."""
    return sum(1 for key, depth in depths.items() if depth <= level and graph.wanted(key, walk)) > page_size


def _encode_token(position: tuple[int, str], fingerprint: str) -> str:
    raw = json.dumps({"d": position[0], "id": position[1], "q": fingerprint}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_token(token: str | None, fingerprint: str) -> tuple[int, str] | None:
    if token is None:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        position = (int(data["d"]), str(data["id"]))
        matches = data["q"] == fingerprint
    except (ValueError, KeyError, TypeError):
        raise ValidationError("malformed page token", field="page_token", value=token) from None
    if not matches:
        raise ValidationError(
            "page token belongs to a different lineage query", field="page_token", value=token
        )
    return position


class _Graph:
    """The steps of the walk for one query: neighbours of a frontier, node ids and node data."""

    def __init__(self, connection: Connection, walk: Walk) -> None:
        self._connection = connection
        self._walk = walk
        self._datasets: dict[int, tuple[str, str, str]] = {}
        self._jobs: dict[int, tuple[str, str]] = {}
        self._names: dict[Key, str] = {}
        self._has_associations: bool | None = None

    # -- start -------------------------------------------------------------------------------------

    def resolve_start(self, node: NodeId) -> Key:
        """The key of the start node.

        Raises:
            NotFoundError: If the graph has no such node.
        """
        c = self._connection
        if node.type is NodeType.RUN:
            found = c.execute(select(t.lineage_run.c.id).where(t.lineage_run.c.id == node.run_id)).scalar()
            if found is None:
                found = c.execute(select(t.run.c.id).where(t.run.c.id == node.run_id)).scalar()
            if found is None:
                raise NotFoundError("run", node.parts[0])
            return self._granular(("run", node.run_id))
        if node.type is NodeType.DATASET:
            d = t.dataset.c
            dataset_id = c.execute(
                select(d.id).where(d.namespace == node.parts[0], d.name == node.parts[1])
            ).scalar()
            if dataset_id is None:
                raise NotFoundError("dataset", str(node))
            return ("dataset", dataset_id, node.version if node.version is not None else _ALL)
        if node.type is NodeType.JOB:
            j = t.job.c
            job_id = c.execute(
                select(j.id).where(j.namespace == node.parts[0], j.name == node.parts[1])
            ).scalar()
            if job_id is None:
                raise NotFoundError("job", str(node))
            return ("job", job_id)
        if node.type is NodeType.CONTEXT:
            context_id = c.execute(select(t.context.c.id).where(t.context.c.name == node.parts[0])).scalar()
            if context_id is None:
                raise NotFoundError("context", node.parts[0])
            return ("context", context_id)
        if node.type is NodeType.EXPERIMENT:
            e = t.experiment.c
            experiment_id = c.execute(select(e.id).where(e.name == node.parts[0])).scalar()
            if experiment_id is None:
                raise NotFoundError("experiment", node.parts[0])
            return ("experiment", experiment_id)
        tr, e = t.trial.c, t.experiment.c
        trial_id = c.execute(
            select(tr.id)
            .join(t.experiment, e.id == tr.experiment_id)
            .where(e.name == node.parts[0], tr.name == node.parts[1])
        ).scalar()
        if trial_id is None:
            raise NotFoundError("trial", f"{node.parts[0]}/{node.parts[1]}")
        return ("trial", trial_id)

    def _granular(self, key: Key) -> Key:
        if self._walk.granularity is Granularity.JOB and key[0] == "run":
            job_id = self._connection.execute(
                select(t.lineage_run.c.job_id).where(t.lineage_run.c.id == key[1])
            ).scalar()
            return ("job", job_id) if job_id is not None else key
        return key

    # -- steps -------------------------------------------------------------------------------------

    def step(self, frontier: Sequence[Key], direction: Direction) -> list[Step]:
        """Edges between the frontier and its neighbours one level further in ``direction``."""
        up = direction is Direction.ASCENDANTS
        by_type: dict[str, list[Key]] = {}
        for key in frontier:
            by_type.setdefault(key[0], []).append(key)
        steps: list[Step] = []
        for kind, keys in by_type.items():
            if kind == "run":
                steps += (
                    self._run_inputs(keys) + self._parents(keys)
                    if up
                    else self._run_outputs(keys) + self._children(keys)
                )
            elif kind == "dataset" and self._walk.granularity is Granularity.JOB:
                steps += self._job_edges(
                    t.run_io.c.dataset_id, [key[1] for key in keys], "output" if up else "input"
                )
            elif kind == "dataset":
                steps += self._producers(keys) if up else self._consumers(keys)
            elif kind == "job":
                steps += self._job_edges(
                    t.lineage_run.c.job_id, [key[1] for key in keys], "input" if up else "output"
                )
            elif kind in ("trial", "experiment") and not up:
                steps += self._members(keys)
        return steps + self._associations(frontier, up)

    def _associations(self, frontier: Sequence[Key], up: bool) -> list[Step]:
        """Edges added by hand (``mltrail.lineage.Association``) into or out of the frontier."""
        if self._has_associations is None:
            self._has_associations = (
                self._connection.execute(select(t.association.c.source).limit(1)).first() is not None
            )
        if not self._has_associations:
            return []
        ids: dict[str, list[Key]] = {}
        for key in frontier:
            ids.setdefault(self.node_id(key), []).append(key)
            if key[0] == "dataset" and key[2] not in ("", _ALL):  # a version is also its dataset
                ids.setdefault(self.node_id(("dataset", key[1], _ALL)), []).append(key)
        steps: list[Step] = []
        for source, destination, kind in manual.associated(self._connection, list(ids), upstream=up):
            other = self._key_of(source if up else destination)
            if other is None:
                continue
            for key in ids[destination if up else source]:
                steps.append((other, key, kind) if up else (key, other, kind))
        return steps

    def _key_of(self, node_id: str) -> Key | None:
        """The key of a node named by an association, or ``None`` if it no longer resolves."""
        try:
            return self.resolve_start(parse_node_id(node_id))
        except (NotFoundError, ValidationError):
            return None

    def _runs_window(self) -> Any:
        r = t.lineage_run.c
        conditions = []
        if self._walk.created_after is not None:
            conditions.append(r.created_at >= self._walk.created_after)
        if self._walk.created_before is not None:
            conditions.append(r.created_at < self._walk.created_before)
        return and_(*conditions) if conditions else None

    def _io_rows(
        self, condition_for: Callable[[Sequence[Any]], Any], values: Iterable[Any], *columns: Any
    ) -> list[Any]:
        rows: list[Any] = []
        items = list(values)
        window = self._runs_window()
        for chunk in chunks(items):
            query = select(*columns).select_from(t.run_io).where(condition_for(chunk))
            if window is not None:
                query = query.join(t.lineage_run, t.lineage_run.c.id == t.run_io.c.run_id).where(window)
            rows += self._connection.execute(query).all()
        return rows

    def _run_inputs(self, keys: list[Key]) -> list[Step]:
        """Datasets these runs read, each at the version it read, resolved in the same query."""
        io = t.run_io.c
        written = t.run_io.alias("written")
        w = written.c
        last_write = (
            select(w.run_id, w.version)
            .where(w.dataset_id == io.dataset_id, w.direction == "output", w.at_time <= io.at_time)
            .order_by(w.at_time.desc(), w.run_id.desc())
            .limit(1)
        )
        producer = last_write.with_only_columns(w.run_id).scalar_subquery()
        producer_version = last_write.with_only_columns(w.version).scalar_subquery()
        rows = self._io_rows(
            lambda ids: and_(io.run_id.in_(ids), io.direction == "input"),
            (key[1] for key in keys),
            io.run_id,
            io.dataset_id,
            io.version,
            producer,
            producer_version,
        )
        steps: list[Step] = []
        for run_id, dataset_id, version, writer, writer_version in rows:
            if version is None:
                version = "" if writer is None else writer_version or str(_as_uuid(writer))
            steps.append((("dataset", dataset_id, version), ("run", run_id), "INPUT"))
        return steps

    def _version_read(self, dataset_id: int, version: str | None, at_time: int) -> str:
        """The version of a dataset a run read: the one it named, else the last written before it started."""
        if version is not None:
            return version
        io = t.run_io.c
        producer = self._connection.execute(
            select(io.run_id, io.version)
            .where(io.dataset_id == dataset_id, io.direction == "output", io.at_time <= at_time)
            .order_by(io.at_time.desc(), io.run_id.desc())
            .limit(1)
        ).first()
        if producer is None:
            return ""
        return producer.version if producer.version is not None else str(producer.run_id)

    def _run_outputs(self, keys: list[Key]) -> list[Step]:
        io = t.run_io.c
        rows = self._io_rows(
            lambda ids: and_(io.run_id.in_(ids), io.direction == "output"),
            (key[1] for key in keys),
            io.run_id,
            io.dataset_id,
            io.version,
        )
        return [
            (
                ("run", run_id),
                ("dataset", dataset_id, version if version is not None else str(run_id)),
                "OUTPUT",
            )
            for run_id, dataset_id, version in rows
        ]

    def _parents(self, keys: list[Key]) -> list[Step]:
        r = t.lineage_run.c
        rows = self._chunked(select(r.id, r.parent_run_id), r.id, [key[1] for key in keys])
        return [(("run", parent), ("run", child), "PARENT") for child, parent in rows if parent is not None]

    def _children(self, keys: list[Key]) -> list[Step]:
        r = t.lineage_run.c
        query = select(r.parent_run_id, r.id)
        window = self._runs_window()
        if window is not None:
            query = query.where(window)
        rows = self._chunked(query, r.parent_run_id, [key[1] for key in keys])
        return [(("run", parent), ("run", child), "PARENT") for parent, child in rows]

    def _producers(self, keys: list[Key]) -> list[Step]:
        """Runs that wrote these dataset versions (the latest one for a dataset named without version)."""
        io = t.run_io.c
        steps: list[Step] = []
        for key in keys:
            _, dataset_id, version = key
            if version == _ALL:
                version = self._version_read(dataset_id, None, 2**62)
                if version == "":
                    continue
            if version == "":
                continue
            if parse_uuid(version) is not None:  # the version a run wrote is named after the run
                steps.append((("run", UUID(version)), key, "OUTPUT"))
                continue
            rows = self._connection.execute(
                select(io.run_id).where(
                    io.dataset_id == dataset_id, io.direction == "output", io.version == version
                )
            ).all()
            steps += [(("run", run_id), key, "OUTPUT") for (run_id,) in rows]
        return steps

    def _consumers(self, keys: list[Key]) -> list[Step]:
        """Runs that read these dataset versions (every version, for a dataset named without one)."""
        io = t.run_io.c
        steps: list[Step] = []
        all_versions = [key for key in keys if key[2] == _ALL]
        if all_versions:
            rows = self._io_rows(
                lambda ids: and_(io.dataset_id.in_(ids), io.direction == "input"),
                (key[1] for key in all_versions),
                io.dataset_id,
                io.run_id,
            )
            origin = {key[1]: key for key in all_versions}
            steps += [(origin[dataset_id], ("run", run_id), "INPUT") for dataset_id, run_id in rows]
        # PostgreSQL: one query per level, round trips cost more than the query. SQLite: the
        # planner does better with a short query per version, and in-process calls are cheap.
        written = []
        if self._connection.dialect.name == "postgresql":
            written = [key for key in keys if key[2] not in (_ALL, "") and parse_uuid(key[2]) is not None]
            steps += self._readers_of_writes(written)
        for key in keys:
            if key[2] == _ALL or key in written:
                continue
            _, dataset_id, version = key
            steps += [(key, ("run", run_id), "INPUT") for run_id in self._readers(dataset_id, version)]
        return steps

    def _readers_of_writes(self, keys: list[Key]) -> list[Step]:
        """Runs that read the versions these runs wrote: started after the write, before the next one.

        One query per level: each write's window comes from the next write of its dataset.
        """
        if not keys:
            return []
        w, r, n = t.run_io.alias("w"), t.run_io.alias("r"), t.run_io.alias("n")
        following = (
            select(func.min(n.c.at_time))
            .where(n.c.dataset_id == w.c.dataset_id, n.c.direction == "output", n.c.at_time > w.c.at_time)
            .scalar_subquery()
        )
        writes = (
            select(w.c.run_id, w.c.dataset_id, w.c.at_time, following.label("until"))
            .where(
                w.c.direction == "output",
                w.c.run_id.in_(bindparam("runs", expanding=True)),
                w.c.dataset_id.in_(bindparam("datasets", expanding=True)),
            )
            .offset(literal_column("0"))  # keeps SQLite from re-running `until` for every reader
            .subquery("writes")
        )
        query = select(writes.c.run_id, writes.c.dataset_id, r.c.run_id).join(
            r,
            and_(
                r.c.dataset_id == writes.c.dataset_id,
                r.c.direction == "input",
                r.c.version.is_(None),
                r.c.at_time >= writes.c.at_time,
                or_(writes.c.until.is_(None), r.c.at_time < writes.c.until),
            ),
        )
        window = self._runs_window()
        if window is not None:
            query = query.join(t.lineage_run, t.lineage_run.c.id == r.c.run_id).where(window)
        by_write = {(UUID(key[2]), key[1]): key for key in keys}
        pairs = list(by_write)
        steps: list[Step] = []
        for chunk in chunks(pairs):  # runs x datasets may pair more: keep the asked ones
            bound = {"runs": sorted({run for run, _ in chunk}), "datasets": sorted({d for _, d in chunk})}
            for writer, dataset_id, reader in self._connection.execute(query, bound):
                origin = by_write.get((_as_uuid(writer), dataset_id))
                if origin is not None:
                    steps.append((origin, ("run", _as_uuid(reader)), "INPUT"))
        named = t.run_io.c
        for group in chunks(keys):
            rows = self._connection.execute(
                select(named.dataset_id, named.version, named.run_id).where(
                    named.direction == "input",
                    tuple_(named.dataset_id, named.version).in_([(key[1], key[2]) for key in group]),
                )
            )
            steps += [
                (("dataset", dataset_id, version), ("run", run_id), "INPUT")
                for dataset_id, version, run_id in rows
            ]
        return steps

    def _readers(self, dataset_id: int, version: str) -> list[UUID]:
        io = t.run_io.c
        c = self._connection
        named = [
            row[0]
            for row in c.execute(
                select(io.run_id).where(
                    io.dataset_id == dataset_id, io.direction == "input", io.version == version
                )
            )
        ]
        written = None
        if version and parse_uuid(version) is not None:
            written = c.execute(
                select(io.at_time).where(
                    io.dataset_id == dataset_id, io.direction == "output", io.run_id == UUID(version)
                )
            ).scalar()
        if version and written is None:
            return named
        start = written if written is not None else -(2**62)
        following = c.execute(
            select(func.min(io.at_time)).where(
                io.dataset_id == dataset_id, io.direction == "output", io.at_time > start
            )
        ).scalar()
        window = [
            io.dataset_id == dataset_id,
            io.direction == "input",
            io.version.is_(None),
            io.at_time >= start,
        ]
        if following is not None:
            window.append(io.at_time < following)
        query = select(io.run_id).where(*window)
        runs_window = self._runs_window()
        if runs_window is not None:
            query = query.join(t.lineage_run, t.lineage_run.c.id == io.run_id).where(runs_window)
        return named + [row[0] for row in c.execute(query)]

    def _job_edges(self, column: Any, ids: list[Any], direction: str) -> list[Step]:
        """Job level: the job-dataset edges of any run, for these jobs or datasets (``column``).

        ``input`` edges go from a dataset to a job that read it, ``output`` edges from a job to
        a dataset it wrote.
        """
        io, r = t.run_io.c, t.lineage_run.c
        query = (
            select(r.job_id, io.dataset_id)
            .distinct()
            .join(t.lineage_run, r.id == io.run_id)
            .where(io.direction == direction)
        )
        window = self._runs_window()
        if window is not None:
            query = query.where(window)
        rows = self._chunked(query, column, ids)
        if direction == "input":
            return [(("dataset", dataset_id, _ALL), ("job", job_id), "INPUT") for job_id, dataset_id in rows]
        return [(("job", job_id), ("dataset", dataset_id, _ALL), "OUTPUT") for job_id, dataset_id in rows]

    def _members(self, keys: list[Key]) -> list[Step]:
        """Experiments contain trials; trials contain their component runs."""
        steps: list[Step] = []
        tr, tc = t.trial.c, t.trial_component.c
        experiments = [key[1] for key in keys if key[0] == "experiment"]
        if experiments:
            rows = self._chunked(select(tr.experiment_id, tr.id), tr.experiment_id, experiments)
            steps += [(("experiment", e), ("trial", trial_id), "COMPONENT") for e, trial_id in rows]
        trials = [key[1] for key in keys if key[0] == "trial"]
        if trials:
            rows = self._chunked(select(tc.trial_id, tc.run_id), tc.trial_id, trials)
            steps += [
                (("trial", trial_id), self._granular(("run", run_id)), "COMPONENT")
                for trial_id, run_id in rows
            ]
        return steps

    def _chunked(self, query: Any, column: Any, values: list[Any]) -> list[Any]:
        rows: list[Any] = []
        for chunk in chunks(values):
            rows += self._connection.execute(query.where(column.in_(chunk))).all()
        return rows

    # -- naming and describing ---------------------------------------------------------------------

    def wanted(self, key: Key, walk: Walk) -> bool:
        """Whether the node is shown (``node_types``); the walk passes through every node."""
        return walk.node_types is None or NodeType(key[0]) in walk.node_types

    def node_id(self, key: Key) -> str:
        """The node id of a key."""
        name = self._names.get(key)
        if name is None:
            name = self._names[key] = self._name(key)
        return name

    def _name(self, key: Key) -> str:
        kind = key[0]
        if kind == "run":
            return f"run:{key[1]}"
        if kind == "dataset":
            namespace, name, _ = self._dataset(key[1])
            return str(dataset_node(namespace, name, key[2] if key[2] not in ("", _ALL) else None))
        if kind == "job":
            namespace, name = self._job(key[1])
            return str(NodeId(NodeType.JOB, (namespace, name)))
        if kind == "context":
            found = self._connection.execute(
                select(t.context.c.name).where(t.context.c.id == key[1])
            ).scalar_one()
            return str(NodeId(NodeType.CONTEXT, (found,)))
        if kind == "experiment":
            found = self._connection.execute(
                select(t.experiment.c.name).where(t.experiment.c.id == key[1])
            ).scalar_one()
            return str(NodeId(NodeType.EXPERIMENT, (found,)))
        tr, e = t.trial.c, t.experiment.c
        experiment, trial = self._connection.execute(
            select(e.name, tr.name).join(t.experiment, e.id == tr.experiment_id).where(tr.id == key[1])
        ).one()
        return str(NodeId(NodeType.TRIAL, (experiment, trial)))

    def prefetch_names(self, keys: Iterable[Key]) -> None:
        """Read the names of all these datasets and jobs at once (sorting needs every node's id)."""
        datasets = {key[1] for key in keys if key[0] == "dataset"} - self._datasets.keys()
        jobs = {key[1] for key in keys if key[0] == "job"} - self._jobs.keys()
        d, j = t.dataset.c, t.job.c
        for dataset_id, namespace, name, uri in self._chunked(
            select(d.id, d.namespace, d.name, d.uri), d.id, sorted(datasets)
        ):
            self._datasets[dataset_id] = (namespace, name, uri)
        for job_id, namespace, name in self._chunked(select(j.id, j.namespace, j.name), j.id, sorted(jobs)):
            self._jobs[job_id] = (namespace, name)

    def _dataset(self, dataset_id: int) -> tuple[str, str, str]:
        if dataset_id not in self._datasets:
            d = t.dataset.c
            self._datasets[dataset_id] = tuple(
                self._connection.execute(select(d.namespace, d.name, d.uri).where(d.id == dataset_id)).one()
            )
        return self._datasets[dataset_id]

    def _job(self, job_id: int) -> tuple[str, str]:
        if job_id not in self._jobs:
            j = t.job.c
            self._jobs[job_id] = tuple(
                self._connection.execute(select(j.namespace, j.name).where(j.id == job_id)).one()
            )
        return self._jobs[job_id]

    def describe(self, keys: Sequence[Key]) -> dict[Key, dict[str, Any]]:
        """What a page shows of each node."""
        runs = [key[1] for key in keys if key[0] == "run"]
        r, j = t.lineage_run.c, t.job.c
        described: dict[Key, dict[str, Any]] = {}
        if runs:
            for run_id, state, start, end, namespace, name in self._chunked(
                select(r.id, r.state, r.start_time, r.end_time, j.namespace, j.name).join(
                    t.job, j.id == r.job_id
                ),
                r.id,
                runs,
            ):
                described[("run", run_id)] = {
                    "run_id": str(run_id),
                    "job": {"namespace": namespace, "name": name},
                    "state": state,
                    "start_time": start,
                    "end_time": end,
                }
        for key in keys:
            if key in described:
                continue
            if key[0] == "run":  # named by an event's version facet, never seen as a run itself
                described[key] = {"run_id": str(key[1])}
            elif key[0] == "dataset":
                namespace, name, uri = self._dataset(key[1])
                version = None if key[2] in ("", _ALL) else key[2]
                described[key] = {"namespace": namespace, "name": name, "uri": uri, "version": version}
            elif key[0] == "job":
                namespace, name = self._job(key[1])
                described[key] = {"namespace": namespace, "name": name}
            else:
                described[key] = {"name": self.node_id(key).split(":", 1)[1]}
        return described


_ALL = "*"
"""The version of a dataset named without one: every version (walking down), the latest (walking up)."""


def _as_uuid(value: Any) -> UUID:
    """A run id as read back: a UUID, or its hex on SQLite when read through a subquery."""
    return value if isinstance(value, UUID) else UUID(value)
