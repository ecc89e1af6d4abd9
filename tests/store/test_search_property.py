"""Property-based tests of search: the store agrees with a brute-force evaluator on both backends.

Each Hypothesis example loads a small random dataset into a fresh database, then renders random
filter trees to text (so the parser runs too), and checks ``search_trials``/``search_runs``
against ``brute_force`` (tests/support/brute_force.py): the set of matches for filters, the exact
order for sorted queries, and that paging with page tokens yields exactly the full result.
Deterministic tests pin down the tricky semantics, and hostile strings must stay plain data.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import shutil
import string
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import brute_force as bf
import psycopg
import pytest
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st
from hypothesis.strategies import DrawFn
from postgres import PostgresServer
from psycopg import sql
from sqlalchemy import create_engine, func, inspect, select, table

from mltrail.core.entities import RunKind
from mltrail.core.errors import QuerySyntaxError
from mltrail.core.naming import dataset_from_uri
from mltrail.core.query import (
    And,
    Comparison,
    Expr,
    Identifier,
    InList,
    IsNull,
    Not,
    Or,
    OrderKey,
    parse_filter,
    parse_order_by,
)
from mltrail.core.query.ast import format_literal
from mltrail.store.store import Store

# -- backends: a fresh database per Hypothesis example ---------------------------------------------

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]
MAX_EXAMPLES = {"sqlite": 40, "postgres": 25}
# Hunt for bugs with more examples: MLTRAIL_SEARCH_EXAMPLES_SCALE=10 pytest tests/store/...
EXAMPLES_SCALE = float(os.environ.get("MLTRAIL_SEARCH_EXAMPLES_SCALE", "1"))
# Shrinking reloads a database per step and can take Hypothesis's full 5 minutes; MLTRAIL_SEARCH_SHRINK=0
# reports the first failing example unshrunk.
SHRINK = os.environ.get("MLTRAIL_SEARCH_SHRINK", "1") != "0"


class FreshDatabases:
    """Hands out stores on new, empty databases and removes each database afterwards."""

    def __init__(self, backend: str, server: PostgresServer | None) -> None:
        self.backend = backend
        self.server = server

    @contextmanager
    def store(self) -> Iterator[Store]:
        if self.server is None:
            folder = tempfile.mkdtemp(prefix="mltrail-search-")
            try:
                with Store(f"sqlite:///{folder}/x.db") as store:
                    yield store
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            return
        url = self.server.create_database()
        try:
            with Store(url) as store:
                yield store
        finally:
            name = url.rsplit("/", 1)[1]
            with psycopg.connect(
                host="127.0.0.1", port=self.server.port, user="postgres", dbname="postgres", autocommit=True
            ) as conn:
                conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))

    def settings(self) -> settings:
        return settings(
            max_examples=max(1, round(MAX_EXAMPLES[self.backend] * EXAMPLES_SCALE)),
            deadline=None,
            report_multiple_bugs=False,
            phases=tuple(Phase) if SHRINK else tuple(p for p in Phase if p is not Phase.shrink),
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )


@pytest.fixture(params=BACKENDS)
def databases(request: pytest.FixtureRequest) -> FreshDatabases:
    server = request.getfixturevalue("postgres_server") if request.param == "postgres" else None
    return FreshDatabases(request.param, server)


# -- the data ------------------------------------------------------------------------------------

EXPERIMENTS = ("exp-a", "exp b'é")
BASE_TIME = 1_700_000_000_000
METRIC_KEYS = ("loss", "acc", "val.auc", "x.max", "m s")
TAG_KEYS = ("team", "note", "mlflow.runName", 't"q')
URIS = (
    "s3://b/x1.csv",
    "s3://b/x2.csv",
    "s3://b/X1.csv",
    "s3://b/dir/x_1.csv",
    "gs://g/y%z.parquet",
    "/data/a.csv",
)
CANONICAL_URIS = tuple(dataset_from_uri(uri).uri for uri in URIS)
STATUSES = ("InProgress", "Completed", "Failed")

# No character whose lower case is ASCII (e.g. KELVIN SIGN): SQLite folds ASCII only, and so do we.
ALPHABET = "abcxyzABCXYZ019 %_\\'\"-;éÉßñ中🎉א"
SPECIAL_TEXTS = (
    "adam",
    "Adam",
    "ADAM",
    "sgd",
    "",
    "1",
    "1.0",
    "-0.5",
    "true",
    "false",
    "nan",
    "a'b",
    'say "hi"',
    "50%",
    "a_b",
    "back\\slash",
    "%",
    "_",
    "naïve",
    "日本語",
    "עברית",
    "🎉 party",
    "x y",
    "-- ;",
    "' OR 1=1 --",
    "z",
)
texts = st.sampled_from(SPECIAL_TEXTS) | st.text(ALPHABET, max_size=5)
ints = st.integers(-5, 5) | st.sampled_from((10, 100, -100, 2**40))
floats = st.sampled_from(
    (0.0, -0.0, 0.5, -0.5, 1.0, 2.0, 1e-05, -2.5, 3.25, 1e20, math.inf, -math.inf, math.nan)
) | st.floats(-100, 100, allow_nan=False, allow_subnormal=False)
any_value = st.one_of(ints, floats, st.booleans(), texts)
PARAM_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "lr": floats,
    "depth": ints,
    "opt": texts,
    "flag": st.booleans(),
    "mixed": any_value,
    "odd key": any_value,
    "dotted.k-v/x": ints | texts,
    "q`t": any_value,
}
PARAM_KEYS = tuple(PARAM_VALUES)
metric_values = st.sampled_from(
    (0.0, 0.5, 1.0, -1.0, 0.9, 0.95, 2.5, 1e10, math.nan, math.inf, -math.inf)
) | st.floats(-10, 10, allow_nan=False, allow_subnormal=False)
points = st.tuples(metric_values, st.integers(0, 3), st.integers(0, 2))
nonfinite = st.tuples(st.sampled_from((math.nan, math.inf, -math.inf)), st.integers(0, 3), st.integers(0, 2))
# A third of the series have a NULL aggregate: a NaN last value, or no finite point for min/max/avg.
series_points = st.one_of(
    st.lists(points, min_size=1, max_size=4),
    st.lists(points, max_size=3).map(lambda values: [*values, (math.nan, 4, 0)]),
    st.lists(nonfinite, min_size=1, max_size=2),
)


@dataclass
class RunSpec:
    """One trial with its one run, as written to the store."""

    index: int
    run_id: uuid.UUID
    experiment: str
    trial: str
    name: str
    kind: str
    start_time: int
    end_time: int | None
    status: str
    params: dict[str, Any]
    late_params: dict[str, Any]
    tags: dict[str, str]
    late_tags: dict[str, str]
    batches: list[list[tuple[str, float, int, int]]]
    metrics_at_end: bool
    inputs: list[str]
    outputs: list[str]


@st.composite
def datasets(draw: DrawFn) -> list[RunSpec]:
    count = draw(st.integers(5, 25))
    run_ids = draw(st.lists(st.uuids(), min_size=count, max_size=count, unique=True))
    specs = []
    for index, run_id in enumerate(run_ids):
        params = draw(st.fixed_dictionaries({}, optional=PARAM_VALUES))
        late = draw(st.sets(st.sampled_from(PARAM_KEYS))) if params else set()
        tags = draw(st.fixed_dictionaries({}, optional={key: texts for key in TAG_KEYS}))
        late_tags = draw(st.sets(st.sampled_from(TAG_KEYS))) if tags else set()
        series = draw(st.fixed_dictionaries({}, optional={key: series_points for key in METRIC_KEYS}))
        flat = [(key, *point) for key, values in series.items() for point in values]
        cut = draw(st.integers(0, len(flat)))
        batches = [batch for batch in (flat[:cut], flat[cut:]) if batch]
        status = draw(st.sampled_from(STATUSES))
        start = BASE_TIME + 1000 * draw(st.integers(0, 12))
        ended = status != "InProgress"
        specs.append(
            RunSpec(
                index=index,
                run_id=run_id,
                experiment=draw(st.sampled_from(EXPERIMENTS)),
                trial=f"{draw(st.sampled_from(('t', 'T', 'é', 't_', 'a%')))}{index:02d}",
                name=f"{draw(st.sampled_from(('r', 'R', 'ü', 'r_')))}{index:02d}",
                kind=draw(st.sampled_from([k.value for k in RunKind])),
                start_time=start,
                end_time=start + draw(st.sampled_from((0, 1, 500, 1000, 1500, 60_000, 123_456)))
                if ended
                else None,
                status=status,
                params={k: v for k, v in params.items() if k not in late},
                late_params={k: v for k, v in params.items() if k in late},
                tags={k: v for k, v in tags.items() if k not in late_tags},
                late_tags={k: v for k, v in tags.items() if k in late_tags},
                batches=batches,
                metrics_at_end=ended and bool(batches) and draw(st.booleans()),
                inputs=draw(st.lists(st.sampled_from(URIS), unique=True, max_size=3)),
                outputs=draw(st.lists(st.sampled_from(URIS), unique=True, max_size=2)),
            )
        )
    return specs


def load(store: Store, specs: Sequence[RunSpec]) -> None:
    for spec in specs:
        store.start_run(
            run_id=spec.run_id,
            experiment=spec.experiment,
            trial=spec.trial,
            name=spec.name,
            kind=spec.kind,
            start_time=spec.start_time,
            params=spec.params,
            tags=spec.tags,
        )
        if spec.late_params:
            store.log_params(spec.run_id, spec.late_params)
        if spec.late_tags:
            store.set_tags(spec.run_id, spec.late_tags)
        logged = spec.batches[:-1] if spec.metrics_at_end else spec.batches
        for batch in logged:
            store.log_metrics(spec.run_id, batch)
        for uris, direction in ((spec.inputs, "input"), (spec.outputs, "output")):
            if uris:
                store.log_datasets(spec.run_id, [dataset_from_uri(uri) for uri in uris], direction=direction)
        if spec.status != "InProgress":
            store.end_run(
                spec.run_id,
                status=spec.status,
                end_time=spec.end_time,
                metrics=spec.batches[-1] if spec.metrics_at_end else (),
            )


def items_of(specs: Sequence[RunSpec], target: str) -> list[bf.Item]:
    """The brute-force view of the dataset: one item per trial, or per run."""
    items = []
    for spec in specs:
        metrics = {}
        for key in METRIC_KEYS:
            batches = [[(v, s, ts) for k, v, s, ts in batch if k == key] for batch in spec.batches]
            batches = [batch for batch in batches if batch]
            if batches:
                metrics[key] = bf.metric_summary(batches)
        params = spec.params | spec.late_params
        runs = target == "runs"
        items.append(
            bf.Item(
                id=spec.run_id if runs else spec.index,
                name=spec.name if runs else spec.trial,
                experiment=spec.experiment,
                status=spec.status,
                start_time=spec.start_time,
                end_time=spec.end_time,
                params={key: bf.param_cell(value) for key, value in params.items()},
                metrics=metrics,
                tags=spec.tags | spec.late_tags,
                inputs=tuple(dataset_from_uri(uri).uri for uri in spec.inputs),
                outputs=tuple(dataset_from_uri(uri).uri for uri in spec.outputs),
                kind=spec.kind if runs else None,
                trials=(spec.trial,) if runs else None,
            )
        )
    return items


@dataclass
class Pools:
    """Values present in the data, to draw literals from (and near)."""

    items: list[bf.Item]
    params: dict[str, list[bf.ParamCell]] = field(default_factory=dict)
    metrics: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    tags: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for item in self.items:
            for key, cell in item.params.items():
                self.params.setdefault(key, []).append(cell)
            for key, summary in item.metrics.items():
                for aggregate, value in summary.items():
                    if value is not None and math.isfinite(value):
                        self.metrics.setdefault((key, aggregate), []).append(value)
            for key, value in item.tags.items():
                self.tags.setdefault(key, []).append(value)

    def attribute(self, name: str) -> list[Any]:
        if name == "trial" and self.items[0].is_run:
            return [trial for item in self.items for trial in item.trials or ()]
        return [v for item in self.items if (v := item.attribute(name)) is not None]


# -- rendering: AST pieces to filter text, with every spelling the grammar allows -------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-/]*")
_ATTRIBUTE_ALIASES = {"name": ("run_name",), "start_time": ("created",), "id": ("run_id",)}


class Renderer:
    """Turns identifiers, literals and keywords into text, drawing the spelling at random."""

    def __init__(self, draw: DrawFn) -> None:
        self.draw = draw

    def choice(self, options: Sequence[Any]) -> Any:
        return self.draw(st.sampled_from(options))

    def keyword(self, word: str) -> str:
        return " ".join(self.choice((w.upper(), w.lower(), w.title())) for w in word.split())

    def key(self, namespace: str, key: str) -> str:
        bare_ok = bool(_BARE_KEY.fullmatch(key)) and not (
            namespace == "metrics" and "." in key and key.rpartition(".")[2] in bf.AGGREGATES
        )
        options = ["backtick", "double"] + (["bare", "bare"] if bare_ok else [])
        style = self.choice(options)
        if style == "bare":
            return key
        if style == "backtick":
            return "`" + key.replace("`", "``") + "`"
        doubled = self.draw(st.booleans())
        escaped = key.replace("\\", "\\\\").replace('"', '""' if doubled else '\\"')
        return '"' + escaped + '"'

    def identifier(self, ident: Identifier) -> str:
        if ident.namespace in ("params", "tags"):
            return f"{ident.namespace}.{self.key(ident.namespace, ident.key)}"
        if ident.namespace == "metrics":
            suffix = f".{ident.aggregate}" if ident.aggregate != "last" or self.draw(st.booleans()) else ""
            return f"metrics.{self.key('metrics', ident.key)}{suffix}"
        if ident.namespace in ("inputs", "outputs"):
            return f"{ident.namespace}.uri"
        names = (ident.key, *_ATTRIBUTE_ALIASES.get(ident.key, ()))
        name = self.choice(names)
        prefix = self.choice(("", "", "attr.", "attributes.", "attribute.", "run."))
        return prefix + name

    def string(self, value: str) -> str:
        """Quote a string in single or double quotes, escaping by doubling or with backslashes."""
        quote = self.choice(("'", '"'))
        doubled = self.draw(st.booleans())
        lazy_backslash = self.draw(st.booleans())  # a backslash before an ordinary char may stay bare
        out = [quote]
        for i, char in enumerate(value):
            following = value[i + 1] if i + 1 < len(value) else None
            if char == quote:
                out.append(quote * 2 if doubled else "\\" + quote)
            elif char == "\\":
                bare = lazy_backslash and following is not None and following not in "'\"\\"
                out.append("\\" if bare else "\\\\")
            else:
                out.append(char)
        out.append(quote)
        return "".join(out)

    def number(self, value: int | float) -> str:
        if isinstance(value, int):
            return self.choice((str(value), f"+{value}")) if value >= 0 else str(value)
        return repr(value)

    def literal(self, value: Any) -> str:
        if isinstance(value, bool):
            return self.keyword("true" if value else "false")
        if isinstance(value, (int, float)):
            return self.number(value)
        return self.string(value)


# -- random filters --------------------------------------------------------------------------------

COMPARE_OPS = ("=", "!=", "<", "<=", ">", ">=")
LIKE_OPS = ("LIKE", "ILIKE", "NOT LIKE", "NOT ILIKE")
OP_SPELLINGS = {"=": ("=", "=="), "!=": ("!=", "<>")}
STATUS_SPELLINGS = {
    "InProgress": ("InProgress", "in progress", "IN_PROGRESS", "running", "Scheduled", "in-progress"),
    "Completed": ("Completed", "COMPLETED", "finished", "FINISHED"),
    "Failed": ("Failed", "FAILED", "failed"),
    "Stopped": ("Stopped", "killed", "KILLED"),
}
_ASCII = frozenset(string.printable)


def escape_like(text: str) -> str:
    return re.sub(r"([%_\\])", r"\\\1", text)


def iso(millis: int) -> str:
    return datetime.fromtimestamp(millis / 1000, tz=UTC).isoformat(timespec="milliseconds")


@dataclass
class Node:
    """A generated filter tree, its text, and what it is (for parenthesising)."""

    expr: Expr
    text: str
    kind: str  # "atom", "and", "or", "not"


class FilterGen:
    """Draws random filter trees over the keys and values of a dataset, rendered to text."""

    def __init__(self, draw: DrawFn, pools: Pools, target: str) -> None:
        self.draw = draw
        self.pools = pools
        self.target = target
        self.render = Renderer(draw)

    def choice(self, options: Sequence[Any]) -> Any:
        return self.draw(st.sampled_from(options))

    # structure

    def tree(self, depth: int = 0) -> Node:
        kind = self.choice(("atom", "atom", "atom", "and", "or", "not")) if depth < 3 else "atom"
        if kind == "atom":
            return self.predicate()
        if kind == "not":
            child = self.tree(depth + 1)
            wrap = child.kind in ("and", "or") or self.draw(st.booleans())
            return Node(
                Not(child.expr), f"{self.render.keyword('NOT')} {self._paren(child.text, wrap)}", "not"
            )
        children = [self.tree(depth + 1) for _ in range(self.draw(st.integers(2, 3)))]
        texts = []
        for child in children:
            # OR inside AND needs parentheses; AND inside OR does not (AND binds tighter).
            needed = kind == "and" and child.kind == "or"
            texts.append(self._paren(child.text, needed or self.draw(st.booleans())))
        joiner = f" {self.render.keyword(kind.upper())} "
        expr = (And if kind == "and" else Or)(tuple(child.expr for child in children))
        return Node(expr, joiner.join(texts), kind)

    @staticmethod
    def _paren(text: str, wrap: bool) -> str:
        return f"({text})" if wrap else text

    # predicates

    def predicate(self) -> Node:
        namespace = self.choice(
            (
                "params",
                "params",
                "params",
                "metrics",
                "metrics",
                "tags",
                "tags",
                "attributes",
                "attributes",
                "uri",
            )
        )
        return getattr(self, f"_{namespace}")()

    def on_key(self, ident: Identifier) -> Node:
        """A predicate on the key of ``ident`` (a param, tag or metric with any aggregate)."""
        return getattr(self, f"_{ident.namespace}")(ident.key)

    def _params(self, key: str | None = None) -> Node:
        ident = Identifier("params", key or self.choice((*PARAM_KEYS, "absent")))
        cells = self.pools.params.get(ident.key, [])
        op = self.choice((*COMPARE_OPS, *LIKE_OPS, "IN", "NOT IN", "IS NULL", "IS NOT NULL"))
        nums = [c.num for c in cells if c.num is not None]
        texts_ = [c.text for c in cells]
        if op in LIKE_OPS:
            return self._compare(ident, op, self._pattern(texts_, fold="ILIKE" in op))
        if op in ("IN", "NOT IN"):
            kind = self.choice(("number", "string"))
            make = (lambda: self._number(nums)) if kind == "number" else (lambda: self._string(texts_))
            return self._in(ident, op, make)
        if op.startswith("IS"):
            return self._is_null(ident, op)
        kinds = ("number", "string", "bool") if op in ("=", "!=") else ("number", "string")
        kind = self.choice(kinds)
        if kind == "bool":
            value: Any = self.draw(st.booleans())
        elif kind == "number":
            value = self._number(nums)
        else:
            value = self._string(texts_)
        return self._compare(ident, op, value)

    def _metrics(self, key: str | None = None) -> Node:
        aggregate = self.choice(bf.AGGREGATES)
        ident = Identifier("metrics", key or self.choice((*METRIC_KEYS, "absent")), aggregate)
        values = self.pools.metrics.get((ident.key, aggregate), [])
        op = self.choice((*COMPARE_OPS, "IN", "NOT IN", "IS NULL", "IS NOT NULL"))
        if op in ("IN", "NOT IN"):
            return self._in(ident, op, lambda: self._number(values))
        if op.startswith("IS"):
            return self._is_null(ident, op)
        return self._compare(ident, op, self._number(values))

    def _tags(self, key: str | None = None) -> Node:
        ident = Identifier("tags", key or self.choice((*TAG_KEYS, "absent")))
        return self._string_predicate(ident, self.pools.tags.get(ident.key, []))

    def _uri(self) -> Node:
        ident = Identifier(self.choice(("inputs", "outputs")), "uri")
        values = list(CANONICAL_URIS) + ["s3://b/x1.csv.bak", "s3://b"]
        return self._string_predicate(ident, values, ordered=False)

    def _attributes(self) -> Node:
        names = ["name", "status", "experiment", "trial", "start_time", "end_time", "duration"]
        if self.target == "runs":
            names += ["kind", "id"]
        name = self.choice(names)
        ident = Identifier("attributes", name)
        if name in ("name", "experiment", "trial"):
            return self._string_predicate(ident, self.pools.attribute(name))
        if name == "status":
            return self._enum_predicate(ident, list(STATUS_SPELLINGS), STATUS_SPELLINGS)
        if name == "kind":
            kinds = [k.value for k in RunKind]
            return self._enum_predicate(ident, kinds, {k: (k, k.upper(), k.title()) for k in kinds})
        if name == "id":
            return self._id_predicate(ident)
        values = self.pools.attribute(name)
        op = self.choice((*COMPARE_OPS, "IN", "NOT IN", "IS NULL", "IS NOT NULL"))
        if op.startswith("IS"):
            return self._is_null(ident, op)
        as_iso = name != "duration" and self.draw(st.booleans())

        def value() -> Any:
            if name == "duration":
                return self._number(values)
            base = self.choice(values) if values else BASE_TIME
            return base + self.choice((0, 0, 1, -1, 1000, -1000, 499))

        if op in ("IN", "NOT IN"):
            return self._in(ident, op, value, as_iso=as_iso)
        return self._compare(ident, op, value(), as_iso=as_iso)

    def _string_predicate(self, ident: Identifier, values: list[str], *, ordered: bool = True) -> Node:
        ops = (
            *(COMPARE_OPS if ordered else ("=", "!=")),
            *LIKE_OPS,
            "IN",
            "NOT IN",
            "IS NULL",
            "IS NOT NULL",
        )
        op = self.choice(ops)
        if op in LIKE_OPS:
            return self._compare(ident, op, self._pattern(values, fold="ILIKE" in op))
        if op in ("IN", "NOT IN"):
            return self._in(ident, op, lambda: self._string(values))
        if op.startswith("IS"):
            return self._is_null(ident, op)
        return self._compare(ident, op, self._string(values))

    def _enum_predicate(
        self, ident: Identifier, values: list[str], spellings: dict[str, Sequence[str]]
    ) -> Node:
        op = self.choice(("=", "!=", "IN", "NOT IN", *LIKE_OPS, "IS NULL"))
        if op in LIKE_OPS:  # LIKE sees the stored spelling, not a normalised one
            return self._compare(ident, op, self._pattern(values, fold="ILIKE" in op))
        if op == "IS NULL":
            return self._is_null(ident, op)
        if op in ("IN", "NOT IN"):
            chosen = self.draw(st.lists(st.sampled_from(values), min_size=1, max_size=3))
            shown = [self.render.string(self.choice(spellings[v])) for v in chosen]
            return self._node_in(ident, op, tuple(chosen), shown)
        value = self.choice(values)
        return self._node_compare(ident, op, value, self.render.string(self.choice(spellings[value])))

    def _id_predicate(self, ident: Identifier) -> Node:
        ids = [item.id for item in self.pools.items] + [uuid.UUID(int=12345)]
        op = self.choice(("=", "!=", "IN", "NOT IN", "IS NULL", "IS NOT NULL"))
        if op.startswith("IS"):
            return self._is_null(ident, op)

        def form(value: uuid.UUID) -> str:
            text = str(value)
            return self.choice((text, value.hex, text.upper(), "{" + text + "}", "urn:uuid:" + text))

        if op in ("IN", "NOT IN"):
            chosen = self.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3))
            forms = [form(v) for v in chosen]
            return self._node_in(ident, op, tuple(forms), [self.render.string(f) for f in forms])
        text = form(self.choice(ids))
        return self._node_compare(ident, op, text, self.render.string(text))

    # literals

    def _number(self, values: Sequence[float]) -> int | float:
        finite = [v for v in values if math.isfinite(v)]
        if finite and self.draw(st.integers(0, 3)):
            value = self.choice(finite) + self.choice((0, 0, 0, 0.5, -0.5, 1, -1))
            if self.draw(st.booleans()) and float(value).is_integer() and abs(value) < 2**53:
                return int(value)
            return float(value)
        return self.draw(st.integers(-3, 3) | st.sampled_from((0.9, -0.5, 2.5, 1e-05, 4.0)))

    def _string(self, values: Sequence[str]) -> str:
        if values and self.draw(st.integers(0, 3)):
            value = self.choice(values)
            return self.choice(
                (value, value, value + "x", value[:-1], value[1:], value.upper(), value.lower())
            )
        return self.draw(texts)

    def _pattern(self, values: Sequence[str], *, fold: bool) -> str:
        """A LIKE pattern that may or may not match some of ``values``."""
        text = self.choice(values) if values and self.draw(st.integers(0, 4)) else self.draw(texts)
        style = self.choice(("exact", "prefix", "suffix", "infix", "blanks", "raw", "anything"))
        cut = self.draw(st.integers(0, len(text)))
        if style == "exact":
            pattern = escape_like(text)
        elif style == "prefix":
            pattern = escape_like(text[:cut]) + "%"
        elif style == "suffix":
            pattern = "%" + escape_like(text[cut:])
        elif style == "infix":
            pattern = "%" + escape_like(text[cut : cut + 2]) + "%"
        elif style == "blanks":  # some characters become '_'
            blanks = self.draw(st.sets(st.integers(0, max(0, len(text) - 1)), max_size=2))
            pattern = "".join("_" if i in blanks else escape_like(c) for i, c in enumerate(text))
        elif style == "raw":  # '%' and '_' in the data act as wildcards; backslashes stay literal
            pattern = text.replace("\\", "\\\\")
        else:
            pattern = "%"
        if fold:  # ILIKE: ASCII only (SQLite's lower() folds ASCII only), in a random case
            pattern = "".join(c if c in _ASCII else "_" for c in pattern)
            pattern = self.choice((pattern, pattern.upper(), pattern.lower(), pattern.swapcase()))
        return pattern

    # nodes

    def _compare(self, ident: Identifier, op: str, value: Any, *, as_iso: bool = False) -> Node:
        shown = self._iso(value) if as_iso else self.render.literal(value)
        return self._node_compare(ident, op, value, shown)

    def _iso(self, millis: int) -> str:
        """An ISO 8601 string literal for a time: UTC offset, ``Z`` or naive (read as UTC)."""
        text = iso(millis)
        return self.render.string(text.replace("+00:00", self.choice(("+00:00", "Z", ""))))

    def _node_compare(self, ident: Identifier, op: str, value: Any, shown: str) -> Node:
        op_text = self.choice(OP_SPELLINGS.get(op, (op,)))
        if op in LIKE_OPS:
            op_text = self.render.keyword(op)
        expr = Comparison(ident, op, value)  # type: ignore[arg-type]
        return Node(expr, f"{self.render.identifier(ident)} {op_text} {shown}", "atom")

    def _in(self, ident: Identifier, op: str, make: Callable[[], Any], *, as_iso: bool = False) -> Node:
        values = tuple(make() for _ in range(self.draw(st.integers(1, 4))))
        shown = [self._iso(v) if as_iso else self.render.literal(v) for v in values]
        return self._node_in(ident, op, values, shown)

    def _node_in(self, ident: Identifier, op: str, values: tuple[Any, ...], shown: list[str]) -> Node:
        expr = InList(ident, values, negated=op == "NOT IN")
        separator = self.choice((", ", ",", " , "))
        text = f"{self.render.identifier(ident)} {self.render.keyword(op)} ({separator.join(shown)})"
        return Node(expr, text, "atom")

    def _is_null(self, ident: Identifier, op: str) -> Node:
        expr = IsNull(ident, negated=op == "IS NOT NULL")
        return Node(expr, f"{self.render.identifier(ident)} {self.render.keyword(op)}", "atom")


def order_keys(draw: DrawFn, target: str) -> tuple[list[OrderKey], list[str] | str]:
    """Draw 0–3 distinct sort keys and render them as one string or a list of strings."""
    candidates: list[Identifier] = [Identifier("params", key) for key in PARAM_KEYS]
    candidates += [Identifier("metrics", key, agg) for key in METRIC_KEYS for agg in bf.AGGREGATES]
    candidates += [Identifier("tags", key) for key in TAG_KEYS]
    attributes = ["name", "status", "experiment", "start_time", "end_time", "duration"]
    attributes += ["kind", "id"] if target == "runs" else ["trial"]
    candidates += [Identifier("attributes", name) for name in attributes]
    chosen = draw(st.lists(st.sampled_from(candidates), max_size=3, unique=True))
    render = Renderer(draw)
    keys, items = [], []
    for ident in chosen:
        direction = draw(st.sampled_from(("", "ASC", "DESC")))
        keys.append(OrderKey(ident, descending=direction == "DESC"))
        items.append(render.identifier(ident) + (f" {render.keyword(direction)}" if direction else ""))
    return keys, items if draw(st.booleans()) else ", ".join(items)


# -- comparing ASTs ------------------------------------------------------------------------------


def normalize(expr: Any) -> Any:
    """Drop positions and flatten nested AND/OR, as the parser does."""
    if isinstance(expr, (And, Or)):
        items: list[Any] = []
        for item in expr.items:
            item = normalize(item)
            items.extend(item.items if type(item) is type(expr) else (item,))
        return type(expr)(tuple(items))
    if isinstance(expr, Not):
        return Not(normalize(expr.item))
    if isinstance(expr, (Comparison, InList, IsNull)):
        ident = dataclasses.replace(expr.identifier, position=0)
        return dataclasses.replace(expr, identifier=ident, position=0)
    return expr


# -- the property tests ----------------------------------------------------------------------------


def search(store: Store, target: str, **kwargs: Any) -> Any:
    return (store.search_trials if target == "trials" else store.search_runs)(**kwargs)


def scope(draw: DrawFn, specs: Sequence[RunSpec]) -> list[str] | None:
    present = sorted({spec.experiment for spec in specs})
    return draw(st.sampled_from([None, present[:1], present]))


def in_scope(items: list[bf.Item], experiments: list[str] | None) -> list[bf.Item]:
    return [item for item in items if experiments is None or item.experiment in experiments]


FILTERS_PER_EXAMPLE = 8
SORTS_PER_EXAMPLE = 4


def bucket(found: int, total: int) -> str:
    return "none" if found == 0 else "all" if found == total else "some"


def test_filters_match_brute_force(databases: FreshDatabases) -> None:
    @databases.settings()
    @given(st.data())
    def check(data: st.DataObject) -> None:
        specs = data.draw(datasets(), label="dataset")
        with databases.store() as store:
            load(store, specs)
            for index in range(FILTERS_PER_EXAMPLE):
                target = ("trials", "runs")[index % 2]
                items = items_of(specs, target)
                node = FilterGen(data.draw, Pools(items), target).tree()
                experiments = scope(data.draw, specs)
                note(f"{target} in {experiments}: {node.text}")
                assert normalize(parse_filter(node.text)) == normalize(node.expr), node.text
                scoped = in_scope(items, experiments)
                expected = sorted(item.name for item in scoped if bf.matches(node.expr, item))
                event(f"filter matches {bucket(len(expected), len(scoped))} of the {target}")
                page = search(store, target, experiment=experiments, filter=node.text, max_results=1000)
                got = sorted(found.name for found in page)
                assert got == expected, node.text
                assert page.next_page_token is None

    check()


def test_sorted_pages_match_brute_force(databases: FreshDatabases) -> None:
    @databases.settings()
    @given(st.data())
    def check(data: st.DataObject) -> None:
        specs = data.draw(datasets(), label="dataset")
        with databases.store() as store:
            load(store, specs)
            for index in range(SORTS_PER_EXAMPLE):
                target = ("trials", "runs")[index % 2]
                items = items_of(specs, target)
                keys, order_text = order_keys(data.draw, target)
                generate = FilterGen(data.draw, Pools(items), target)
                node = generate.tree() if data.draw(st.booleans()) else None
                first = keys[0].identifier if keys else None
                if first and first.namespace in ("params", "metrics", "tags") and data.draw(st.booleans()):
                    # A top-level conjunct on the first sort key takes the single-phase path
                    # (the filter is applied to the sort join, and phase 2 may be skipped).
                    extra = generate.on_key(first)
                    if node is None:
                        node = extra
                    else:
                        wrapped = f"({node.text})" if node.kind == "or" else node.text
                        rest = node.expr.items if isinstance(node.expr, And) else (node.expr,)
                        node = Node(And((extra.expr, *rest)), f"{extra.text} AND {wrapped}", "and")
                text = node.text if node else None
                experiments = scope(data.draw, specs)
                size = data.draw(st.integers(3, 7), label="page size")
                note(f"{target} in {experiments}: filter={text!r} order_by={order_text!r} pages of {size}")
                parsed = [
                    (dataclasses.replace(k.identifier, position=0), k.descending)
                    for k in parse_order_by(order_text)
                ]
                assert parsed == [(k.identifier, k.descending) for k in keys], order_text
                if node is not None:
                    assert normalize(parse_filter(node.text)) == normalize(node.expr), node.text
                matched = [
                    item
                    for item in in_scope(items, experiments)
                    if bf.matches(node.expr if node else None, item)
                ]
                expected = bf.sort_items(matched, keys)
                by_name = {item.name: item for item in items}

                full = search(
                    store, target, experiment=experiments, filter=text, order_by=order_text, max_results=1000
                )
                names = [found.name for found in full]
                assert full.next_page_token is None
                assert len(set(names)) == len(names)

                pages: list[str] = []
                token = None
                while True:
                    page = search(
                        store,
                        target,
                        experiment=experiments,
                        filter=text,
                        order_by=order_text,
                        max_results=size,
                        page_token=token,
                    )
                    pages += [found.name for found in page]
                    token = page.next_page_token
                    if token is None:
                        assert len(page) <= size and (len(page) > 0 or not pages)
                        break
                    assert len(page) == size
                    assert len(pages) <= len(names)
                assert pages == names

                event(f"sorted {target}: {max(1, -(-len(names) // size))} page(s) of {size}")
                assert sorted(names) == sorted(item.name for item in expected)
                assert [bf.sort_values(by_name[n], keys) for n in names] == [
                    bf.sort_values(item, keys) for item in expected
                ]
                assert names == [item.name for item in expected]

    check()


# -- hostile strings -------------------------------------------------------------------------------

HOSTILE = (
    "'",
    '"',
    "';",
    "--",
    "/* */",
    "%",
    "_",
    "\\",
    "\\'",
    "a%b_c\\d",
    "' OR 1=1 --",
    "' OR '1'='1",
    "Robert'); DROP TABLE trial;--",
    '"; DROP TABLE run; --',
    "x'); DELETE FROM run_param; --",
    "%(name)s ? $1 :p",
    "``",
    "🎉🚀 emoji",
    "日本語の試験",
    "עברית ‏RTL",
    "مرحبا\u202ebackwards",
    " padded ",
)
HOSTILE_KEY = "k'; DROP TABLE run_param;--`\""


def table_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        names = inspect(engine).get_table_names()
        with engine.connect() as conn:
            return {
                name: conn.execute(select(func.count()).select_from(table(name))).scalar_one()
                for name in names
            }
    finally:
        engine.dispose()


def quoted(value: str) -> list[str]:
    """Every way of writing ``value`` as a string literal: the library's, doubled quotes, backslashes."""
    forms = {format_literal(value)}
    for quote in ("'", '"'):
        body = value.replace("\\", "\\\\")
        forms.add(quote + body.replace(quote, quote * 2) + quote)
        forms.add(quote + body.replace(quote, "\\" + quote) + quote)
    return sorted(forms)


def test_hostile_strings_are_data(db_url: str) -> None:
    experiments = ("Robert'); DROP TABLE experiment;--", "exp 🎉 \"quoted\" 'single' --")
    run_ids: dict[tuple[str, str], uuid.UUID] = {}
    with Store(db_url) as store:
        for e_index, experiment in enumerate(experiments):
            names = HOSTILE if e_index == 0 else HOSTILE[:5]
            for index, name in enumerate(names):
                run_id = uuid.UUID(int=1000 * e_index + index + 1)
                run_ids[experiment, name] = run_id
                store.start_run(
                    run_id=run_id,
                    experiment=experiment,
                    trial=name,
                    name=name,
                    start_time=BASE_TIME + index,
                    params={"p": name, HOSTILE_KEY: name},
                    tags={"t": name, HOSTILE_KEY: name},
                )
                store.log_metrics(run_id, [(HOSTILE_KEY, float(index), 0, 0)])
                store.log_datasets(run_id, [dataset_from_uri(f"s3://b/{index}/{name}")], direction="input")
                store.end_run(run_id, status="Completed", end_time=BASE_TIME + 1000, error_message=name)
        before = table_counts(db_url)
        assert set(before) >= {
            "experiment",
            "trial",
            "run",
            "run_param",
            "trial_param",
            "run_tag",
            "trial_tag",
        }
        assert before["trial"] == before["run"] == len(HOSTILE) + 5

        # Round trips.
        assert sorted(e.name for e in store.list_experiments()) == sorted(experiments)
        for (experiment, name), run_id in run_ids.items():
            trial = store.get_trial(experiment, name)
            assert (trial.name, trial.experiment) == (name, experiment)
            assert dict(trial.params) == {"p": name, HOSTILE_KEY: name}
            assert dict(trial.tags) == {"t": name, HOSTILE_KEY: name}
            run = store.get_run(run_id)
            assert (run.name, run.experiment, run.trials) == (name, experiment, (name,))
            assert dict(run.params) == {"p": name, HOSTILE_KEY: name}
            assert dict(run.tags) == {"t": name, HOSTILE_KEY: name}
            assert run.error_message == name
            assert set(run.metrics) == {HOSTILE_KEY}

        # Filters on hostile literals match exactly the intended rows.
        first, second = experiments
        key = "`" + HOSTILE_KEY.replace("`", "``") + "`"
        for name in HOSTILE:
            owners = sorted(e for e in experiments if (e, name) in run_ids)
            for literal in quoted(name):
                for ident in ("name", "trial", "params.p", f"params.{key}", "tags.t", f"tags.{key}"):
                    text = f"{ident} = {literal}"
                    assert [t.name for t in store.search_trials(experiment=first, filter=text)] == [name], (
                        text
                    )
                    found = store.search_trials(filter=text)
                    assert sorted((t.experiment, t.name) for t in found) == [(e, name) for e in owners], text
                    runs = store.search_runs(filter=text)
                    assert sorted(r.id for r in runs) == sorted(run_ids[e, name] for e in owners), text
                    others = store.search_trials(experiment=first, filter=f"{ident} != {literal}")
                    assert sorted(t.name for t in others) == sorted(n for n in HOSTILE if n != name), text
                in_list = f"params.p IN ({literal}, 'no such value')"
                assert [t.name for t in store.search_trials(experiment=first, filter=in_list)] == [name]
            pattern = format_literal(escape_like(name))
            for op in ("LIKE", "ILIKE"):
                text = f"name {op} {pattern}"
                assert [t.name for t in store.search_trials(experiment=first, filter=text)] == [name], text
                text = f"tags.{key} NOT {op} {pattern}"
                found = store.search_trials(experiment=first, filter=text)
                assert sorted(t.name for t in found) == sorted(n for n in HOSTILE if n != name), text
            uri = dataset_from_uri(f"s3://b/{HOSTILE.index(name)}/{name}").uri
            found = store.search_trials(experiment=first, filter=f"inputs.uri = {format_literal(uri)}")
            assert [t.name for t in found] == [name]
        for experiment in experiments:
            for literal in quoted(experiment):
                found = store.search_runs(filter=f"experiment = {literal}")
                assert {r.experiment for r in found} == {experiment}
                assert len(found) == sum(1 for e, _ in run_ids if e == experiment)
        assert len(store.search_trials(filter=f"metrics.{key} >= 0", max_results=1000)) == len(run_ids)
        ordered = store.search_trials(experiment=first, order_by=["name", f"params.{key} DESC"])
        assert [t.name for t in ordered] == sorted(HOSTILE)

        # Injection attempts outside string literals are syntax errors, not SQL.
        for text in (
            "name = 'x'; DROP TABLE trial; --",
            "name = 'x' OR 1=1 --",
            "name = '' OR '1'='1'",
            "name = 'x' /* */",
            "params.p = 'x') OR (1=1",
            "1=1",
        ):
            with pytest.raises(QuerySyntaxError):
                store.search_trials(filter=text)
        for order in ("name; DROP TABLE trial", "name DESC --", "(SELECT 1)"):
            with pytest.raises(QuerySyntaxError):
                store.search_trials(order_by=order)
    assert table_counts(db_url) == before


# -- deterministic examples of the tricky semantics -----------------------------------------------


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as s:
        yield s


class Maker:
    """Writes trials with one run each, named in creation order (so trial ids follow that order)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.count = 0

    def trial(
        self,
        name: str,
        *,
        params: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        metrics: dict[str, list[float]] | None = None,
        inputs: Sequence[str] = (),
        end: bool = True,
    ) -> uuid.UUID:
        self.count += 1
        run_id = uuid.UUID(int=self.count)
        self.store.start_run(
            run_id=run_id,
            experiment="e",
            trial=name,
            name=f"run-{name}",
            start_time=BASE_TIME + self.count,
            params=params,
            tags=tags,
        )
        points = [
            (key, value, step, 0)
            for key, values in (metrics or {}).items()
            for step, value in enumerate(values)
        ]
        if points:
            self.store.log_metrics(run_id, points)
        if inputs:
            self.store.log_datasets(run_id, [dataset_from_uri(uri) for uri in inputs], direction="input")
        if end:
            self.store.end_run(run_id, status="Completed", end_time=BASE_TIME + 10_000)
        return run_id


def names(store: Store, filter: str | None = None, order_by: Any = None, **kwargs: Any) -> list[str]:  # noqa: A002
    return [t.name for t in store.search_trials(filter=filter, order_by=order_by, max_results=1000, **kwargs)]


def matched(store: Store, filter: str) -> set[str]:  # noqa: A002
    trials = set(names(store, filter))
    runs = {r.name.removeprefix("run-") for r in store.search_runs(filter=filter, max_results=1000)}
    assert trials == runs, filter
    return trials


def test_not_over_missing_keys(store: Store) -> None:
    make = Maker(store)
    make.trial("one", params={"p": 1}, tags={"t": "x"})
    make.trial("two", params={"p": 2}, tags={"t": "y"})
    make.trial("none")
    cases = {
        "params.p = 1": {"one"},
        "NOT params.p = 1": {"two", "none"},
        "params.p != 1": {"two"},
        "NOT params.p != 1": {"one", "none"},
        "params.p <> 1": {"two"},
        "params.p NOT IN (1)": {"two"},
        "NOT params.p IN (1)": {"two", "none"},
        "NOT params.p NOT IN (1)": {"one", "none"},
        "params.p NOT LIKE '1'": {"two"},
        "NOT params.p LIKE '1'": {"two", "none"},
        "params.p IS NULL": {"none"},
        "NOT params.p IS NULL": {"one", "two"},
        "params.p IS NOT NULL": {"one", "two"},
        "NOT NOT params.p = 1": {"one"},
        "NOT (params.p = 1 OR params.p = 2)": {"none"},
        "NOT (params.p != 1 AND params.p != 2)": {"one", "two", "none"},
        "tags.t != 'x'": {"two"},
        "NOT tags.t = 'x'": {"two", "none"},
        "tags.t NOT ILIKE 'X'": {"two"},
        "NOT tags.t ILIKE 'X'": {"two", "none"},
        "params.missing != 1 OR params.missing = 1": set(),
        "NOT params.missing = 1": {"one", "two", "none"},
        "tags.missing NOT IN ('x')": set(),
    }
    for text, expected in cases.items():
        assert matched(store, text) == expected, text


def test_ne_versus_not_eq_on_every_namespace(store: Store) -> None:
    make = Maker(store)
    make.trial("a", params={"p": "v"}, tags={"t": "v"}, metrics={"m": [1.0]}, inputs=["s3://b/v.csv"])
    make.trial("b", params={"p": "w"}, tags={"t": "w"}, metrics={"m": [2.0]}, inputs=["s3://b/w.csv"])
    make.trial("c")  # has none of them
    for ident, value in (
        ("params.p", "'v'"),
        ("tags.t", "'v'"),
        ("metrics.m", "1"),
        ("inputs.uri", "'s3://b/v.csv'"),
    ):
        assert matched(store, f"{ident} = {value}") == {"a"}
        assert matched(store, f"NOT {ident} = {value}") == {"b", "c"}
        expected_ne = {"b", "c"} if ident == "inputs.uri" else {"b"}  # existential: "no input is v"
        assert matched(store, f"{ident} != {value}") == expected_ne, ident
        assert matched(store, f"NOT {ident} != {value}") == {"a", "b", "c"} - expected_ne, ident


def test_nan_metrics_never_match(store: Store) -> None:
    make = Maker(store)
    make.trial("nan-last", metrics={"m": [5.0, math.nan]})
    make.trial("all-nan", metrics={"m": [math.nan, math.nan]})
    make.trial("finite", metrics={"m": [0.0]})
    for text in ("metrics.m > 0", "metrics.m < 0", "metrics.m >= 0", "metrics.m = 0", "metrics.m != 0"):
        assert matched(store, text) <= {"finite"}, text
    assert matched(store, "metrics.m != 1") == {"finite"}
    assert matched(store, "metrics.m NOT IN (1, 2)") == {"finite"}
    assert matched(store, "NOT metrics.m > 0") == {"nan-last", "all-nan", "finite"}
    assert matched(store, "metrics.m IS NOT NULL") == {"nan-last", "all-nan", "finite"}
    assert matched(store, "metrics.m IS NULL") == set()
    assert matched(store, "metrics.m.max = 5") == {"nan-last"}  # finite points only
    assert matched(store, "metrics.m.min <= 5") == {"nan-last", "finite"}
    assert matched(store, "metrics.m.avg != 12345") == {"nan-last", "finite"}
    assert matched(store, "metrics.m.count = 2") == {"nan-last", "all-nan"}
    assert matched(store, "metrics.m.last < 1 OR metrics.m.last >= 1") == {"finite"}


def test_infinite_metrics_compare_as_numbers(store: Store) -> None:
    make = Maker(store)
    make.trial("pos", metrics={"m": [0.1, math.inf]})
    make.trial("neg", metrics={"m": [math.inf, -math.inf]})
    make.trial("small", metrics={"m": [0.5]})
    assert matched(store, "metrics.m > 0.9") == {"pos"}
    assert matched(store, "metrics.m < -1e300") == {"neg"}
    assert matched(store, "metrics.m != 0.5") == {"pos", "neg"}
    assert matched(store, "metrics.m.max > 0.9") == set()  # ±inf never enters min/max/avg
    assert matched(store, "metrics.m.max IS NOT NULL") == {"pos", "neg", "small"}
    assert matched(store, "metrics.m.avg = 0.1") == {"pos"}
    assert names(store, order_by="metrics.m DESC") == ["pos", "small", "neg"]
    assert names(store, order_by="metrics.m.max") == ["pos", "small", "neg"]  # NULL max last


def test_metric_count_and_aggregate_names(store: Store) -> None:
    make = Maker(store)
    make.trial("three", metrics={"x": [1.0, 2.0, 3.0], "x.count": [7.0]})
    make.trial("one", metrics={"x": [4.0]})
    assert matched(store, "metrics.x.count = 3") == {"three"}
    assert matched(store, "metrics.x.count >= 1") == {"three", "one"}
    assert matched(store, "metrics.x.count IN (1, 3)") == {"three", "one"}
    assert matched(store, "metrics.x.count NOT IN (1)") == {"three"}
    assert matched(store, "metrics.`x.count` = 7") == {"three"}  # a key that looks like an aggregate
    assert matched(store, "metrics.`x.count`.count = 1") == {"three"}
    assert matched(store, "metrics.x = 3 AND metrics.x.last = 3 AND metrics.x.min = 1") == {"three"}
    assert matched(store, "metrics.x.avg = 2") == {"three"}
    assert names(store, order_by="metrics.x.count DESC") == ["three", "one"]
    assert names(store, order_by="metrics.x.count") == ["one", "three"]


def test_or_across_namespaces(store: Store) -> None:
    make = Maker(store)
    make.trial("by-param", params={"a": 1})
    make.trial("by-tag", tags={"b": "x"})
    make.trial("by-metric", metrics={"c": [6.0]})
    make.trial("by-input", inputs=["s3://b/in.csv"])
    make.trial("by-status", end=False)
    make.trial("nothing", params={"a": 2}, tags={"b": "y"}, metrics={"c": [1.0]}, inputs=["s3://b/other.csv"])
    text = (
        "params.a = 1 OR tags.b = 'x' OR metrics.c > 5 OR inputs.uri = 's3://b/in.csv' OR status = 'running'"
    )
    assert matched(store, text) == {"by-param", "by-tag", "by-metric", "by-input", "by-status"}
    assert matched(store, f"NOT ({text})") == {"nothing"}
    assert matched(store, "(params.a = 1 OR tags.b = 'x') AND params.a IS NOT NULL") == {"by-param"}


MIXED = {"int": 2, "text-zz": "zz", "float": 1.5, "bool": True, "text-aa": "aa", "neg": -3}
MIXED_ASC = ["neg", "float", "int", "text-aa", "bool", "text-zz", "missing"]  # numbers, then texts
MIXED_DESC = ["int", "float", "neg", "text-zz", "bool", "text-aa", "missing"]


def make_mixed(store: Store) -> None:
    make = Maker(store)
    for name, value in MIXED.items():
        make.trial(name, params={"p": value})
    make.trial("missing")


def test_sort_by_mixed_param_as_a_later_key(store: Store) -> None:
    make_mixed(store)
    assert names(store, order_by="experiment, params.p") == MIXED_ASC
    assert names(store, order_by="experiment, params.p DESC") == MIXED_DESC


def test_sort_by_mixed_param(store: Store) -> None:
    # Regression: as the first sort key (two-phase path), num_value was ordered without NULLS LAST,
    # so texts came before numbers on SQLite ASC and on PostgreSQL DESC.
    make_mixed(store)
    assert names(store, order_by="params.p") == MIXED_ASC
    assert names(store, order_by="params.p DESC") == MIXED_DESC
    for size in (1, 2, 3, 4):
        pages, token = [], None
        while True:
            page = store.search_trials(order_by="params.p DESC", max_results=size, page_token=token)
            pages += [t.name for t in page]
            if (token := page.next_page_token) is None:
                break
        assert pages == MIXED_DESC


def test_sort_with_missing_keys_puts_nulls_last(store: Store) -> None:
    make = Maker(store)
    make.trial("a", params={"n": 2}, tags={"t": "b"}, metrics={"m": [2.0]})
    make.trial("b")
    make.trial("c", params={"n": 1}, tags={"t": "a"}, metrics={"m": [1.0]})
    make.trial("d", metrics={"m": [math.nan]})  # has the metric, but its last value is NULL
    make.trial("e", params={"n": 3}, tags={"t": "c"}, metrics={"m": [3.0]})
    for key in ("params.n", "tags.t", "metrics.m"):
        # Items without a value come last, by id in the direction of the last key.
        assert names(store, order_by=key) == ["c", "a", "e", "b", "d"], key
        assert names(store, order_by=f"{key} ASC") == ["c", "a", "e", "b", "d"], key
        assert names(store, order_by=f"{key} DESC") == ["e", "a", "c", "d", "b"], key
        assert names(store, order_by=[f"{key} DESC", "name ASC"]) == ["e", "a", "c", "b", "d"], key
        assert names(store, order_by=["status", f"{key} DESC"]) == ["e", "a", "c", "d", "b"], key
    assert names(store, order_by="end_time DESC, name DESC") == ["e", "d", "c", "b", "a"]


def test_end_time_and_duration_sort_nulls_last(store: Store) -> None:
    make = Maker(store)
    make.trial("running", end=False)
    make.trial("done")
    for order in ("end_time", "end_time DESC", "duration", "duration DESC"):
        assert names(store, order_by=order) == ["done", "running"], order
    assert matched(store, "end_time IS NULL") == {"running"}
    assert matched(store, "duration IS NULL") == {"running"}
    assert matched(store, "end_time != 0") == {"done"}
    assert matched(store, "NOT end_time = 0") == {"running", "done"}
    assert matched(store, "duration NOT IN (1)") == {"done"}


@pytest.mark.parametrize(
    "order", ["params.n", "params.n DESC", "tags.t", "metrics.m DESC", "metrics.m.count"]
)
def test_page_tokens_across_the_phase_boundary(store: Store, order: str) -> None:
    make = Maker(store)
    for i in range(12):
        has_key = i % 3 != 1  # 8 with the key, 4 without, interleaved in id order
        make.trial(
            f"t{i:02d}",
            params={"n": i % 4} if has_key else {"other": i},
            tags={"t": f"v{i % 5}"} if has_key else {},
            metrics={"m": [float(i % 3)]} if has_key else {"z": [0.0]},
        )
    for text in (None, "params.other IS NULL OR params.other > 5", "NOT name = 't03'"):
        full = names(store, text, order)
        assert len(full) == len(set(full))
        with_key = [n for n in full if int(n[1:]) % 3 != 1]
        assert full[: len(with_key)] == with_key  # items with the key first
        for size in range(1, len(full) + 2):
            pages: list[str] = []
            token = None
            while True:
                page = store.search_trials(filter=text, order_by=order, max_results=size, page_token=token)
                assert len(page) == size or page.next_page_token is None
                pages += [t.name for t in page]
                if (token := page.next_page_token) is None:
                    break
            assert pages == full, (text, size)


def test_filter_on_another_aggregate_of_the_sort_key(store: Store) -> None:
    # Regression: a conjunct on metrics.m.max made the search skip phase 2 of a sort by metrics.m
    # (last), losing the items whose last value is NaN (NULL).
    make = Maker(store)
    make.trial("nan-last", metrics={"m": [5.0, math.nan]})
    make.trial("finite", metrics={"m": [5.0]})
    assert names(store, "metrics.m.max > 1") == ["finite", "nan-last"]  # start_time DESC: newest first
    assert names(store, "metrics.m.max > 1", "metrics.m") == ["finite", "nan-last"]


def test_numeric_in_lists_mixing_ints_and_fractions(store: Store) -> None:
    # Regression (PostgreSQL): an IN list starting with an int was bound as INTEGER, so 0.5 became 0
    # and values beyond int4 raised 'integer out of range'.
    make = Maker(store)
    make.trial("zero", params={"p": 0.0}, metrics={"m": [0.0]})
    make.trial("half", params={"p": 0.5}, metrics={"m": [0.5]})
    make.trial("big", params={"p": 2**40}, metrics={"m": [2.0**40]})
    assert matched(store, "params.p IN (0.5, 2)") == {"half"}
    assert matched(store, "params.p IN (2, 0.5)") == {"half"}
    assert matched(store, "params.p NOT IN (2, 0.5)") == {"zero", "big"}
    assert matched(store, "metrics.m IN (2, 0.5)") == {"half"}
    assert matched(store, "metrics.m.max NOT IN (2, 0.5)") == {"zero", "big"}
    assert matched(store, "params.p IN (1, 1099511627776)") == {"big"}
    assert matched(store, "metrics.m IN (1, 1099511627776)") == {"big"}


def test_numeric_in_lists_on_counts_and_times(store: Store) -> None:
    # Regression (PostgreSQL): on integer-typed values an IN list starting with an int was bound as
    # INTEGER/BIGINT, so 0.5 became 0, 1.5 became 2, and 3000000000 was out of range for duration.
    for index, millis in enumerate((0, 500, 2000)):
        run_id = uuid.UUID(int=index + 1)
        store.start_run(run_id=run_id, experiment="e", trial=f"d{millis}", name=f"r{millis}", start_time=1000)
        store.log_metrics(run_id, [("m", 1.0, step, 0) for step in range(index + 1)])  # count 1, 2, 3
        store.end_run(run_id, status="Completed", end_time=1000 + millis)
    assert names(store, "duration IN (0.5, 2)", "name") == ["d2000", "d500"]  # a float first: right
    assert names(store, "duration IN (2, 0.5)", "name") == ["d2000", "d500"]
    assert names(store, "duration NOT IN (2, 0.5)") == ["d0"]
    assert names(store, "metrics.m.count IN (1, 1.5)") == ["d0"]
    assert names(store, "metrics.m.count NOT IN (1, 2.5)", "name") == ["d2000", "d500"]
    assert names(store, "start_time IN (1, 1000.4)") == []
    assert names(store, "end_time IN (1, 1500.2)") == []
    assert names(store, "duration IN (1, 3000000000)") == []


def test_run_trial_is_existential(store: Store) -> None:
    make = Maker(store)
    shared = make.trial("A")  # run-A, later also in trial B
    make.trial("C")
    store.link_trial(shared, experiment="e", trial="B")

    def runs(text: str) -> set[str]:
        return {r.name for r in store.search_runs(filter=text)}

    assert runs("trial = 'B'") == {"run-A"}
    assert runs("trial = 'A'") == {"run-A"}
    assert runs("trial != 'A'") == {"run-C"}  # no trial of the run is A
    assert runs("trial != 'B'") == {"run-C"}
    assert runs("NOT trial = 'B'") == {"run-C"}
    assert runs("trial NOT IN ('B', 'x')") == {"run-C"}
    assert runs("trial IN ('B', 'x')") == {"run-A"}
    assert runs("trial NOT LIKE 'A'") == {"run-C"}
    assert runs("trial LIKE '_'") == {"run-A", "run-C"}
    assert runs("trial > 'A'") == {"run-A", "run-C"}  # B > A, C > A
    assert runs("trial < 'B'") == {"run-A"}
    assert runs("trial IS NULL") == set()
    assert runs("trial IS NOT NULL") == {"run-A", "run-C"}
    assert {r.name: r.trials for r in store.search_runs()} == {"run-A": ("A", "B"), "run-C": ("C",)}
