r"""Parser of the search language: filter text to an expression tree, order-by text to sort keys.

Grammar (keywords are case-insensitive; ``[ ]`` is optional, ``{ }`` repeats, ``|`` separates
alternatives)::

    filter      = or_expr EOF
    or_expr     = and_expr { OR and_expr }
    and_expr    = not_expr { AND not_expr }
    not_expr    = NOT not_expr | primary
    primary     = "(" or_expr ")" | predicate
    predicate   = identifier compare_op value
                | identifier [ NOT ] ( LIKE | ILIKE ) value
                | identifier [ NOT ] IN "(" value { "," value } ")"
                | identifier IS [ NOT ] NULL
    compare_op  = "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">="
    value       = string | number | TRUE | FALSE
    string      = "'" ... "'" | '"' ... '"'       (double the quote, or \', \", \\)
    number      = [ "+" | "-" ] digits [ "." digits ] [ ( "e" | "E" ) [ "+" | "-" ] digits ]

    identifier  = "params." key | "tags." key | "metrics." key [ "." aggregate ]
                | [ attr_prefix "." ] attribute | ( "inputs" | "outputs" ) ".uri"
    attr_prefix = "attributes" | "attribute" | "attr" | "run"
    attribute   = "id" | "name" | "status" | "kind" | "experiment" | "trial"
                | "start_time" | "end_time" | "duration"
                | "run_id" | "run_name" | "created"     (MLflow's names for id, name, start_time)
    aggregate   = "min" | "max" | "avg" | "last" | "count"
    key         = bare_key | "`" ... "`" | '"' ... '"'  (double a backtick to escape it)
    bare_key    = [A-Za-z0-9_] { [A-Za-z0-9_.\-/] }

    order_by    = order_item { "," order_item } EOF
    order_item  = identifier [ ASC | DESC ]

``NOT`` binds tighter than ``AND``, which binds tighter than ``OR``. Nested ``AND``/``OR`` of the
same kind flatten into one node, and ``==``/``<>`` become ``=``/``!=``. A bare metric key whose
last dotted segment is an aggregate name reads that aggregate (``metrics.val_auc.max``); a bare
``metrics.<key>`` reads ``last``. Prefixes, attribute names and aggregates are lower case.

The parser also checks types: metrics, ``duration`` and the times compare with numbers (a time
may also be an ISO 8601 string, converted to epoch milliseconds with naive times read as UTC);
tags, ``inputs.uri``, ``outputs.uri`` and the other attributes compare with strings; params with
any value. ``LIKE`` patterns are strings and do not apply to numbers or times; ``status`` and
``kind`` values are normalised to their canonical spelling. Filters are at most
:data:`MAX_LENGTH` characters and nest at most :data:`MAX_DEPTH` parentheses and ``NOT`` deep.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal, TypeAlias

from mltrail.core.entities import RunKind, RunStatus
from mltrail.core.errors import QuerySyntaxError
from mltrail.core.query.ast import (
    ATTRIBUTES,
    Aggregate,
    And,
    Comparison,
    Expr,
    Identifier,
    InList,
    IsNull,
    Literal_,
    Namespace,
    Not,
    Operator,
    Or,
    OrderKey,
)
from mltrail.core.query.lexer import Token, TokenKind, tokenize

MAX_LENGTH = 20_000
"""The longest filter or order-by text accepted, in characters."""

MAX_DEPTH = 64
"""How deeply parentheses and ``NOT`` may nest in a filter."""

_AGGREGATES: dict[str, Aggregate] = {
    "min": "min",
    "max": "max",
    "avg": "avg",
    "last": "last",
    "count": "count",
}
_KEYED: dict[str, Namespace] = {"params": "params", "metrics": "metrics", "tags": "tags"}
_URIS: dict[str, Namespace] = {"inputs": "inputs", "outputs": "outputs"}
_ATTRIBUTE_PREFIXES = ("attributes", "attribute", "attr", "run")
_PREFIXES = (*_KEYED, *_ATTRIBUTE_PREFIXES, *_URIS)
_ATTRIBUTE_ALIASES = {"run_id": "id", "run_name": "name", "created": "start_time"}
_ATTRIBUTE_NAMES = (*ATTRIBUTES, *_ATTRIBUTE_ALIASES)
_KEYWORDS = frozenset(
    {"AND", "OR", "NOT", "LIKE", "ILIKE", "IN", "IS", "NULL", "TRUE", "FALSE", "ASC", "DESC"}
)
_KEY_START = re.compile(r"[A-Za-z0-9_]")

_COMPARE_OPERATORS: dict[str, Operator] = {
    "=": "=",
    "==": "=",
    "!=": "!=",
    "<>": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
}
_LIKE_OPERATORS: dict[tuple[bool, str], Operator] = {
    (False, "LIKE"): "LIKE",
    (False, "ILIKE"): "ILIKE",
    (True, "LIKE"): "NOT LIKE",
    (True, "ILIKE"): "NOT ILIKE",
}
_ORDERING = frozenset({"<", "<=", ">", ">="})

_ValueType: TypeAlias = Literal["number", "time", "string", "any", "status", "kind", "uri"]
_ATTRIBUTE_TYPES: dict[str, _ValueType] = {
    "id": "string",
    "name": "string",
    "experiment": "string",
    "trial": "string",
    "status": "status",
    "kind": "kind",
    "start_time": "time",
    "end_time": "time",
    "duration": "number",
}
_UNORDERED_TYPES: frozenset[_ValueType] = frozenset({"status", "kind", "uri"})
_STRING_OPERATORS = "=, !=, LIKE, ILIKE, IN or IS NULL"

_MLFLOW_STATUSES: dict[str, str] = {
    "RUNNING": RunStatus.IN_PROGRESS.value,
    "SCHEDULED": RunStatus.IN_PROGRESS.value,
    "FINISHED": RunStatus.COMPLETED.value,
    "FAILED": RunStatus.FAILED.value,
    "KILLED": RunStatus.STOPPED.value,
}
_STATUS_SPELLINGS = (*(status.value for status in RunStatus), *_MLFLOW_STATUSES)
_KIND_SPELLINGS = tuple(kind.value for kind in RunKind)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_filter(text: str | None) -> Expr | None:
    """Parse a search filter into an expression tree.

    Args:
        text: The filter, e.g. ``metrics.val_auc.max > 0.9 AND params.optimizer = 'adam'``.

    Returns:
        The expression, or ``None`` when ``text`` is ``None``, empty or only whitespace.

    Raises:
        QuerySyntaxError: When the filter is malformed, names an unknown identifier, compares a
            field with a value of the wrong type, or is too long or too deeply nested. The
            reason says what is wrong and at which character offset.
    """
    if text is None or not text.strip():
        return None
    return _Parser(text, field="filter").parse_filter()


def parse_order_by(items: str | Sequence[str] | None) -> tuple[OrderKey, ...]:
    """Parse order-by items into sort keys, first key first.

    Each item is ``<identifier> [ASC|DESC]`` (ascending by default); one string may hold several
    items separated by commas. Blank strings are skipped.

    Args:
        items: One string such as ``"metrics.val_auc DESC, start_time"``, a sequence of such
            strings (MLflow style), or ``None``.

    Returns:
        The sort keys in order; empty when there are none.

    Raises:
        QuerySyntaxError: With ``field="order_by"``, when an item is malformed, names an unknown
            identifier, sorts by ``inputs.uri``/``outputs.uri``, or repeats an identifier. The
            text and position refer to the string the problem is in.
    """
    if items is None:
        return ()
    texts: Sequence[object] = [items] if isinstance(items, str) else items
    seen: dict[tuple[str, str, str | None], str] = {}
    keys: list[OrderKey] = []
    for text in texts:
        if not isinstance(text, str):
            raise QuerySyntaxError(
                f"order_by items must be strings; got {type(text).__name__} at 0",
                text=repr(text),
                position=0,
                field="order_by",
            )
        if text.strip():
            keys.extend(_Parser(text, field="order_by").parse_order_by(seen))
    return tuple(keys)


class _Parser:
    """A recursive-descent parser over the tokens of one text."""

    def __init__(self, text: str, *, field: str) -> None:
        self._text = text
        self._field = field
        if len(text) > MAX_LENGTH:
            raise self._error(
                f"{field} is too long at {MAX_LENGTH}: {len(text)} characters, the limit is {MAX_LENGTH}",
                MAX_LENGTH,
            )
        self._tokens = tokenize(text, field=field)
        self._index = 0
        self._depth = 0

    # -- entry points ---------------------------------------------------------------------------

    def parse_filter(self) -> Expr:
        """Parse the whole text as a filter."""
        expr = self._or()
        token = self._peek()
        if token.kind is TokenKind.RPAREN:
            raise self._error(f"unexpected ')' at {token.start}", token.start)
        if token.kind is not TokenKind.EOF:
            raise self._expected("AND or OR", token)
        return expr

    def parse_order_by(self, seen: dict[tuple[str, str, str | None], str]) -> list[OrderKey]:
        """Parse the whole text as comma-separated order-by items, recording keys in ``seen``."""
        keys: list[OrderKey] = []
        after: Token | None = None
        while True:
            ident_token = self._peek()
            identifier = self._identifier(after=after)
            if identifier.namespace in _URIS:
                raise self._error(
                    f"cannot order by {ident_token.text} at {ident_token.start}: "
                    "inputs and outputs are not sortable",
                    ident_token.start,
                )
            identity = (identifier.namespace, identifier.key, identifier.aggregate)
            if identity in seen:
                first = seen[identity]
                same = f" (same as '{first}')" if first != ident_token.text else ""
                raise self._error(
                    f"duplicate order_by key '{ident_token.text}' at {ident_token.start}{same}",
                    ident_token.start,
                )
            seen[identity] = ident_token.text
            last = ident_token
            token = self._peek()
            if self._is_keyword(token, "ASC", "DESC"):
                last = self._advance()
                keys.append(OrderKey(identifier, descending=token.text.upper() == "DESC"))
                token = self._peek()
            else:
                keys.append(OrderKey(identifier))
            if token.kind is TokenKind.EOF:
                return keys
            if token.kind is not TokenKind.COMMA:
                raise self._expected("ASC, DESC or ','" if last is ident_token else "','", token, after=last)
            after = self._advance()

    # -- boolean structure ----------------------------------------------------------------------

    def _or(self) -> Expr:
        items: list[Expr] = []
        while True:
            item = self._and()
            items.extend(item.items if isinstance(item, Or) else (item,))
            if not self._is_keyword(self._peek(), "OR"):
                return items[0] if len(items) == 1 else Or(tuple(items))
            self._advance()

    def _and(self) -> Expr:
        items: list[Expr] = []
        while True:
            item = self._not()
            items.extend(item.items if isinstance(item, And) else (item,))
            if not self._is_keyword(self._peek(), "AND"):
                return items[0] if len(items) == 1 else And(tuple(items))
            self._advance()

    def _not(self) -> Expr:
        count = 0
        while self._is_keyword(self._peek(), "NOT"):
            self._enter(self._advance())
            count += 1
        expr = self._primary()
        self._depth -= count
        for _ in range(count):
            expr = Not(expr)
        return expr

    def _primary(self) -> Expr:
        opening = self._peek()
        if opening.kind is not TokenKind.LPAREN:
            return self._predicate()
        self._enter(self._advance())
        expr = self._or()
        closing = self._peek()
        if closing.kind is TokenKind.EOF:
            raise self._error(
                f"expected ')' at {closing.start} to close the '(' at {opening.start}, found end of input",
                closing.start,
            )
        if closing.kind is not TokenKind.RPAREN:
            raise self._expected("AND, OR or ')'", closing)
        self._advance()
        self._depth -= 1
        return expr

    def _enter(self, token: Token) -> None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise self._error(f"filter nests deeper than {MAX_DEPTH} levels at {token.start}", token.start)

    # -- predicates -----------------------------------------------------------------------------

    def _predicate(self) -> Expr:
        ident_token = self._peek()
        identifier = self._identifier(after=self._previous())
        start = ident_token.start
        token = self._peek()
        if token.kind is TokenKind.OPERATOR:
            self._advance()
            op = _COMPARE_OPERATORS[token.text]
            value_token, value = self._value(after=token)
            value = self._check(identifier, ident_token, op, token, value_token, value)
            return Comparison(identifier, op, value, start)
        negated = False
        first = token
        if self._is_keyword(token, "NOT"):
            self._advance()
            negated = True
            token = self._peek()
            if not self._is_keyword(token, "LIKE", "ILIKE", "IN"):
                raise self._expected("LIKE, ILIKE or IN", token, after=first)
        if self._is_keyword(token, "LIKE", "ILIKE"):
            self._advance()
            op = _LIKE_OPERATORS[negated, token.text.upper()]
            value_token, value = self._value(after=token)
            value = self._check(identifier, ident_token, op, first, value_token, value)
            return Comparison(identifier, op, value, start)
        if self._is_keyword(token, "IN"):
            self._advance()
            values = self._in_values(identifier, ident_token, token)
            return InList(identifier, values, negated, start)
        if self._is_keyword(token, "IS"):
            self._advance()
            after = token
            negated = self._is_keyword(self._peek(), "NOT")
            if negated:
                after = self._advance()
            if not self._is_keyword(self._peek(), "NULL"):
                raise self._expected("NULL" if negated else "NULL or NOT NULL", self._peek(), after=after)
            self._advance()
            return IsNull(identifier, negated, start)
        raise self._expected("an operator", token, after=ident_token)

    def _in_values(self, identifier: Identifier, ident_token: Token, in_token: Token) -> tuple[Literal_, ...]:
        opening = self._peek()
        if opening.kind is not TokenKind.LPAREN:
            raise self._expected("'('", opening, after=in_token)
        self._advance()
        if self._peek().kind is TokenKind.RPAREN:
            position = self._peek().start
            raise self._error(f"IN list is empty at {position}: give at least one value", position)
        items: list[tuple[Token, Literal_]] = []
        after = opening
        while True:
            value_token, value = self._value(after=after)
            items.append(
                (value_token, self._check(identifier, ident_token, "=", in_token, value_token, value))
            )
            separator = self._peek()
            if separator.kind is TokenKind.RPAREN:
                self._advance()
                break
            if separator.kind is not TokenKind.COMMA:
                raise self._expected("',' or ')'", separator, after=value_token)
            after = self._advance()
        first_kind = items[0][0].kind
        for value_token, _ in items:
            if value_token.kind not in (TokenKind.STRING, TokenKind.NUMBER):
                raise self._error(
                    f"IN lists hold numbers or strings; got {value_token.text} at {value_token.start}",
                    value_token.start,
                )
            if value_token.kind is not first_kind:
                raise self._error(
                    f"IN list mixes numbers and strings at {value_token.start}", value_token.start
                )
        return tuple(value for _, value in items)

    def _value(self, *, after: Token) -> tuple[Token, Literal_]:
        token = self._peek()
        if token.kind in (TokenKind.STRING, TokenKind.NUMBER) and token.value is not None:
            return self._advance(), token.value
        if self._is_keyword(token, "TRUE", "FALSE"):
            return self._advance(), token.text.upper() == "TRUE"
        if self._is_keyword(token, "NULL"):
            raise self._error(
                f"NULL is not a value at {token.start}: use IS NULL or IS NOT NULL", token.start
            )
        hint = ""
        if token.kind is TokenKind.WORD and token.quoted_key is None and not self._is_keyword(token):
            hint = f"; quote strings, e.g. '{token.text}'"
        raise self._expected("a value", token, after=after, hint=hint)

    def _check(
        self,
        identifier: Identifier,
        ident_token: Token,
        op: Operator,
        op_token: Token,
        value_token: Token,
        value: Literal_,
    ) -> Literal_:
        """Check ``value`` against the identifier's type and ``op``; return it normalised."""
        name = ident_token.text
        kind = _value_type(identifier)
        at = value_token.start
        if "LIKE" in op:
            if kind in ("number", "time"):
                what = "numbers" if kind == "number" else "times"
                raise self._error(
                    f"{op} does not apply to {name} at {op_token.start}: it compares {what}", op_token.start
                )
            if not isinstance(value, str):
                raise self._error(
                    f"{op} needs a string pattern; got {_describe_value(value_token)} at {at}", at
                )
            return value
        if op in _ORDERING and kind in _UNORDERED_TYPES:
            raise self._error(
                f"'{op_token.text}' does not apply to {name} at {op_token.start}; use {_STRING_OPERATORS}",
                op_token.start,
            )
        if isinstance(value, bool) and op in _ORDERING:
            raise self._error(
                f"true and false compare only with = or !=; got '{op_token.text}' at {op_token.start}",
                op_token.start,
            )
        if kind == "any":
            return value
        if kind == "number":
            if isinstance(value, str | bool):
                raise self._error(f"{name} compares numbers; got {_describe_value(value_token)} at {at}", at)
            return value
        if kind == "time":
            if isinstance(value, bool):
                raise self._error(f"{name} compares times; got {_describe_value(value_token)} at {at}", at)
            if isinstance(value, str):
                millis = _epoch_millis(value)
                if millis is None:
                    raise self._error(
                        f"invalid date {value_token.text} for {name} at {at}: "
                        "use ISO 8601, e.g. '2026-01-02T03:04:05Z', or epoch milliseconds",
                        at,
                    )
                return millis
            return value
        if not isinstance(value, str):
            raise self._error(
                f"{name} compares strings; got {_describe_value(value_token)} at {at}: "
                f"quote it, e.g. '{value_token.text}'",
                at,
            )
        if kind == "status":
            return self._status(value, at)
        if kind == "kind":
            return self._kind(value, at)
        return value

    def _status(self, value: str, at: int) -> str:
        wanted = _squash(value)
        for spelling in _STATUS_SPELLINGS:
            if _squash(spelling) == wanted:
                return _MLFLOW_STATUSES.get(spelling, spelling)
        choices = {_squash(spelling): spelling for spelling in _STATUS_SPELLINGS}
        close = difflib.get_close_matches(wanted, list(choices), n=1)
        hint = (
            f": did you mean '{choices[close[0]]}'?"
            if close
            else f"; use one of {', '.join(_STATUS_SPELLINGS)}"
        )
        raise self._error(f"unknown status '{value}' at {at}{hint}", at)

    def _kind(self, value: str, at: int) -> str:
        if value.lower() in _KIND_SPELLINGS:
            return value.lower()
        close = difflib.get_close_matches(value.lower(), _KIND_SPELLINGS, n=1)
        hint = f": did you mean '{close[0]}'?" if close else f"; use one of {', '.join(_KIND_SPELLINGS)}"
        raise self._error(f"unknown kind '{value}' at {at}{hint}", at)

    # -- identifiers ----------------------------------------------------------------------------

    def _identifier(self, *, after: Token | None) -> Identifier:
        token = self._peek()
        if token.kind is not TokenKind.WORD or self._is_keyword(token):
            raise self._expected("an identifier", token, after=after)
        self._advance()
        return self._resolve(token)

    def _resolve(self, token: Token) -> Identifier:
        """Turn a word token into an identifier, or explain why it is not one."""
        at = token.start
        if token.quoted_key is None:
            head, dot, key = token.text.partition(".")
            suffix = ""
            key_at = at + len(head) + 1
        else:
            head, dot, rest = token.prefix[:-1].partition(".")
            key_at = at + len(token.prefix)
            if dot and head in _PREFIXES:
                raise self._error(
                    f"unexpected quoted key after '{token.prefix}' at {key_at}: "
                    f"quote the whole key, e.g. {head}.`{rest}.{token.quoted_key}`",
                    key_at,
                )
            dot, key, suffix = ".", token.quoted_key, token.suffix
            if not key and head in _PREFIXES:
                raise self._error(f"empty quoted key at {key_at}", key_at)
        if not dot:
            name = _ATTRIBUTE_ALIASES.get(head, head)
            if name in ATTRIBUTES:
                return Identifier("attributes", name, None, at)
            if head in _PREFIXES:
                raise self._error(f"expected '.' and a key after '{head}' at {token.end}", token.end)
            raise self._unknown(token, _suggest(head, _ATTRIBUTE_NAMES))
        if head in _KEYED:
            return self._keyed(token, _KEYED[head], key, suffix, key_at=key_at)
        if head in _ATTRIBUTE_PREFIXES:
            name = _ATTRIBUTE_ALIASES.get(key, key)
            if name in ATTRIBUTES and not suffix:
                return Identifier("attributes", name, None, at)
            close = _suggest(key, _ATTRIBUTE_NAMES)
            raise self._unknown(token, f"{head}.{close}" if close else None)
        if head in _URIS:
            if key == "uri" and not suffix:
                return Identifier(_URIS[head], "uri", None, at)
            raise self._unknown(token, f"{head}.uri")
        close = _suggest(head, _PREFIXES)
        raise self._unknown(token, close + token.text[len(head) :] if close else None)

    def _keyed(self, token: Token, namespace: Namespace, key: str, suffix: str, *, key_at: int) -> Identifier:
        """Build a params, metrics or tags identifier, splitting off a metric's aggregate."""
        aggregate: Aggregate | None = "last" if namespace == "metrics" else None
        if token.quoted_key is None:
            if namespace == "metrics":
                base, _, last = key.rpartition(".")
                if base and last in _AGGREGATES:
                    key, aggregate = base, _AGGREGATES[last]
            if not key:
                raise self._error(f"expected a key after '{namespace}.' at {key_at}", key_at)
            if not _KEY_START.match(key):
                raise self._error(
                    f"invalid key '{key}' at {key_at}: a bare key starts with a letter, digit or '_'; "
                    f"quote others, e.g. {namespace}.`{key}`",
                    key_at,
                )
        elif suffix:
            at = token.end - len(suffix)
            if namespace != "metrics":
                raise self._error(
                    f"unexpected '{suffix}' after the quoted key at {at}: only metrics take an aggregate", at
                )
            if suffix[1:] not in _AGGREGATES:
                raise self._error(
                    f"unknown aggregate '{suffix[1:]}' at {at + 1}: use min, max, avg, last or count", at + 1
                )
            aggregate = _AGGREGATES[suffix[1:]]
        return Identifier(namespace, key, aggregate, token.start)

    def _unknown(self, token: Token, suggestion: str | None) -> QuerySyntaxError:
        hint = f": did you mean '{suggestion}'?" if suggestion else ""
        return self._error(f"unknown identifier '{token.text}' at {token.start}{hint}", token.start)

    # -- token stream ---------------------------------------------------------------------------

    def _peek(self) -> Token:
        return self._tokens[self._index]

    def _previous(self) -> Token | None:
        return self._tokens[self._index - 1] if self._index else None

    def _advance(self) -> Token:
        token = self._tokens[self._index]
        if token.kind is not TokenKind.EOF:
            self._index += 1
        return token

    @staticmethod
    def _is_keyword(token: Token, *words: str) -> bool:
        """Whether ``token`` is one of the keywords ``words`` (any keyword when none are given)."""
        if token.kind is not TokenKind.WORD or token.quoted_key is not None:
            return False
        word = token.text.upper()
        return word in words if words else word in _KEYWORDS

    def _expected(
        self, what: str, token: Token, *, after: Token | None = None, hint: str = ""
    ) -> QuerySyntaxError:
        where = f" after '{_shorten(after.text)}'" if after is not None else ""
        return self._error(
            f"expected {what}{where} at {token.start}, found {_describe(token)}{hint}", token.start
        )

    def _error(self, reason: str, position: int) -> QuerySyntaxError:
        return QuerySyntaxError(reason, text=self._text, position=position, field=self._field)


def _value_type(identifier: Identifier) -> _ValueType:
    """Which values an identifier compares with."""
    if identifier.namespace == "metrics":
        return "number"
    if identifier.namespace == "params":
        return "any"
    if identifier.namespace == "attributes":
        return _ATTRIBUTE_TYPES[identifier.key]
    return "string" if identifier.namespace == "tags" else "uri"


def _describe(token: Token) -> str:
    """Name a token for an error message: ``end of input``, ``string 'x'``, ``number 5``, ``'AND'``."""
    if token.kind is TokenKind.EOF:
        return "end of input"
    text = _shorten(token.text)
    if token.kind is TokenKind.STRING:
        return f"string {text}"
    if token.kind is TokenKind.NUMBER:
        return f"number {text}"
    return f"'{text}'"


def _describe_value(token: Token) -> str:
    """Name a value for a type error: ``string 'x'``, ``number 5``, or ``true``/``false`` as written."""
    return token.text if token.kind is TokenKind.WORD else _describe(token)


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _suggest(word: str, candidates: Sequence[str]) -> str | None:
    """Return the candidate closest to ``word``, ignoring case, if one is close enough."""
    by_lower = {candidate.lower(): candidate for candidate in candidates}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1)
    return by_lower[close[0]] if close else None


def _squash(status: str) -> str:
    """Fold a status for comparison: lower case, without spaces, ``_`` or ``-``."""
    return re.sub(r"[\s_-]+", "", status).lower()


def _epoch_millis(text: str) -> float | None:
    """Convert an ISO 8601 date or date-time to epoch milliseconds (naive means UTC); ``None`` if invalid."""
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return (moment - _EPOCH) / timedelta(milliseconds=1)
    except (ValueError, OverflowError):
        return None
