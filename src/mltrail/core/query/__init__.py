"""The search language: filter and order-by text parsed into a syntax tree the store compiles."""

from __future__ import annotations

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
    format_literal,
)
from mltrail.core.query.parser import parse_filter, parse_order_by

__all__ = [
    "ATTRIBUTES",
    "Aggregate",
    "And",
    "Comparison",
    "Expr",
    "Identifier",
    "InList",
    "IsNull",
    "Literal_",
    "Namespace",
    "Not",
    "Operator",
    "Or",
    "OrderKey",
    "format_literal",
    "parse_filter",
    "parse_order_by",
]
