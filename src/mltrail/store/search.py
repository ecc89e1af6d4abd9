"""Compile search-language trees into SQL over trials or runs, and page through the matches.

Every value reaches the database as a bound parameter; nothing is formatted into SQL text.

Each predicate is two-valued (true or false, never SQL's unknown), so ``NOT`` means exactly
"the predicate does not hold", as in the brute-force definition in ``docs/search.md``:

- ``params.k``, ``metrics.k``, ``tags.k`` predicates hold when the item has key ``k`` and its value
  satisfies the comparison (``!=``, ``NOT IN`` and ``NOT LIKE`` included); ``IS NULL`` holds when it
  lacks the key. A number compares with numeric params (int, float), a string with the canonical
  text of any param, ``true``/``false`` with the text ``'true'``/``'false'``.
- ``inputs.uri``/``outputs.uri`` and a run's ``trial`` hold when *some* dataset (trial) satisfies a
  positive comparison; ``!=``, ``NOT IN``, ``NOT LIKE`` hold when *none* satisfies the positive one.
- Attributes compare their column; a missing ``end_time``/``duration`` satisfies only ``IS NULL``.

Sorting by a param, metric or tag runs in two phases when it is the first sort key: first the
items that have the key, straight from the ``(experiment_id, key, value)`` index, then (only if
the page is not full yet) those that lack it — NULLs last without sorting the whole experiment.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    Select,
    Table,
    and_,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    tuple_,
)

from mltrail.core.errors import ValidationError
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
)
from mltrail.store import tables as t

_NEGATIVE_OPS = {"!=": "=", "NOT LIKE": "LIKE", "NOT ILIKE": "ILIKE"}
_EAV = ("params", "metrics", "tags")


@dataclass(frozen=True, slots=True)
class Target:
    """What a search returns: trials or runs, and the tables holding their params, metrics, tags."""

    name: Literal["trials", "runs"]
    table: Table
    owner: str
    params: Table
    metrics: Table
    tags: Table


TRIALS = Target("trials", t.trial, "trial_id", t.trial_param, t.trial_metric, t.trial_tag)
RUNS = Target("runs", t.run, "run_id", t.run_param, t.metric_summary, t.run_tag)

DEFAULT_ORDER = (OrderKey(Identifier("attributes", "start_time"), descending=True),)


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed search: the target, the filter tree and the sort keys."""

    target: Target
    filter: Expr | None
    order_by: tuple[OrderKey, ...]


# -- page tokens -----------------------------------------------------------------------------------


def fingerprint(
    target: Target, experiments: Sequence[str], filter_text: str | None, order_by: Sequence[OrderKey]
) -> str:
    """Return a short digest of a search, so a page token cannot be replayed on another search."""
    text = json.dumps([target.name, sorted(experiments), filter_text or "", [str(k) for k in order_by]])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page starts: an offset, or (keyset paging) the sort values of the previous page's last item."""

    offset: int = 0
    after: tuple[Any, ...] | None = None


def encode_page_token(position: Position, digest: str) -> str:
    """Return the opaque token for the page starting at ``position``."""
    after = None if position.after is None else [str(v) if isinstance(v, UUID) else v for v in position.after]
    data = {"offset": position.offset, "after": after, "search": digest}
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def decode_page_token(token: str | None, digest: str) -> Position:
    """Return the position a token points at (the start for no token).

    Raises:
        ValidationError: If the token is malformed or belongs to another search.
    """
    if not token:
        return Position()
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset, after, search = data["offset"], data.get("after"), data["search"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError, AttributeError):
        raise ValidationError(f"malformed page token {token!r}", field="page_token", value=token) from None
    if (
        search != digest
        or not isinstance(offset, int)
        or offset < 0
        or not isinstance(after, (list, type(None)))
    ):
        raise ValidationError("page token belongs to a different search", field="page_token", value=token)
    return Position(offset=offset, after=None if after is None else tuple(after))


# -- running a search ------------------------------------------------------------------------------


_KEYSET_ATTRIBUTES = {"start_time", "name", "status", "kind", "id"}
"""Attributes that are never NULL, so pages can resume after the last item's values."""


def find_ids(
    connection: Connection,
    query: Query,
    *,
    experiment_ids: Sequence[int] | None,
    position: Position,
    limit: int,
) -> tuple[list[Any], Position | None]:
    """Return the ids of one page of matches in order, and where the next page starts (``None``: last page).

    Sorting by non-null attributes in one direction (the default, newest first, is one) pages by
    keyset: the next page starts after the last item's sort values, so each page costs the same
    however deep it is. Other sorts page by offset.
    """
    compiler = _Compiler(query.target, experiment_ids)
    keys = query.order_by or DEFAULT_ORDER
    first = keys[0].identifier
    if _is_keyset(keys):
        return _keyset_page(connection, compiler, query, keys, position, limit)
    offset = position.offset
    if first.namespace not in _EAV:
        ids = list(
            connection.execute(compiler.select(query.filter, keys).offset(offset).limit(limit + 1)).scalars()
        )
        return ids[:limit], Position(offset + limit) if len(ids) > limit else None

    # Phase 1: items that have the first sort key, in index order.
    with_key = compiler.select(query.filter, keys, driving=True)
    ids = list(connection.execute(with_key.offset(offset).limit(limit + 1)).scalars())
    if len(ids) > limit:
        return ids[:limit], Position(offset + limit)
    if _requires_key(query.filter, first):
        return ids, None
    # Phase 2: items that lack it, after all of phase 1.
    if ids:
        phase1_total = offset + len(ids)
    else:
        phase1_total = connection.execute(
            select(func.count()).select_from(with_key.order_by(None).subquery())
        ).scalar_one()
    without_key = compiler.select(query.filter, keys, driving=True, lacking=True)
    remaining = limit + 1 - len(ids)
    more = list(
        connection.execute(without_key.offset(max(0, offset - phase1_total)).limit(remaining)).scalars()
    )
    ids += more
    return ids[:limit], Position(offset + limit) if len(ids) > limit else None


def _is_keyset(keys: Sequence[OrderKey]) -> bool:
    return (
        all(k.identifier.namespace == "attributes" and k.identifier.key in _KEYSET_ATTRIBUTES for k in keys)
        and len({k.descending for k in keys}) == 1
    )


def _keyset_page(
    connection: Connection,
    compiler: _Compiler,
    query: Query,
    keys: Sequence[OrderKey],
    position: Position,
    limit: int,
) -> tuple[list[Any], Position | None]:
    columns = [compiler._attribute(k.identifier, field="order_by") for k in keys] + [compiler.entity.c.id]
    statement = compiler.select(query.filter, keys).with_only_columns(compiler.entity.c.id, *columns)
    if position.after is not None:
        if len(position.after) != len(columns):
            raise ValidationError("page token belongs to a different search", field="page_token", value=None)
        after = list(position.after)
        if compiler.target is RUNS:  # UUIDs travel as text in the token
            after = [
                UUID(v) if column is compiler.entity.c.id else v
                for v, column in zip(after, columns, strict=True)
            ]
        row_values = tuple_(*columns)
        bound = tuple_(*(literal(v, type_=column.type) for v, column in zip(after, columns, strict=True)))
        statement = statement.where(row_values < bound if keys[0].descending else row_values > bound)
    rows = connection.execute(statement.limit(limit + 1)).all()
    ids = [row[0] for row in rows[:limit]]
    if len(rows) <= limit:
        return ids, None
    return ids, Position(offset=position.offset + limit, after=tuple(rows[limit - 1][1:]))


def _requires_key(expression: Expr | None, identifier: Identifier) -> bool:
    """Whether the filter can only hold for items that have ``identifier``'s key (and a value)."""
    conjuncts = expression.items if isinstance(expression, And) else (expression,) if expression else ()
    for item in conjuncts:
        if isinstance(item, (Comparison, InList)) and _same_value(item.identifier, identifier):
            return True
        if (
            isinstance(item, IsNull)
            and item.negated
            and _same_key(item.identifier, identifier)
            and identifier.namespace != "metrics"
        ):
            return True
    return False


def _same_key(a: Identifier, b: Identifier) -> bool:
    return a.namespace == b.namespace and a.key == b.key


def _same_value(a: Identifier, b: Identifier) -> bool:
    """Whether both read the same value: same key and, for metrics, the same aggregate."""
    return _same_key(a, b) and (a.aggregate or "last") == (b.aggregate or "last")


class _Compiler:
    """Builds the SELECT of one search phase for one target."""

    def __init__(self, target: Target, experiment_ids: Sequence[int] | None) -> None:
        self.target = target
        self.entity = target.table
        self.experiment_ids = list(experiment_ids) if experiment_ids else None

    # -- the statement --------------------------------------------------------------------------

    def select(
        self,
        expression: Expr | None,
        keys: Sequence[OrderKey],
        *,
        driving: bool = False,
        lacking: bool = False,
    ) -> Select[tuple[Any]]:
        entity = self.entity
        source: FromClause = entity
        where: list[ColumnElement[bool]] = [self._in_experiments(entity.c.experiment_id)]
        order: list[Any] = []
        bound: tuple[Identifier, FromClause] | None = None
        for index, key in enumerate(keys):
            ident = key.identifier
            if ident.namespace in _EAV:
                table = self._eav_table(ident)
                alias = table.alias(f"sort_{index}")
                on = and_(alias.c[self.target.owner] == entity.c.id, alias.c.key == ident.key)
                columns = self._sort_columns(ident, alias)
                if index == 0 and driving and not lacking:
                    source = source.join(alias, on)
                    where.append(self._in_experiments(alias.c.experiment_id))
                    bound = (ident, alias)
                    if ident.namespace == "metrics":
                        # Phase 1 holds only non-NULL values: plain index order, no NULLS LAST.
                        where.append(columns[0].is_not(None))
                        order.append(_directed(columns[0], key.descending))
                    else:
                        order += [_directed(c, key.descending).nulls_last() for c in columns]
                    continue
                if index == 0 and lacking:
                    where.append(not_(exists().where(on, *self._present(ident, alias))))
                    continue
                source = source.outerjoin(alias, on)
                order += [_directed(c, key.descending).nulls_last() for c in columns]
            else:
                column = self._attribute_sort(ident)
                order.append(
                    _directed(column, key.descending).nulls_last()
                    if ident.key in ("end_time", "duration")
                    else _directed(column, key.descending)
                )
        order.append(_directed(entity.c.id, keys[-1].descending))
        if expression is not None:
            where.append(self._top_level(expression, bound))
        return select(entity.c.id).select_from(source).where(*where).order_by(*order)

    def _in_experiments(self, column: Any) -> ColumnElement[bool]:
        if self.experiment_ids is None:
            return true()
        if len(self.experiment_ids) == 1:
            return column == self.experiment_ids[0]  # type: ignore[no-any-return]
        return column.in_(self.experiment_ids)  # type: ignore[no-any-return]

    def _eav_table(self, ident: Identifier) -> Table:
        return {"params": self.target.params, "metrics": self.target.metrics, "tags": self.target.tags}[
            ident.namespace
        ]

    def _sort_columns(self, ident: Identifier, alias: FromClause) -> list[Any]:
        if ident.namespace == "metrics":
            return [alias.c[ident.aggregate or "last"]]
        if ident.namespace == "params":
            return [alias.c.num_value, alias.c.text_value]
        return [alias.c.value]

    def _present(self, ident: Identifier, alias: FromClause) -> list[ColumnElement[bool]]:
        """Conditions under which an EAV row counts as 'has the key' for sorting."""
        return [alias.c[ident.aggregate or "last"].is_not(None)] if ident.namespace == "metrics" else []

    def _attribute_sort(self, ident: Identifier) -> Any:
        if ident.namespace != "attributes":
            raise ValidationError(f"cannot sort by {ident}", field="order_by", value=str(ident))
        if ident.key == "trial" and self.target is RUNS:
            raise ValidationError(
                "cannot sort runs by trial: a run may belong to several trials",
                field="order_by",
                value=str(ident),
            )
        return self._attribute(ident, field="order_by")

    # -- filters --------------------------------------------------------------------------------

    def _top_level(
        self, expression: Expr, bound: tuple[Identifier, FromClause] | None
    ) -> ColumnElement[bool]:
        conjuncts = expression.items if isinstance(expression, And) else (expression,)
        compiled = []
        for item in conjuncts:
            if bound and isinstance(item, (Comparison, InList)) and _same_key(item.identifier, bound[0]):
                compiled.append(self._eav_predicate(item, bound[1]))
            else:
                compiled.append(self._compile(item))
        return and_(*compiled)

    def _compile(self, expression: Expr) -> ColumnElement[bool]:
        if isinstance(expression, And):
            return and_(*(self._compile(item) for item in expression.items))
        if isinstance(expression, Or):
            return or_(*(self._compile(item) for item in expression.items))
        if isinstance(expression, Not):
            return not_(self._compile(expression.item))
        ident = expression.identifier
        if ident.namespace in _EAV:
            return self._eav(expression)
        if ident.namespace in ("inputs", "outputs"):
            return self._datasets(expression)
        return self._attribute_predicate(expression)

    # params, metrics, tags

    def _eav(self, expression: Comparison | InList | IsNull) -> ColumnElement[bool]:
        ident = expression.identifier
        table = self._eav_table(ident)
        row = table.alias("f")
        has_key = and_(row.c[self.target.owner] == self.entity.c.id, row.c.key == ident.key)
        if isinstance(expression, IsNull):
            found = exists().where(has_key)
            return found if expression.negated else not_(found)
        return exists().where(has_key, self._eav_predicate(expression, row))

    def _eav_predicate(self, expression: Comparison | InList, row: FromClause) -> ColumnElement[bool]:
        ident = expression.identifier
        if isinstance(expression, InList):
            column = self._eav_column(ident, row, expression.values[0], "IN")
            values = [_bound(v) for v in expression.values]
            return column.not_in(values) if expression.negated else column.in_(values)  # type: ignore[no-any-return]
        column = self._eav_column(ident, row, expression.value, expression.op)
        return _apply(column, expression.op, _bound(expression.value))

    def _eav_column(self, ident: Identifier, row: FromClause, value: Any, op: str) -> Any:
        if ident.namespace == "metrics":
            return row.c[ident.aggregate or "last"]
        if ident.namespace == "tags":
            return row.c.value
        if isinstance(value, bool):
            if op not in ("=", "!=", "IN"):
                raise ValidationError(
                    f"{ident} {op} {value}: booleans compare only with = and !=", field="filter", value=value
                )
            return row.c.text_value
        return row.c.num_value if isinstance(value, (int, float)) else row.c.text_value

    # inputs.uri, outputs.uri

    def _datasets(self, expression: Comparison | InList | IsNull) -> ColumnElement[bool]:
        direction = "input" if expression.identifier.namespace == "inputs" else "output"
        rd, d = t.run_dataset.alias("rd"), t.dataset.alias("d")
        if self.target is RUNS:
            source: FromClause = rd.join(d, d.c.id == rd.c.dataset_id)
            link = rd.c.run_id == self.entity.c.id
        else:
            tc = t.trial_component.alias("tc")
            source = tc.join(rd, rd.c.run_id == tc.c.run_id).join(d, d.c.id == rd.c.dataset_id)
            link = tc.c.trial_id == self.entity.c.id
        return self._some(source, [link, rd.c.direction == direction], d.c.uri, expression)

    def _some(
        self,
        source: FromClause,
        link: list[ColumnElement[bool]],
        column: Any,
        expression: Comparison | InList | IsNull,
    ) -> ColumnElement[bool]:
        """Existential predicate over a multi-valued attribute; negative operators mean 'none matches'."""

        def any_where(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
            return exists(select(literal(1)).select_from(source).where(*link, *conditions))

        if isinstance(expression, IsNull):
            return any_where() if expression.negated else not_(any_where())
        if isinstance(expression, InList):
            found = any_where(column.in_(list(expression.values)))
            return not_(found) if expression.negated else found
        positive = _NEGATIVE_OPS.get(expression.op)
        if positive:
            return not_(any_where(_apply(column, positive, expression.value)))
        return any_where(_apply(column, expression.op, expression.value))

    # attributes

    def _attribute_predicate(self, expression: Comparison | InList | IsNull) -> ColumnElement[bool]:
        ident = expression.identifier
        if ident.key == "trial" and self.target is RUNS:
            tc, tr = t.trial_component.alias("tc"), t.trial.alias("tr")
            source = tc.join(tr, tr.c.id == tc.c.trial_id)
            return self._some(source, [tc.c.run_id == self.entity.c.id], tr.c.name, expression)
        column = self._attribute(ident, field="filter")
        if isinstance(expression, IsNull):
            return column.is_not(None) if expression.negated else column.is_(None)  # type: ignore[no-any-return]
        if ident.key == "id":
            expression = _as_uuid(expression)
        if isinstance(expression, InList):
            values = [v if isinstance(v, (str, UUID)) else _bound(v) for v in expression.values]
            predicate = column.not_in(values) if expression.negated else column.in_(values)
        else:
            value = expression.value
            predicate = _apply(
                column, expression.op, value if isinstance(value, (str, UUID)) else _bound(value)
            )
        if ident.key in ("end_time", "duration"):
            return and_(column.is_not(None), predicate)
        return predicate  # type: ignore[no-any-return]

    def _attribute(self, ident: Identifier, *, field: str) -> Any:
        c = self.entity.c
        key = ident.key
        if self.target is TRIALS and key in ("id", "kind"):
            hint = "trials are identified by name" if key == "id" else "kind belongs to runs; use search_runs"
            raise ValidationError(
                f"attribute {key!r} does not apply to trials: {hint}", field=field, value=key
            )
        if key == "experiment":
            e = t.experiment.c
            return select(e.name).where(e.id == c.experiment_id).scalar_subquery()
        if key == "trial":
            return c.name
        if key == "duration":
            return (c.end_time - c.start_time) / literal(1000.0)
        return c[key]


def _directed(column: Any, descending: bool) -> Any:
    return column.desc() if descending else column.asc()


def _apply(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op == "=":
        return column == value  # type: ignore[no-any-return]
    if op == "!=":
        return column != value  # type: ignore[no-any-return]
    if op == "<":
        return column < value  # type: ignore[no-any-return]
    if op == "<=":
        return column <= value  # type: ignore[no-any-return]
    if op == ">":
        return column > value  # type: ignore[no-any-return]
    if op == ">=":
        return column >= value  # type: ignore[no-any-return]
    if op == "LIKE":
        return column.like(value, escape="\\")  # type: ignore[no-any-return]
    if op == "ILIKE":
        return column.ilike(value, escape="\\")  # type: ignore[no-any-return]
    if op == "NOT LIKE":
        return column.not_like(value, escape="\\")  # type: ignore[no-any-return]
    if op == "NOT ILIKE":
        return column.not_ilike(value, escape="\\")  # type: ignore[no-any-return]
    raise ValidationError(f"unknown operator {op!r}", field="filter", value=op)  # pragma: no cover


def _bound(value: Any) -> Any:
    """The value to bind: booleans as param text, numbers as floats.

    Floats keep PostgreSQL from binding ``1`` as INTEGER (and then ``0.5`` in the same IN list as
    0, or ``2**40`` as out of range); integer columns compare with doubles exactly.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return float(value)
    return value


def _as_uuid(expression: Comparison | InList) -> Comparison | InList:
    def convert(value: Any) -> UUID:
        try:
            return UUID(str(value))
        except ValueError:
            raise ValidationError(f"id {value!r} is not a UUID", field="filter", value=value) from None

    if isinstance(expression, InList):
        return InList(
            expression.identifier,
            tuple(convert(v) for v in expression.values),  # type: ignore[misc]
            expression.negated,
            expression.position,
        )
    if expression.op not in ("=", "!="):
        raise ValidationError(
            f"id compares only with =, != and IN, not {expression.op}", field="filter", value=expression.op
        )
    return Comparison(
        expression.identifier,
        expression.op,
        convert(expression.value),  # type: ignore[arg-type]
        expression.position,
    )


__all__ = ["DEFAULT_ORDER", "RUNS", "TRIALS", "Query", "Target", "find_ids"]
