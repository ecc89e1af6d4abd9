"""Tests of the search-language lexer and parser: the tree built, type rules, and every error message."""

from __future__ import annotations

import dataclasses
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import mltrail.core.query as query
from mltrail.core.errors import QuerySyntaxError, ValidationError
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
from mltrail.core.query.ast import format_key, format_literal
from mltrail.core.query.lexer import TokenKind, tokenize
from mltrail.core.query.parser import MAX_DEPTH, MAX_LENGTH

# -- helpers ------------------------------------------------------------------------------------


def strip(node: Any) -> Any:
    """Return ``node`` with every ``position`` set to 0, recursively, to compare structure only."""
    if isinstance(node, tuple):
        return tuple(strip(item) for item in node)
    if not dataclasses.is_dataclass(node) or isinstance(node, type):
        return node
    changes = {}
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        changes[field.name] = 0 if field.name == "position" else strip(value)
    return dataclasses.replace(node, **changes)


def parse(text: str) -> Expr:
    """Parse ``text``, which must be a non-blank filter, and drop positions."""
    expr = parse_filter(text)
    assert expr is not None
    return strip(expr)  # type: ignore[no-any-return]


def param(key: str) -> Identifier:
    return Identifier("params", key)


def metric(key: str, aggregate: str = "last") -> Identifier:
    return Identifier("metrics", key, aggregate)  # type: ignore[arg-type]


def tag(key: str) -> Identifier:
    return Identifier("tags", key)


def attr(name: str) -> Identifier:
    return Identifier("attributes", name)


def error_of(text: str) -> QuerySyntaxError:
    with pytest.raises(QuerySyntaxError) as info:
        parse_filter(text)
    return info.value


def order_error_of(items: Any) -> QuerySyntaxError:
    with pytest.raises(QuerySyntaxError) as info:
        parse_order_by(items)
    return info.value


A = Comparison(param("a"), "=", 1)
B = Comparison(param("b"), "=", 2)
C = Comparison(param("c"), "=", 3)
D = Comparison(param("d"), "=", 4)


# -- public API ---------------------------------------------------------------------------------


def test_all_is_sorted_and_importable() -> None:
    assert query.__all__ == sorted(query.__all__)
    for name in query.__all__:
        assert hasattr(query, name)
    assert {"parse_filter", "parse_order_by", "And", "Or", "Not", "Comparison", "InList", "IsNull"} <= set(
        query.__all__
    )


# -- blank input --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [None, "", " ", "\t\n  "])
def test_blank_filter_is_none(text: str | None) -> None:
    assert parse_filter(text) is None


@pytest.mark.parametrize("items", [None, "", "   ", [], [""], ["  ", ""], ()])
def test_blank_order_by_is_empty(items: Any) -> None:
    assert parse_order_by(items) == ()


# -- comparisons and operators ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "op"),
    [
        ("=", "="),
        ("==", "="),
        ("!=", "!="),
        ("<>", "!="),
        ("<", "<"),
        ("<=", "<="),
        (">", ">"),
        (">=", ">="),
    ],
)
def test_comparison_operators(source: str, op: str) -> None:
    assert parse(f"metrics.auc {source} 0.5") == Comparison(metric("auc"), op, 0.5)  # type: ignore[arg-type]
    assert parse(f"metrics.auc{source}0.5") == Comparison(metric("auc"), op, 0.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "op"),
    [
        ("params.opt LIKE 'ad%'", "LIKE"),
        ("params.opt like 'ad%'", "LIKE"),
        ("params.opt ILIKE 'ad%'", "ILIKE"),
        ("params.opt iLike 'ad%'", "ILIKE"),
        ("params.opt NOT LIKE 'ad%'", "NOT LIKE"),
        ("params.opt not like 'ad%'", "NOT LIKE"),
        ("params.opt NOT ILIKE 'ad%'", "NOT ILIKE"),
        ("params.opt Not ILike 'ad%'", "NOT ILIKE"),
    ],
)
def test_like_operators(text: str, op: str) -> None:
    assert parse(text) == Comparison(param("opt"), op, "ad%")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("params.a IN (1, 2, 3)", InList(param("a"), (1, 2, 3))),
        ("params.a in ('x')", InList(param("a"), ("x",))),
        ("params.a NOT IN ('x', 'y')", InList(param("a"), ("x", "y"), negated=True)),
        ("params.a not in (1.5,2)", InList(param("a"), (1.5, 2), negated=True)),
        ("params.a IS NULL", IsNull(param("a"))),
        ("params.a is null", IsNull(param("a"))),
        ("params.a IS NOT NULL", IsNull(param("a"), negated=True)),
        ("params.a Is Not Null", IsNull(param("a"), negated=True)),
    ],
)
def test_in_and_is_null(text: str, expected: Expr) -> None:
    assert parse(text) == expected


# -- boolean structure --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("params.a = 1 AND params.b = 2", And((A, B))),
        ("params.a = 1 and params.b = 2", And((A, B))),
        ("params.a = 1 OR params.b = 2", Or((A, B))),
        ("params.a = 1 or params.b = 2", Or((A, B))),
        ("NOT params.a = 1", Not(A)),
        ("not params.a = 1", Not(A)),
        ("NOT NOT params.a = 1", Not(Not(A))),
        ("NOT (params.a = 1)", Not(A)),
        ("(params.a = 1)", A),
        ("((params.a = 1))", A),
    ],
)
def test_boolean_operators(text: str, expected: Expr) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("params.a = 1 OR params.b = 2 AND params.c = 3", Or((A, And((B, C))))),
        ("params.a = 1 AND params.b = 2 OR params.c = 3", Or((And((A, B)), C))),
        ("(params.a = 1 OR params.b = 2) AND params.c = 3", And((Or((A, B)), C))),
        ("NOT params.a = 1 AND params.b = 2", And((Not(A), B))),
        ("NOT params.a = 1 OR params.b = 2", Or((Not(A), B))),
        ("NOT (params.a = 1 OR params.b = 2)", Not(Or((A, B)))),
        (
            "params.a = 1 AND params.b = 2 OR params.c = 3 AND params.d = 4",
            Or((And((A, B)), And((C, D)))),
        ),
        ("params.a = 1 AND NOT params.b = 2 OR NOT params.c = 3", Or((And((A, Not(B))), Not(C)))),
    ],
)
def test_precedence_not_and_or(text: str, expected: Expr) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("params.a = 1 AND params.b = 2 AND params.c = 3", And((A, B, C))),
        ("params.a = 1 AND (params.b = 2 AND params.c = 3)", And((A, B, C))),
        ("(params.a = 1 AND params.b = 2) AND params.c = 3", And((A, B, C))),
        ("(params.a = 1 AND params.b = 2) AND (params.c = 3 AND params.d = 4)", And((A, B, C, D))),
        ("params.a = 1 OR params.b = 2 OR params.c = 3", Or((A, B, C))),
        ("params.a = 1 OR (params.b = 2 OR (params.c = 3 OR params.d = 4))", Or((A, B, C, D))),
        ("params.a = 1 AND (params.b = 2 OR params.c = 3)", And((A, Or((B, C))))),
        ("params.a = 1 OR (params.b = 2 AND params.c = 3)", Or((A, And((B, C))))),
        ("NOT (params.a = 1 AND params.b = 2) AND params.c = 3", And((Not(And((A, B))), C))),
    ],
)
def test_flattening_of_same_kind_only(text: str, expected: Expr) -> None:
    assert parse(text) == expected


def test_nesting_up_to_the_limit_parses() -> None:
    text = "(" * MAX_DEPTH + "params.a = 1" + ")" * MAX_DEPTH
    assert parse(text) == A
    text = "NOT " * MAX_DEPTH + "params.a = 1"
    expr = parse(text)
    for _ in range(MAX_DEPTH):
        assert isinstance(expr, Not)
        expr = expr.item
    assert expr == A


def test_nesting_beyond_the_limit_fails() -> None:
    assert MAX_DEPTH == 64
    error = error_of("(" * 65 + "params.a = 1" + ")" * 65)
    assert (error.reason, error.position) == ("filter nests deeper than 64 levels at 64", 64)
    error = error_of("NOT " * 65 + "params.a = 1")
    assert (error.reason, error.position) == ("filter nests deeper than 64 levels at 256", 256)
    error = error_of("NOT (" * 32 + "NOT params.a = 1" + ")" * 32)
    assert (error.reason, error.position) == ("filter nests deeper than 64 levels at 160", 160)


def test_sibling_parentheses_do_not_add_depth() -> None:
    one = "(" * 40 + "params.a = 1" + ")" * 40
    assert parse(f"{one} AND {one} OR {one}") == Or((And((A, A)), A))


def test_length_limit() -> None:
    assert MAX_LENGTH == 20_000
    value = "x" * (MAX_LENGTH - len("name = ''"))
    assert parse(f"name = '{value}'") == Comparison(attr("name"), "=", value)
    error = error_of(f"name = '{value}x'")
    assert error.reason == "filter is too long at 20000: 20001 characters, the limit is 20000"
    assert error.position == 20_000
    error = order_error_of("x" * 20_001)
    assert error.reason == "order_by is too long at 20000: 20001 characters, the limit is 20000"
    assert error.field == "order_by"


def test_long_flat_chains_do_not_recurse() -> None:
    text = " OR ".join(f"params.p = {i}" for i in range(1000))
    expr = parse(text)
    assert isinstance(expr, Or)
    assert len(expr.items) == 1000


# -- identifiers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "identifier"),
    [
        ("params.lr", param("lr")),
        ("params.optimizer.lr", param("optimizer.lr")),
        ("params.a-b/c.d", param("a-b/c.d")),
        ("params.1st", param("1st")),
        ("params._x", param("_x")),
        ("params.max", param("max")),
        ("params.and", param("and")),
        ("params.`my key`", param("my key")),
        ('params."my key"', param("my key")),
        ("params.`a``b`", param("a`b")),
        ("params.`it's`", param("it's")),
        ('params."say ""hi"""', param('say "hi"')),
        ('params."a\\"b"', param('a"b')),
        ("params.`ünï cödé`", param("ünï cödé")),
        ("params.`a.max`", param("a.max")),
        ("tags.team", tag("team")),
        ("tags.mlflow.runName", tag("mlflow.runName")),
        ('tags."mlflow.runName"', tag("mlflow.runName")),
        ("tags.`mlflow.runName`", tag("mlflow.runName")),
        ("tags.x.count", tag("x.count")),
    ],
)
def test_param_and_tag_identifiers(text: str, identifier: Identifier) -> None:
    assert parse(f"{text} IS NULL") == IsNull(identifier)


@pytest.mark.parametrize(
    ("text", "key", "aggregate"),
    [
        ("metrics.auc", "auc", "last"),
        ("metrics.val_auc.max", "val_auc", "max"),
        ("metrics.val_auc.min", "val_auc", "min"),
        ("metrics.val_auc.avg", "val_auc", "avg"),
        ("metrics.val_auc.last", "val_auc", "last"),
        ("metrics.val_auc.count", "val_auc", "count"),
        ("metrics.train.loss", "train.loss", "last"),
        ("metrics.train.loss.max", "train.loss", "max"),
        ("metrics.max", "max", "last"),
        ("metrics.count", "count", "last"),
        ("metrics.max.min", "max", "min"),
        ("metrics.auc.MAX", "auc.MAX", "last"),
        ("metrics.auc.maximum", "auc.maximum", "last"),
        ("metrics.`val auc`", "val auc", "last"),
        ("metrics.`val auc`.max", "val auc", "max"),
        ('metrics."val.auc".count', "val.auc", "count"),
        ("metrics.`a.max`", "a.max", "last"),
        ("metrics.`a.max`.last", "a.max", "last"),
    ],
)
def test_metric_identifiers_and_aggregates(text: str, key: str, aggregate: str) -> None:
    assert parse(f"{text} > 1") == Comparison(metric(key, aggregate), ">", 1)


@pytest.mark.parametrize("name", query.ATTRIBUTES)
@pytest.mark.parametrize("prefix", ["", "attributes.", "attribute.", "attr.", "run."])
def test_attribute_identifiers(prefix: str, name: str) -> None:
    assert parse(f"{prefix}{name} IS NOT NULL") == IsNull(attr(name), negated=True)


@pytest.mark.parametrize(
    ("alias", "name"), [("run_id", "id"), ("run_name", "name"), ("created", "start_time")]
)
@pytest.mark.parametrize("prefix", ["", "attributes.", "attribute.", "attr.", "run."])
def test_mlflow_attribute_aliases(prefix: str, alias: str, name: str) -> None:
    assert parse(f"{prefix}{alias} IS NULL") == IsNull(attr(name))


@pytest.mark.parametrize("prefix", ["attributes", "attr"])
def test_quoted_attribute_names(prefix: str) -> None:
    assert parse(f"{prefix}.`status` IS NULL") == IsNull(attr("status"))
    assert parse(f'{prefix}."run_id" IS NULL') == IsNull(attr("id"))


@pytest.mark.parametrize("namespace", ["inputs", "outputs"])
def test_dataset_uri_identifiers(namespace: str) -> None:
    assert parse(f"{namespace}.uri = 's3://b/k'") == Comparison(Identifier(namespace, "uri"), "=", "s3://b/k")  # type: ignore[arg-type]
    assert parse(f"{namespace}.`uri` IS NULL") == IsNull(Identifier(namespace, "uri"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("metric.auc > 1", "unknown identifier 'metric.auc' at 0: did you mean 'metrics.auc'?"),
        ("metric.val.max > 1", "unknown identifier 'metric.val.max' at 0: did you mean 'metrics.val.max'?"),
        ("param.lr = 1", "unknown identifier 'param.lr' at 0: did you mean 'params.lr'?"),
        ("tag.team = 'a'", "unknown identifier 'tag.team' at 0: did you mean 'tags.team'?"),
        ("input.uri = 'a'", "unknown identifier 'input.uri' at 0: did you mean 'inputs.uri'?"),
        ("output.uri = 'a'", "unknown identifier 'output.uri' at 0: did you mean 'outputs.uri'?"),
        ("metric.`a b` > 1", "unknown identifier 'metric.`a b`' at 0: did you mean 'metrics.`a b`'?"),
        ("Metrics.x > 1", "unknown identifier 'Metrics.x' at 0: did you mean 'metrics.x'?"),
        ("PARAMS.x = 1", "unknown identifier 'PARAMS.x' at 0: did you mean 'params.x'?"),
        (
            "attribtes.status = 'a'",
            "unknown identifier 'attribtes.status' at 0: did you mean 'attributes.status'?",
        ),
        ("stauts = 'a'", "unknown identifier 'stauts' at 0: did you mean 'status'?"),
        ("Status = 'a'", "unknown identifier 'Status' at 0: did you mean 'status'?"),
        ("start_tme = 1", "unknown identifier 'start_tme' at 0: did you mean 'start_time'?"),
        ("start = 1", "unknown identifier 'start' at 0: did you mean 'status'?"),
        ("runid = 'a'", "unknown identifier 'runid' at 0: did you mean 'run_id'?"),
        ("attr.stauts = 'a'", "unknown identifier 'attr.stauts' at 0: did you mean 'attr.status'?"),
        (
            "attributes.user_id = 'a'",
            "unknown identifier 'attributes.user_id' at 0: did you mean 'attributes.run_id'?",
        ),
        ("attributes.lifecycle_stage = 'a'", "unknown identifier 'attributes.lifecycle_stage' at 0"),
        (
            "attributes.status.x = 'a'",
            "unknown identifier 'attributes.status.x' at 0: did you mean 'attributes.status'?",
        ),
        ("inputs.url = 'a'", "unknown identifier 'inputs.url' at 0: did you mean 'inputs.uri'?"),
        ("outputs.name = 'a'", "unknown identifier 'outputs.name' at 0: did you mean 'outputs.uri'?"),
        ("inputs.uri.max = 'a'", "unknown identifier 'inputs.uri.max' at 0: did you mean 'inputs.uri'?"),
        ("lr = 1", "unknown identifier 'lr' at 0"),
        ("zzz.a = 1", "unknown identifier 'zzz.a' at 0"),
        ("foo.`a` = 1", "unknown identifier 'foo.`a`' at 0"),
    ],
)
def test_unknown_identifiers(text: str, reason: str) -> None:
    error = error_of(text)
    assert (error.reason, error.position) == (reason, 0)


def test_unknown_identifier_position_is_its_offset() -> None:
    error = error_of("params.a = 1 AND metric.auc > 0.5")
    assert error.reason == "unknown identifier 'metric.auc' at 17: did you mean 'metrics.auc'?"
    assert error.position == 17


@pytest.mark.parametrize(
    ("text", "reason", "position"),
    [
        ("params = 1", "expected '.' and a key after 'params' at 6", 6),
        ("metrics > 1", "expected '.' and a key after 'metrics' at 7", 7),
        ("attributes = 'a'", "expected '.' and a key after 'attributes' at 10", 10),
        ("inputs = 'a'", "expected '.' and a key after 'inputs' at 6", 6),
        ("params. = 1", "expected a key after 'params.' at 7", 7),
        ("tags. 'x' = 'a'", "expected a key after 'tags.' at 5", 5),
        (
            "metrics..max > 1",
            "invalid key '.max' at 8: a bare key starts with a letter, digit or '_'; "
            "quote others, e.g. metrics.`.max`",
            8,
        ),
        (
            "params.-x = 1",
            "invalid key '-x' at 7: a bare key starts with a letter, digit or '_'; "
            "quote others, e.g. params.`-x`",
            7,
        ),
        ("metrics.`` > 1", "empty quoted key at 8", 8),
        ('tags."" = 1', "empty quoted key at 5", 5),
        ("metrics.`a`.foo > 1", "unknown aggregate 'foo' at 12: use min, max, avg, last or count", 12),
        ("metrics.`a`. > 1", "unknown aggregate '' at 12: use min, max, avg, last or count", 12),
        (
            "tags.`a`.max = 'x'",
            "unexpected '.max' after the quoted key at 8: only metrics take an aggregate",
            8,
        ),
        (
            "params.a.`b` = 1",
            "unexpected quoted key after 'params.a.' at 9: quote the whole key, e.g. params.`a.b`",
            9,
        ),
    ],
)
def test_malformed_keys(text: str, reason: str, position: int) -> None:
    error = error_of(text)
    assert (error.reason, error.position) == (reason, position)


# -- literals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ("'adam'", "adam"),
        ('"adam"', "adam"),
        ("''", ""),
        ('""', ""),
        ("'it''s'", "it's"),
        ('"say ""hi"""', 'say "hi"'),
        ("'it\\'s'", "it's"),
        ('"say \\"hi\\""', 'say "hi"'),
        ("'back\\\\slash'", "back\\slash"),
        ("'a\\_b%'", "a\\_b%"),
        ("'a\\nb'", "a\\nb"),
        ("'\"'", '"'),
        ('"\'"', "'"),
        ("'ünïcödé ✓ 日本'", "ünïcödé ✓ 日本"),
        ("'  spaced  '", "  spaced  "),
        ("'AND OR NOT ( ) ,'", "AND OR NOT ( ) ,"),
        ("0", 0),
        ("42", 42),
        ("-7", -7),
        ("+7", 7),
        ("007", 7),
        ("1.5", 1.5),
        ("-1.5", -1.5),
        (".5", 0.5),
        ("5.", 5.0),
        ("1e3", 1000.0),
        ("1E3", 1000.0),
        ("-1e-3", -0.001),
        ("2.5e+2", 250.0),
        ("9223372036854775807", 2**63 - 1),
        ("-9223372036854775807", -(2**63 - 1)),
        ("true", True),
        ("TRUE", True),
        ("True", True),
        ("false", False),
        ("FALSE", False),
    ],
)
def test_literals(literal: str, value: Any) -> None:
    expr = parse(f"params.p = {literal}")
    assert expr == Comparison(param("p"), "=", value)
    assert isinstance(expr, Comparison)
    assert type(expr.value) is type(value)


@pytest.mark.parametrize(
    ("text", "reason", "position"),
    [
        ("params.p = 'abc", "unterminated string at 11", 11),
        ('params.p = "abc', "unterminated string at 11", 11),
        ("params.p = 'abc\\'", "unterminated string at 11", 11),
        ("params.p = 'it''", "unterminated string at 11", 11),
        ("'", "unterminated string at 0", 0),
        ("params.`abc = 1", "unterminated quoted key at 7", 7),
        ('tags."abc = 1', "unterminated quoted key at 5", 5),
        ("params.p = 1abc", "invalid number '1abc' at 11", 11),
        ("params.p = 1.2.3", "invalid number '1.2.3' at 11", 11),
        ("params.p = 1e", "invalid number '1e' at 11", 11),
        ("params.p = 1e999", "number 1e999 is out of range at 11", 11),
        (
            "params.p = 9223372036854775808",
            "integer 9223372036854775808 is out of range at 11: integers must fit in 64 bits",
            11,
        ),
        (
            "params.p = -" + "9" * 5000,
            "integer -" + "9" * 5000 + " is out of range at 11: integers must fit in 64 bits",
            11,
        ),
        ("params.p = @", "unexpected character '@' at 11", 11),
        ("params.p ! 1", "unexpected character '!' at 9", 9),
        ("params.p = 1;", "unexpected character ';' at 12", 12),
        ("params.p = 1 -- comment", "unexpected character '-' at 13", 13),
        ("params.p = é", "unexpected character 'é' at 11", 11),
        ("params.p = 1 \x00", "unexpected character '\\x00' at 13", 13),
        ("`params.p` = 1", "unexpected character '`' at 0: backticks quote a key, e.g. params.`my key`", 0),
        ("params.p = .", "unexpected character '.' at 11", 11),
    ],
)
def test_lexical_errors(text: str, reason: str, position: int) -> None:
    error = error_of(text)
    assert (error.reason, error.position) == (reason, position)


# -- type rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.auc >= 0.9", Comparison(metric("auc"), ">=", 0.9)),
        ("metrics.auc = 1", Comparison(metric("auc"), "=", 1)),
        ("metrics.auc IN (1, 2.5)", InList(metric("auc"), (1, 2.5))),
        ("metrics.auc NOT IN (0)", InList(metric("auc"), (0,), negated=True)),
        ("metrics.auc IS NULL", IsNull(metric("auc"))),
    ],
)
def test_metrics_take_numbers(text: str, expected: Expr) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "reason", "position"),
    [
        ("metrics.x > 'abc'", "metrics.x compares numbers; got string 'abc' at 12", 12),
        ('metrics.x > "abc"', 'metrics.x compares numbers; got string "abc" at 12', 12),
        ("metrics.x = true", "metrics.x compares numbers; got true at 12", 12),
        ("metrics.x = FALSE", "metrics.x compares numbers; got FALSE at 12", 12),
        ("metrics.x.max IN (1, 'a')", "metrics.x.max compares numbers; got string 'a' at 21", 21),
        ("metrics.x LIKE 'a%'", "LIKE does not apply to metrics.x at 10: it compares numbers", 10),
        ("metrics.x ILIKE 'a%'", "ILIKE does not apply to metrics.x at 10: it compares numbers", 10),
        ("metrics.x NOT LIKE 'a%'", "NOT LIKE does not apply to metrics.x at 10: it compares numbers", 10),
        ("metrics.x NOT ILIKE 1", "NOT ILIKE does not apply to metrics.x at 10: it compares numbers", 10),
    ],
)
def test_metric_type_errors(text: str, reason: str, position: int) -> None:
    error = error_of(text)
    assert (error.reason, error.position) == (reason, position)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("params.p = 'x'", Comparison(param("p"), "=", "x")),
        ("params.p = 3", Comparison(param("p"), "=", 3)),
        ("params.p < 3.5", Comparison(param("p"), "<", 3.5)),
        ("params.p > 'b'", Comparison(param("p"), ">", "b")),
        ("params.p = true", Comparison(param("p"), "=", True)),
        ("params.p != false", Comparison(param("p"), "!=", False)),
        ("params.p LIKE '%x%'", Comparison(param("p"), "LIKE", "%x%")),
        ("params.p IN ('a', 'b')", InList(param("p"), ("a", "b"))),
        ("params.p IN (1, 2.0)", InList(param("p"), (1, 2.0))),
    ],
)
def test_params_take_any_value(text: str, expected: Expr) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "reason", "position"),
    [
        ("params.p LIKE 5", "LIKE needs a string pattern; got number 5 at 14", 14),
        ("params.p ILIKE true", "ILIKE needs a string pattern; got true at 15", 15),
        ("params.p NOT LIKE 1.5", "NOT LIKE needs a string pattern; got number 1.5 at 18", 18),
        ("params.p < true", "true and false compare only with = or !=; got '<' at 9", 9),
        ("params.p >= false", "true and false compare only with = or !=; got '>=' at 9", 9),
        ("params.p IN (true)", "IN lists hold numbers or strings; got true at 13", 13),
        ("params.p IN ('a', false)", "IN lists hold numbers or strings; got false at 18", 18),
        ("params.p IN (1, 'a')", "IN list mixes numbers and strings at 16", 16),
        ("params.p IN ('a', 'b', 3)", "IN list mixes numbers and strings at 23", 23),
    ],
)
def test_param_type_errors(text: str, reason: str, position: int) -> None:
    error = error_of(text)
    assert (error.reason, error.position) == (reason, position)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tags.team = 'vision'", Comparison(tag("team"), "=", "vision")),
        ("tags.team != '5'", Comparison(tag("team"), "!=", "5")),
        ("tags.team > 'a'", Comparison(tag("team"), ">", "a")),
        ("tags.team LIKE 'vis%'", Comparison(tag("team"), "LIKE", "vis%")),
        ("tags.team NOT ILIKE 'VIS%'", Comparison(tag("team"), "NOT ILIKE", "VIS%")),
        ("tags.team IN ('a', 'b')", InList(tag("team"), ("a", "b"))),
    ],
)
def test_tags_take_strings(text: str, expected: Expr) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "reason", "position"),
    [
        ("tags.x = 5", "tags.x compares strings; got number 5 at 9: quote it, e.g. '5'", 9),
        ("tags.x = -1.5e3", "tags.x compares strings; got number -1.5e3 at 9: quote it, e.g. '-1.5e3'", 9),
        ("tags.x = true", "tags.x compares strings; got true at 9: quote it, e.g. 'true'", 9),
        ("tags.x IN ('a', 2)", "tags.x compares strings; got number 2 at 16: quote it, e.g. '2'", 16),
        ("tags.x LIKE 5", "LIKE needs a string pattern; got number 5 at 12", 12),
        ("name = 5", "name compares strings; got number 5 at 7: quote it, e.g. '5'", 7),
        ("attributes.id = 5", "attributes.id compares strings; got number 5 at 16: quote it, e.g. '5'", 16),
        ("run_id = 5", "run_id compares strings; got number 5 at 9: quote it, e.g. '5'", 9),
        ("experiment IN (1)", "experiment compares strings; got number 1 at 15: quote it, e.g. '1'", 15),
        ("trial = false", "trial compares strings; got false at 8: quote it, e.g. 'false'", 8),
    ],
)
def test_string_field_type_errors(text: str, reason: str, position: int) -> None:
    error = error_of(text)
    assert (error.reason, error.position) == (reason, position)


@pytest.mark.parametrize("name", ["id", "name", "experiment", "trial"])
def test_string_attributes(name: str) -> None:
    assert parse(f"{name} = 'x'") == Comparison(attr(name), "=", "x")
    assert parse(f"{name} < 'x'") == Comparison(attr(name), "<", "x")
    assert parse(f"{name} LIKE 'x%'") == Comparison(attr(name), "LIKE", "x%")
    assert parse(f"{name} IN ('x', 'y')") == InList(attr(name), ("x", "y"))


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("InProgress", "InProgress"),
        ("inprogress", "InProgress"),
        ("IN_PROGRESS", "InProgress"),
        ("in progress", "InProgress"),
        ("In-Progress", "InProgress"),
        ("Completed", "Completed"),
        ("COMPLETED", "Completed"),
        ("failed", "Failed"),
        ("Stopped", "Stopped"),
        ("RUNNING", "InProgress"),
        ("running", "InProgress"),
        ("SCHEDULED", "InProgress"),
        ("FINISHED", "Completed"),
        ("Finished", "Completed"),
        ("FAILED", "Failed"),
        ("KILLED", "Stopped"),
        ("killed", "Stopped"),
    ],
)
def test_status_is_normalised(value: str, status: str) -> None:
    assert parse(f"status = '{value}'") == Comparison(attr("status"), "=", status)
    assert parse(f"attributes.status != '{value}'") == Comparison(attr("status"), "!=", status)
    assert parse(f"status IN ('{value}', 'killed')") == InList(attr("status"), (status, "Stopped"))


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("processing", "processing"),
        ("Training", "training"),
        ("EVALUATION", "evaluation"),
        ("registration", "registration"),
        ("Deployment", "deployment"),
        ("custom", "custom"),
    ],
)
def test_kind_is_normalised(value: str, kind: str) -> None:
    assert parse(f"kind = '{value}'") == Comparison(attr("kind"), "=", kind)
    assert parse(f"kind NOT IN ('{value}')") == InList(attr("kind"), (kind,), negated=True)


def test_like_on_status_and_kind_keeps_the_pattern() -> None:
    assert parse("status LIKE 'FIN%'") == Comparison(attr("status"), "LIKE", "FIN%")
    assert parse("kind NOT ILIKE 'TRAIN%'") == Comparison(attr("kind"), "NOT ILIKE", "TRAIN%")


@pytest.mark.parametrize(
    ("text", "reason", "position"),
    [
        ("status = 'runing'", "unknown status 'runing' at 9: did you mean 'RUNNING'?", 9),
        ("status = 'Complted'", "unknown status 'Complted' at 9: did you mean 'Completed'?", 9),
        (
            "status = 'done'",
            "unknown status 'done' at 9; use one of InProgress, Completed, Failed, Stopped, "
            "RUNNING, SCHEDULED, FINISHED, FAILED, KILLED",
            9,
        ),
        (
            "status IN ('Failed', 'nope')",
            "unknown status 'nope' at 21; use one of InProgress, Completed, "
            "Failed, Stopped, RUNNING, SCHEDULED, FINISHED, FAILED, KILLED",
            21,
        ),
        ("status = 1", "status compares strings; got number 1 at 9: quote it, e.g. '1'", 9),
        ("status < 'Failed'", "'<' does not apply to status at 7; use =, !=, LIKE, ILIKE, IN or IS NULL", 7),
        ("kind = 'train'", "unknown kind 'train' at 7: did you mean 'training'?", 7),
        (
            "kind = 'zzz'",
            "unknown kind 'zzz' at 7; use one of processing, training, evaluation, registration, "
            "deployment, custom",
            7,
        ),
        ("kind >= 'custom'", "'>=' does not apply to kind at 5; use =, !=, LIKE, ILIKE, IN or IS NULL", 5),
        ("kind = true", "kind compares strings; got true at 7: quote it, e.g. 'true'", 7),
    ],
)
def test_status_and_kind_errors(text: str, reason: str, position: int) -> None:
    error = error_of(text)
    assert (error.reason, error.position) == (reason, position)


@pytest.mark.parametrize(
    ("literal", "millis"),
    [
        ("0", 0),
        ("1767312000000", 1_767_312_000_000),
        ("1.7e12", 1.7e12),
        ("'1970-01-01'", 0.0),
        ("'2026-01-02'", 1_767_312_000_000.0),
        ("'2026-01-02T03:04:05Z'", 1_767_323_045_000.0),
        ("'2026-01-02T03:04:05'", 1_767_323_045_000.0),
        ("'2026-01-02 03:04:05.250'", 1_767_323_045_250.0),
        ("'2026-01-02T03:04:05+01:00'", 1_767_319_445_000.0),
        ("'1969-12-31T23:59:59Z'", -1000.0),
    ],
)
@pytest.mark.parametrize("name", ["start_time", "end_time", "created", "attributes.start_time"])
def test_times_are_epoch_milliseconds(name: str, literal: str, millis: float) -> None:
    expr = parse(f"{name} > {literal}")
    assert isinstance(expr, Comparison)
    assert expr.value == millis
    assert type(expr.value) is type(millis)


def test_time_in_list_converts_dates() -> None:
    assert parse("end_time IN ('1970-01-01', '1970-01-02')") == InList(attr("end_time"), (0.0, 86_400_000.0))


def test_duration_takes_seconds() -> None:
    assert parse("duration > 3600") == Comparison(attr("duration"), ">", 3600)
    assert parse("duration <= 1.5") == Comparison(attr("duration"), "<=", 1.5)


@pytest.mark.parametrize(
    ("text", "reason", "position"),
    [
        (
            "start_time > '2026-13-01'",
            "invalid date '2026-13-01' for start_time at 13: use ISO 8601, e.g. '2026-01-02T03:04:05Z', "
            "or epoch milliseconds",
            13,
        ),
        (
            "end_time < 'yesterday'",
            "invalid date 'yesterday' for end_time at 11: use ISO 8601, e.g. '2026-01-02T03:04:05Z', "
            "or epoch milliseconds",
            11,
        ),
        (
            "created = ''",
            "invalid date '' for created at 10: use ISO 8601, e.g. '2026-01-02T03:04:05Z', "
            "or epoch milliseconds",
            10,
        ),
        ("start_time = true", "start_time compares times; got true at 13", 13),
        ("start_time IN (1, '2026-01-02')", "IN list mixes numbers and strings at 18", 18),
        ("start_time LIKE '2026%'", "LIKE does not apply to start_time at 11: it compares times", 11),
        ("end_time NOT LIKE '2026%'", "NOT LIKE does not apply to end_time at 9: it compares times", 9),
        ("duration = '5'", "duration compares numbers; got string '5' at 11", 11),
        ("duration LIKE '5'", "LIKE does not apply to duration at 9: it compares numbers", 9),
    ],
)
def test_time_and_duration_errors(text: str, reason: str, position: int) -> None:
    error = error_of(text)
    assert (error.reason, error.position) == (reason, position)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("inputs.uri = 's3://b/k'", Comparison(Identifier("inputs", "uri"), "=", "s3://b/k")),
        ("inputs.uri != 'x'", Comparison(Identifier("inputs", "uri"), "!=", "x")),
        ("outputs.uri LIKE 's3://%'", Comparison(Identifier("outputs", "uri"), "LIKE", "s3://%")),
        ("outputs.uri ILIKE 'S3://%'", Comparison(Identifier("outputs", "uri"), "ILIKE", "S3://%")),
        ("outputs.uri NOT LIKE 'gs://%'", Comparison(Identifier("outputs", "uri"), "NOT LIKE", "gs://%")),
        ("inputs.uri NOT ILIKE 'x'", Comparison(Identifier("inputs", "uri"), "NOT ILIKE", "x")),
        ("inputs.uri IN ('a', 'b')", InList(Identifier("inputs", "uri"), ("a", "b"))),
        ("inputs.uri NOT IN ('a')", InList(Identifier("inputs", "uri"), ("a",), negated=True)),
        ("outputs.uri IS NULL", IsNull(Identifier("outputs", "uri"))),
        ("outputs.uri IS NOT NULL", IsNull(Identifier("outputs", "uri"), negated=True)),
    ],
)
def test_dataset_uris(text: str, expected: Expr) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize("op", ["<", "<=", ">", ">="])
def test_dataset_uris_are_not_ordered(op: str) -> None:
    error = error_of(f"inputs.uri {op} 'a'")
    assert error.reason == f"'{op}' does not apply to inputs.uri at 11; use =, !=, LIKE, ILIKE, IN or IS NULL"
    assert error.position == 11


def test_dataset_uris_take_strings() -> None:
    error = error_of("outputs.uri = 1")
    assert error.reason == "outputs.uri compares strings; got number 1 at 14: quote it, e.g. '1'"


# -- syntax errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason", "position"),
    [
        ("params.lr foo", "expected an operator after 'params.lr' at 10, found 'foo'", 10),
        ("params.lr", "expected an operator after 'params.lr' at 9, found end of input", 9),
        ("params.lr 5", "expected an operator after 'params.lr' at 10, found number 5", 10),
        ("params.lr 'x'", "expected an operator after 'params.lr' at 10, found string 'x'", 10),
        ("params.lr (", "expected an operator after 'params.lr' at 10, found '('", 10),
        ("metrics.val_auc > ", "expected a value after '>' at 18, found end of input", 18),
        ("metrics.val_auc >", "expected a value after '>' at 17, found end of input", 17),
        ("params.x = adam", "expected a value after '=' at 11, found 'adam'; quote strings, e.g. 'adam'", 11),
        ("params.x = AND", "expected a value after '=' at 11, found 'AND'", 11),
        ("params.x = (1)", "expected a value after '=' at 11, found '('", 11),
        ("params.x = =", "expected a value after '=' at 11, found '='", 11),
        ("params.x LIKE", "expected a value after 'LIKE' at 13, found end of input", 13),
        ("params.x = null", "NULL is not a value at 11: use IS NULL or IS NOT NULL", 11),
        ("params.x IN (NULL)", "NULL is not a value at 13: use IS NULL or IS NOT NULL", 13),
        ("params.x NOT foo", "expected LIKE, ILIKE or IN after 'NOT' at 13, found 'foo'", 13),
        ("params.x NOT = 1", "expected LIKE, ILIKE or IN after 'NOT' at 13, found '='", 13),
        ("params.x NOT", "expected LIKE, ILIKE or IN after 'NOT' at 12, found end of input", 12),
        ("params.x IS foo", "expected NULL or NOT NULL after 'IS' at 12, found 'foo'", 12),
        ("params.x IS", "expected NULL or NOT NULL after 'IS' at 11, found end of input", 11),
        ("params.x IS NOT foo", "expected NULL after 'NOT' at 16, found 'foo'", 16),
        ("params.x is not", "expected NULL after 'not' at 15, found end of input", 15),
        ("params.x IN 'a'", "expected '(' after 'IN' at 12, found string 'a'", 12),
        ("params.x IN", "expected '(' after 'IN' at 11, found end of input", 11),
        ("params.x IN ()", "IN list is empty at 13: give at least one value", 13),
        ("params.x IN (1", "expected ',' or ')' after '1' at 14, found end of input", 14),
        ("params.x IN (1 2)", "expected ',' or ')' after '1' at 15, found number 2", 15),
        ("params.x IN (1,)", "expected a value after ',' at 15, found ')'", 15),
        ("params.x IN (,1)", "expected a value after '(' at 13, found ','", 13),
        ("name = 'x')", "unexpected ')' at 10", 10),
        ("params.a = 1)", "unexpected ')' at 12", 12),
        (")", "expected an identifier at 0, found ')'", 0),
        ("()", "expected an identifier after '(' at 1, found ')'", 1),
        ("(params.a = 1", "expected ')' at 13 to close the '(' at 0, found end of input", 13),
        ("((params.a = 1)", "expected ')' at 15 to close the '(' at 0, found end of input", 15),
        ("(params.a = 1 params.b = 2)", "expected AND, OR or ')' at 14, found 'params.b'", 14),
        ("params.a = 1 params.b = 2", "expected AND or OR at 13, found 'params.b'", 13),
        ("params.a = 1 'x'", "expected AND or OR at 13, found string 'x'", 13),
        ("params.a = 1 AND", "expected an identifier after 'AND' at 16, found end of input", 16),
        ("params.a = 1 and or params.b = 2", "expected an identifier after 'and' at 17, found 'or'", 17),
        ("params.x = 1 OR OR params.y = 2", "expected an identifier after 'OR' at 16, found 'OR'", 16),
        ("AND params.a = 1", "expected an identifier at 0, found 'AND'", 0),
        ("NOT", "expected an identifier after 'NOT' at 3, found end of input", 3),
        ("NOT AND", "expected an identifier after 'NOT' at 4, found 'AND'", 4),
        ("'x' = params.a", "expected an identifier at 0, found string 'x'", 0),
        ("1 = params.a", "expected an identifier at 0, found number 1", 0),
        ("true", "expected an identifier at 0, found 'true'", 0),
        ("null IS NULL", "expected an identifier at 0, found 'null'", 0),
        ("params.a = 1 AND 'x" + "y" * 60, "unterminated string at 17", 17),
        (
            "params.a = 1 AND " + "'" + "y" * 60 + "'",
            "expected an identifier after 'AND' at 17, found string '" + "y" * 38 + "…",
            17,
        ),
    ],
)
def test_syntax_errors(text: str, reason: str, position: int) -> None:
    error = error_of(text)
    assert (error.reason, error.position) == (reason, position)


def test_error_carries_text_position_field_and_caret() -> None:
    error = error_of("params.lr foo")
    assert isinstance(error, ValidationError)
    assert error.text == "params.lr foo"
    assert error.value == "params.lr foo"
    assert error.field == "filter"
    assert error.position == 10
    assert str(error) == (
        "expected an operator after 'params.lr' at 10, found 'foo'\n  params.lr foo\n            ^"
    )


# -- positions ----------------------------------------------------------------------------------


def test_nodes_record_their_positions() -> None:
    expr = parse_filter("params.a = 1 AND (metrics.b IN (1) OR NOT tags.c IS NULL)")
    assert expr == And(
        (
            Comparison(Identifier("params", "a", None, 0), "=", 1, 0),
            Or(
                (
                    InList(Identifier("metrics", "b", "last", 18), (1,), False, 18),
                    Not(IsNull(Identifier("tags", "c", None, 42), False, 42)),
                )
            ),
        )
    )


# -- MLflow compatibility and hostile strings -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "metrics.x > 0.9 and params.y = '0.01'",
            And((Comparison(metric("x"), ">", 0.9), Comparison(param("y"), "=", "0.01"))),
        ),
        ("attributes.status = 'FINISHED'", Comparison(attr("status"), "=", "Completed")),
        ("attributes.status != 'RUNNING'", Comparison(attr("status"), "!=", "InProgress")),
        ("tags.\"mlflow.runName\" LIKE 'lr%'", Comparison(tag("mlflow.runName"), "LIKE", "lr%")),
        ("tags.`mlflow.source.type` = 'LOCAL'", Comparison(tag("mlflow.source.type"), "=", "LOCAL")),
        ("attributes.run_id IN ('a','b')", InList(attr("id"), ("a", "b"))),
        ("attributes.run_name = 'r'", Comparison(attr("name"), "=", "r")),
        ("params.`my key` = 'v'", Comparison(param("my key"), "=", "v")),
        ('metrics."accuracy" > 0.9', Comparison(metric("accuracy"), ">", 0.9)),
        ("attributes.start_time > 1700000000000", Comparison(attr("start_time"), ">", 1_700_000_000_000)),
        ("attributes.created < 1700000000000", Comparison(attr("start_time"), "<", 1_700_000_000_000)),
        ('params.batch_size = "32"', Comparison(param("batch_size"), "=", "32")),
        (
            "metrics.rmse < 1 AND metrics.rmse >= 0",
            And((Comparison(metric("rmse"), "<", 1), Comparison(metric("rmse"), ">=", 0))),
        ),
        ("tags.team ILIKE '%vision%'", Comparison(tag("team"), "ILIKE", "%vision%")),
        ("attributes.run_name IS NOT NULL", IsNull(attr("name"), negated=True)),
    ],
)
def test_mlflow_filters(text: str, expected: Expr) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    "value",
    [
        "'; DROP TABLE runs; --",
        "a' OR '1'='1",
        '" OR ""="',
        "-- comment",
        "/* block */",
        "\\",
        "\\\\'",
        "%_%",
        "\x00\x01\n\t",
        "ünïcödé 日本語 🚀",
        "\u202e\u200b",
        "AND OR NOT IN IS NULL",
        "`backtick`",
        "a" * 1000,
    ],
)
def test_hostile_strings_are_data(value: str) -> None:
    literal = format_literal(value)
    assert parse(f"params.p = {literal}") == Comparison(param("p"), "=", value)
    assert parse(f"tags.t IN ({literal}, {literal})") == InList(tag("t"), (value, value))
    double_quoted = '"' + value.replace("\\", "\\\\").replace('"', '""') + '"'
    assert parse(f"name LIKE {double_quoted}") == Comparison(attr("name"), "LIKE", value)


@pytest.mark.parametrize("key", ["a;b", "x' OR 1=1 --", "日本", "a b", "a`b", "a``b", "\n", "`"])
def test_hostile_keys_are_data(key: str) -> None:
    assert parse(f"params.{format_key(key)} IS NULL") == IsNull(param(key))


# -- order by -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ("metrics.auc", (OrderKey(metric("auc")),)),
        ("metrics.auc ASC", (OrderKey(metric("auc")),)),
        ("metrics.auc asc", (OrderKey(metric("auc")),)),
        ("metrics.auc DESC", (OrderKey(metric("auc"), descending=True),)),
        ("metrics.auc Desc", (OrderKey(metric("auc"), descending=True),)),
        ("metrics.auc.max DESC", (OrderKey(metric("auc", "max"), descending=True),)),
        ("metrics.auc.count", (OrderKey(metric("auc", "count")),)),
        (
            "metrics.auc DESC, start_time",
            (OrderKey(metric("auc"), descending=True), OrderKey(attr("start_time"))),
        ),
        (
            "metrics.auc DESC,start_time ASC , params.lr",
            (OrderKey(metric("auc"), True), OrderKey(attr("start_time")), OrderKey(param("lr"))),
        ),
        (
            ["metrics.rmse ASC", "attributes.start_time DESC"],
            (OrderKey(metric("rmse")), OrderKey(attr("start_time"), True)),
        ),
        (("tags.`a,b` DESC", "name"), (OrderKey(tag("a,b"), True), OrderKey(attr("name")))),
        (
            ["params.a, params.b", "params.c DESC"],
            (OrderKey(param("a")), OrderKey(param("b")), OrderKey(param("c"), True)),
        ),
        ("attributes.run_id", (OrderKey(attr("id")),)),
        ("created DESC", (OrderKey(attr("start_time"), True),)),
        (
            "status, kind, duration, end_time",
            tuple(OrderKey(attr(name)) for name in ("status", "kind", "duration", "end_time")),
        ),
    ],
)
def test_order_by(items: Any, expected: tuple[OrderKey, ...]) -> None:
    assert strip(parse_order_by(items)) == expected


def test_order_by_keeps_identifier_positions() -> None:
    assert parse_order_by("params.a, metrics.b DESC") == (
        OrderKey(Identifier("params", "a", None, 0)),
        OrderKey(Identifier("metrics", "b", "last", 10), descending=True),
    )


def test_order_key_round_trip() -> None:
    keys = parse_order_by(["metrics.`val auc`.max DESC", "params.`a.b`", "tags.t DESC", "status"])
    assert strip(parse_order_by([str(key) for key in keys])) == strip(keys)
    assert strip(parse_order_by(", ".join(str(key) for key in keys))) == strip(keys)


@pytest.mark.parametrize(
    ("items", "reason", "position", "text"),
    [
        ("inputs.uri", "cannot order by inputs.uri at 0: inputs and outputs are not sortable", 0, None),
        (
            "name, outputs.uri DESC",
            "cannot order by outputs.uri at 6: inputs and outputs are not sortable",
            6,
            None,
        ),
        ("metrics.auc, metrics.auc DESC", "duplicate order_by key 'metrics.auc' at 13", 13, None),
        (
            "metrics.auc, metrics.auc.last",
            "duplicate order_by key 'metrics.auc.last' at 13 (same as 'metrics.auc')",
            13,
            None,
        ),
        (
            ["run_id DESC", "attributes.id"],
            "duplicate order_by key 'attributes.id' at 0 (same as 'run_id')",
            0,
            "attributes.id",
        ),
        ("metrics.x foo", "expected ASC, DESC or ',' after 'metrics.x' at 10, found 'foo'", 10, None),
        ("metrics.x desc foo", "expected ',' after 'desc' at 15, found 'foo'", 15, None),
        ("metrics.x DESC DESC", "expected ',' after 'DESC' at 15, found 'DESC'", 15, None),
        ("metrics.x,", "expected an identifier after ',' at 10, found end of input", 10, None),
        (",metrics.x", "expected an identifier at 0, found ','", 0, None),
        ("a, , b", "unknown identifier 'a' at 0", 0, None),
        ("params.a, , params.b", "expected an identifier after ',' at 10, found ','", 10, None),
        ("DESC", "expected an identifier at 0, found 'DESC'", 0, None),
        ("metric.auc DESC", "unknown identifier 'metric.auc' at 0: did you mean 'metrics.auc'?", 0, None),
        ("params.`x", "unterminated quoted key at 7", 7, None),
        ("params.x > 1", "expected ASC, DESC or ',' after 'params.x' at 9, found '>'", 9, None),
        ([1], "order_by items must be strings; got int at 0", 0, "1"),
    ],
)
def test_order_by_errors(items: Any, reason: str, position: int, text: str | None) -> None:
    error = order_error_of(items)
    assert (error.reason, error.position, error.field) == (reason, position, "order_by")
    assert error.text == (text if text is not None else items)


# -- lexer --------------------------------------------------------------------------------------


def test_tokens_carry_their_start() -> None:
    tokens = tokenize("params.`a b`.max>=-1e3 AND(x,'y')")
    assert [(token.kind, token.text, token.start) for token in tokens] == [
        (TokenKind.WORD, "params.`a b`.max", 0),
        (TokenKind.OPERATOR, ">=", 16),
        (TokenKind.NUMBER, "-1e3", 18),
        (TokenKind.WORD, "AND", 23),
        (TokenKind.LPAREN, "(", 26),
        (TokenKind.WORD, "x", 27),
        (TokenKind.COMMA, ",", 28),
        (TokenKind.STRING, "'y'", 29),
        (TokenKind.RPAREN, ")", 32),
        (TokenKind.EOF, "", 33),
    ]
    word = tokens[0]
    assert (word.prefix, word.quoted_key, word.suffix, word.end) == ("params.", "a b", ".max", 16)
    assert tokens[2].value == -1000.0
    assert tokens[7].value == "y"


def test_tokenizer_errors_use_the_field() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        tokenize("a 'b", field="order_by")
    assert (info.value.reason, info.value.field) == ("unterminated string at 2", "order_by")


def test_unicode_whitespace_separates_tokens() -> None:
    assert parse("params.a\u00a0=\u30001\nAND\tparams.b = 2") == And((A, B))


# -- round trips --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "params.a = 1",
        "metrics.`val auc`.max >= -1e-3 AND tags.`mlflow.runName` LIKE 'lr%'",
        "(params.a = 1 OR params.b = 2) AND NOT (params.c = 3 AND params.d = 4)",
        "NOT NOT params.a IS NULL OR params.b IS NOT NULL",
        "status IN ('running', 'FINISHED') AND kind = 'Training'",
        "start_time > '2026-01-02T03:04:05Z' AND duration < 60",
        "name = 'it''s \\\\ fine' AND params.`a``b` != true",
        "inputs.uri NOT ILIKE 's3://%' OR outputs.uri NOT IN ('a', 'b')",
        "params.x = 1.5e300 AND params.y = -0.0 AND params.z = 123456789012345",
    ],
)
def test_str_round_trips(text: str) -> None:
    expr = parse(text)
    assert parse(str(expr)) == expr
    assert str(parse(str(expr))) == str(expr)


def test_str_is_canonical() -> None:
    text = "metrics.a.max>1 and (params.b=='x' or not tags.c<>'y') and run.run_id in ('1')"
    assert str(parse_filter(text)) == (
        "metrics.a.max > 1 AND (params.b = 'x' OR NOT tags.c != 'y') AND attributes.id IN ('1')"
    )


# -- property tests -----------------------------------------------------------------------------

_FRAGMENTS = st.sampled_from(
    [
        "params.",
        "metrics.",
        "tags.",
        "attributes.",
        "attr.",
        "inputs.uri",
        "status",
        "kind",
        "start_time",
        "duration",
        "run_id",
        "x",
        "lr",
        ".max",
        ".count",
        "`",
        '"',
        "'",
        "''",
        "\\",
        "(",
        ")",
        ",",
        " ",
        "AND",
        "or",
        "NOT",
        "IN",
        "IS",
        "NULL",
        "LIKE",
        "ilike",
        "=",
        "==",
        "<",
        "<>",
        ">=",
        "!=",
        "!",
        "1",
        "-1e3",
        ".5",
        "1e999",
        "'2026-01-02'",
        "'FINISHED'",
        "'training'",
        "true",
        "ASC",
        "DESC",
        "é",
        "\x00",
        "\n",
        ".",
        "-",
        ";",
    ]
)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(st.text(), st.text(alphabet=string.printable), st.lists(_FRAGMENTS, max_size=25).map("".join))
)
def test_random_text_raises_only_query_syntax_errors(text: str) -> None:
    for parse_text in (parse_filter, parse_order_by):
        try:
            parse_text(text)
        except QuerySyntaxError as error:
            assert 0 <= error.position <= len(text)
            assert f"at {error.position}" in error.reason
            assert error.text == text


_KEYS = st.text(min_size=1, max_size=8)
_STRINGS = st.text(max_size=8)
_INTS = st.integers(min_value=-(2**63 - 1), max_value=2**63 - 1)
_FLOATS = st.floats(allow_nan=False, allow_infinity=False)
_NUMBERS = st.one_of(_INTS, _FLOATS)
_ORDERED_OPS = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
_EQUALITY_OPS = st.sampled_from(["=", "!="])
_LIKE_OPS = st.sampled_from(["LIKE", "ILIKE", "NOT LIKE", "NOT ILIKE"])
_AGGREGATES = st.sampled_from(["last", "min", "max", "avg", "count"])


def _predicates(
    identifiers: st.SearchStrategy[Identifier],
    comparisons: st.SearchStrategy[tuple[str, Any]],
    lists: st.SearchStrategy[tuple[Any, ...]],
) -> st.SearchStrategy[Expr]:
    return st.one_of(
        st.builds(lambda i, c: Comparison(i, c[0], c[1]), identifiers, comparisons),
        st.builds(InList, identifiers, lists, st.booleans()),
        st.builds(IsNull, identifiers, st.booleans()),
    )


_STRING_COMPARISONS = st.one_of(st.tuples(_ORDERED_OPS, _STRINGS), st.tuples(_LIKE_OPS, _STRINGS))
_STRING_LISTS = st.lists(_STRINGS, min_size=1, max_size=3).map(tuple)
_NUMBER_LISTS = st.one_of(
    st.lists(_INTS, min_size=1, max_size=3), st.lists(_FLOATS, min_size=1, max_size=3)
).map(tuple)
_STATUSES = st.sampled_from(["InProgress", "Completed", "Failed", "Stopped"])
_KINDS = st.sampled_from(["processing", "training", "evaluation", "registration", "deployment", "custom"])

_PREDICATES = st.one_of(
    _predicates(
        st.builds(param, _KEYS),
        st.one_of(
            _STRING_COMPARISONS,
            st.tuples(_ORDERED_OPS, _NUMBERS),
            st.tuples(_EQUALITY_OPS, st.booleans()),
        ),
        st.one_of(_STRING_LISTS, _NUMBER_LISTS),
    ),
    _predicates(st.builds(metric, _KEYS, _AGGREGATES), st.tuples(_ORDERED_OPS, _NUMBERS), _NUMBER_LISTS),
    _predicates(st.builds(tag, _KEYS), _STRING_COMPARISONS, _STRING_LISTS),
    _predicates(
        st.sampled_from([attr("id"), attr("name"), attr("experiment"), attr("trial")]),
        _STRING_COMPARISONS,
        _STRING_LISTS,
    ),
    _predicates(
        st.sampled_from([attr("start_time"), attr("end_time"), attr("duration")]),
        st.tuples(_ORDERED_OPS, _NUMBERS),
        _NUMBER_LISTS,
    ),
    _predicates(
        st.just(attr("status")),
        st.one_of(st.tuples(_EQUALITY_OPS, _STATUSES), st.tuples(_LIKE_OPS, _STRINGS)),
        st.lists(_STATUSES, min_size=1, max_size=3).map(tuple),
    ),
    _predicates(
        st.just(attr("kind")),
        st.tuples(_EQUALITY_OPS, _KINDS),
        st.lists(_KINDS, min_size=1, max_size=3).map(tuple),
    ),
    _predicates(
        st.sampled_from([Identifier("inputs", "uri"), Identifier("outputs", "uri")]),
        st.one_of(st.tuples(_EQUALITY_OPS, _STRINGS), st.tuples(_LIKE_OPS, _STRINGS)),
        _STRING_LISTS,
    ),
)


def _and(items: list[Expr]) -> Expr:
    flat = [part for item in items for part in (item.items if isinstance(item, And) else (item,))]
    return And(tuple(flat))


def _or(items: list[Expr]) -> Expr:
    flat = [part for item in items for part in (item.items if isinstance(item, Or) else (item,))]
    return Or(tuple(flat))


_EXPRESSIONS = st.recursive(
    _PREDICATES,
    lambda children: st.one_of(
        st.lists(children, min_size=2, max_size=4).map(_and),
        st.lists(children, min_size=2, max_size=4).map(_or),
        st.builds(Not, children),
    ),
    max_leaves=12,
)


def _depth(expr: Expr) -> int:
    if isinstance(expr, And | Or):
        return 2 + max(_depth(item) for item in expr.items)
    if isinstance(expr, Not):
        return 2 + _depth(expr.item)
    return 0


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_EXPRESSIONS)
def test_printed_trees_parse_back_to_themselves(expr: Expr) -> None:
    assume(_depth(expr) <= MAX_DEPTH)
    assert parse(str(expr)) == expr
