"""Compile JSON schemas into fast yes/no checks (the draft 2020-12 subset the OpenLineage spec uses).

jsonschema walks a schema anew for every instance, resolving each ``$ref`` on the way; an
OpenLineage event costs about a millisecond that way. The checks compiled here are closures built
once per schema, which answer only "valid or not", in a few tens of microseconds. The validator
uses them as a filter: an event that passes is valid; one that fails is validated again by
jsonschema, which remains the authority on what is wrong (and on whether anything is).

Supported keywords: ``$ref`` (to a known document, a JSON-pointer fragment), ``type``, ``enum``,
``const``, ``format`` (the checks given), ``pattern``, ``minLength``, ``maxLength``, ``minimum``,
``maximum``, ``exclusiveMinimum``, ``exclusiveMaximum``, ``required``, ``properties``,
``additionalProperties``, ``dependentRequired``, ``items`` (one schema), ``minItems``,
``maxItems``, ``allOf``, ``anyOf``, ``oneOf``, ``not``, ``if``/``then``/``else``. A schema using
any other assertion keyword raises :class:`UnsupportedSchemaError`; callers then fall back to
jsonschema for that schema. Unknown keywords that assert nothing are ignored, as JSON Schema says.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote, urljoin

Check = Callable[[Any], bool]

_UNSUPPORTED = frozenset(
    {
        "$dynamicRef",
        "$recursiveRef",
        "additionalItems",
        "contains",
        "contentSchema",
        "dependencies",
        "dependentSchemas",
        "maxContains",
        "maxProperties",
        "minContains",
        "minProperties",
        "multipleOf",
        "patternProperties",
        "prefixItems",
        "propertyNames",
        "unevaluatedItems",
        "unevaluatedProperties",
        "uniqueItems",
    }
)


class UnsupportedSchemaError(Exception):
    """The schema uses something the compiler does not handle; validate it with jsonschema."""


def _always(_instance: Any) -> bool:
    return True


def _never(_instance: Any) -> bool:
    return False


def _is_number(instance: Any) -> bool:
    kind = type(instance)
    if kind is float or kind is int:
        return True
    return isinstance(instance, numbers.Number) and not isinstance(instance, bool)


def _is_integer(instance: Any) -> bool:
    if isinstance(instance, bool):
        return False
    if isinstance(instance, int):
        return True
    return isinstance(instance, float) and instance.is_integer()


_TYPES: Mapping[str, Check] = {
    "object": lambda instance: isinstance(instance, dict),
    "array": lambda instance: isinstance(instance, list),
    "string": lambda instance: isinstance(instance, str),
    "boolean": lambda instance: isinstance(instance, bool),
    "null": lambda instance: instance is None,
    "number": _is_number,
    "integer": _is_integer,
}


def json_equal(one: Any, two: Any) -> bool:
    """Compare two JSON values as JSON Schema does: ``1 == 1.0`` but ``True != 1``."""
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(json_equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(json_equal(one[key], two[key]) for key in one)
    if isinstance(one, bool) or isinstance(two, bool):
        return type(one) is type(two) and one == two
    return bool(one == two)


def _all_of(checks: list[Check]) -> Check:
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    frozen = tuple(checks)

    def check(instance: Any) -> bool:
        for part in frozen:
            if not part(instance):
                return False
        return True

    return check


class SchemaCompiler:
    """Compile schemas from a set of documents known by their ``$id``.

    Args:
        documents: Schema documents by ``$id`` (absolute, without fragment).
        formats: The ``format`` checks to apply, by name; other formats are not checked.
    """

    def __init__(self, documents: Mapping[str, Any], formats: Mapping[str, Check]) -> None:
        self._documents = documents
        self._formats = formats
        self._by_uri: dict[str, Check] = {}

    def compile(self, uri: str) -> Check:
        """Return the check for the schema at ``uri`` (``<document $id>#<JSON pointer>``).

        Raises:
            UnsupportedSchemaError: If the schema, or one it refers to, cannot be compiled.
        """
        known = dict(self._by_uri)
        try:
            return self._compile_uri(uri)
        except UnsupportedSchemaError:
            self._by_uri = known  # drop half-built entries that may point at the failed schema
            raise

    def _compile_uri(self, uri: str) -> Check:
        cached = self._by_uri.get(uri)
        if cached is not None:
            return cached
        document_uri, _, fragment = uri.partition("#")
        document = self._documents.get(document_uri)
        if document is None:
            raise UnsupportedSchemaError(f"unknown schema document {document_uri!r}")
        cell: list[Check] = []

        def deferred(instance: Any) -> bool:  # stands in for the schema while it compiles (recursion)
            return cell[0](instance)

        self._by_uri[uri] = deferred
        check = self._compile(_resolve_pointer(document, fragment, uri), document_uri)
        cell.append(check)
        self._by_uri[uri] = check
        return check

    def _compile(self, schema: Any, base: str) -> Check:
        if schema is True:
            return _always
        if schema is False:
            return _never
        return _all_of(self._compile_parts(schema, base))

    def _compile_parts(self, schema: Any, base: str) -> list[Check]:
        """Return the checks that together make up ``schema`` (allOf branches are flattened in)."""
        if schema is True:
            return []
        if schema is False:
            return [_never]
        if not isinstance(schema, dict):
            raise UnsupportedSchemaError(f"schema must be an object or a boolean, got {schema!r}")
        unsupported = _UNSUPPORTED.intersection(schema)
        if unsupported:
            raise UnsupportedSchemaError(f"unsupported keywords {sorted(unsupported)}")
        if "$id" in schema and urljoin(base, schema["$id"]).partition("#")[0] != base:
            raise UnsupportedSchemaError("embedded schema resources ($id below the root) are not supported")
        checks: list[Check] = []
        if "$ref" in schema:
            checks.append(self._compile_uri(urljoin(base, schema["$ref"])))
        types = schema.get("type")
        has_object_keywords = not _OBJECT_KEYWORDS.isdisjoint(schema)
        has_array_keywords = not _ARRAY_KEYWORDS.isdisjoint(schema)
        # The object and array checks assert the type themselves when it is the only one allowed.
        strict_object = types == "object" and has_object_keywords
        strict_array = types == "array" and has_array_keywords
        if types is not None and not strict_object and not strict_array:
            checks.append(_type_check(types))
        if "enum" in schema:
            checks.append(_enum_check(schema["enum"]))
        if "const" in schema:
            checks.append(_enum_check([schema["const"]]))
        checks.extend(self._string_checks(schema))
        checks.extend(_number_checks(schema))
        if has_object_keywords:
            checks.append(self._object_check(schema, base, strict=strict_object))
        if has_array_keywords:
            checks.append(self._array_check(schema, base, strict=strict_array))
        all_of = schema.get("allOf", ())
        dispatch = self._discriminator(all_of, base)
        if dispatch is not None:
            checks.append(dispatch)
        else:
            for sub in all_of:
                checks.extend(self._compile_parts(sub, base))
        checks.extend(self._combinators(schema, base))
        return checks

    def _string_checks(self, schema: Mapping[str, Any]) -> list[Check]:
        checks: list[Check] = []
        format_check = self._formats.get(schema.get("format", ""))
        if format_check is not None:
            checks.append(format_check)
        if "pattern" in schema:
            search = re.compile(schema["pattern"]).search
            checks.append(lambda instance: not isinstance(instance, str) or search(instance) is not None)
        if "minLength" in schema:
            min_length = schema["minLength"]
            checks.append(lambda instance: not isinstance(instance, str) or len(instance) >= min_length)
        if "maxLength" in schema:
            max_length = schema["maxLength"]
            checks.append(lambda instance: not isinstance(instance, str) or len(instance) <= max_length)
        return checks

    def _object_check(self, schema: Mapping[str, Any], base: str, *, strict: bool) -> Check:
        required = tuple(schema.get("required", ()))
        properties = {key: self._compile(sub, base) for key, sub in schema.get("properties", {}).items()}
        additional = (
            self._compile(schema["additionalProperties"], base) if "additionalProperties" in schema else None
        )
        dependent = {key: tuple(names) for key, names in schema.get("dependentRequired", {}).items()}

        listed = tuple(properties.items())

        def check(instance: Any) -> bool:
            if not isinstance(instance, dict):
                return not strict
            for key in required:
                if key not in instance:
                    return False
            if additional is None:  # only the listed properties are constrained
                for key, sub in listed:
                    if key in instance and not sub(instance[key]):
                        return False
            else:
                for key, value in instance.items():
                    rule = properties.get(key)
                    if rule is not None:
                        if not rule(value):
                            return False
                    elif not additional(value):
                        return False
            if dependent:
                for key, names in dependent.items():
                    if key in instance and any(name not in instance for name in names):
                        return False
            return True

        return check

    def _discriminator(self, all_of: Any, base: str) -> Check | None:
        """Compile ``allOf: [{if: {properties: {P: {const: "a"}}}, then: …}, …]`` into a table lookup.

        Semantics are those of the if/then chain: a non-object passes every ``if`` (and so must
        pass every ``then``), as does an object without ``P``; an object whose ``P`` is one of
        the constants must pass that branch's ``then``; any other object passes.
        """
        if not isinstance(all_of, list) or len(all_of) < 2:
            return None
        key = None
        table: dict[str, list[Check]] = {}
        for branch in all_of:
            if not isinstance(branch, dict) or set(branch) != {"if", "then"}:
                return None
            condition = branch["if"]
            if not isinstance(condition, dict) or set(condition) != {"properties"}:
                return None
            (name, sub), *rest = condition["properties"].items()
            if rest or set(sub) != {"const"} or not isinstance(sub["const"], str) or key not in (None, name):
                return None
            key = name
            table.setdefault(sub["const"], []).append(self._compile(branch["then"], base))
        lookup = {value: _all_of(checks) for value, checks in table.items()}
        every = _all_of(list(lookup.values()))

        def check(instance: Any) -> bool:
            if not isinstance(instance, dict) or key not in instance:
                return every(instance)
            value = instance[key]
            branch = lookup.get(value) if isinstance(value, str) else None
            return branch is None or branch(instance)

        return check

    def _array_check(self, schema: Mapping[str, Any], base: str, *, strict: bool) -> Check:
        items = schema.get("items", True)
        if isinstance(items, list):
            raise UnsupportedSchemaError("array form of items")
        item_check = self._compile(items, base)
        min_items = schema.get("minItems", 0)
        max_items = schema.get("maxItems")

        def check(instance: Any) -> bool:
            if not isinstance(instance, list):
                return not strict
            if len(instance) < min_items or (max_items is not None and len(instance) > max_items):
                return False
            if item_check is not _always:
                for item in instance:
                    if not item_check(item):
                        return False
            return True

        return check

    def _combinators(self, schema: Mapping[str, Any], base: str) -> list[Check]:
        checks: list[Check] = []
        if "anyOf" in schema:
            any_of = tuple(self._compile(sub, base) for sub in schema["anyOf"])
            if len(any_of) == 1:
                checks.append(any_of[0])
            else:
                checks.append(lambda instance: any(sub(instance) for sub in any_of))
        if "oneOf" in schema:
            one_of = tuple(self._compile(sub, base) for sub in schema["oneOf"])
            if len(one_of) == 1:
                checks.append(one_of[0])
            else:
                checks.append(lambda instance: sum(1 for sub in one_of if sub(instance)) == 1)
        if "not" in schema:
            negated = self._compile(schema["not"], base)
            checks.append(lambda instance: not negated(instance))
        if "if" in schema:
            condition = self._compile(schema["if"], base)
            then = self._compile(schema.get("then", True), base)
            otherwise = self._compile(schema.get("else", True), base)
            if otherwise is _always:
                checks.append(lambda instance: not condition(instance) or then(instance))
            else:
                checks.append(lambda instance: then(instance) if condition(instance) else otherwise(instance))
        return checks


_OBJECT_KEYWORDS = frozenset({"required", "properties", "additionalProperties", "dependentRequired"})
_ARRAY_KEYWORDS = frozenset({"items", "minItems", "maxItems"})


def _type_check(types: Any) -> Check:
    names = [types] if isinstance(types, str) else list(types)
    unknown = [name for name in names if name not in _TYPES]
    if unknown:
        raise UnsupportedSchemaError(f"unknown types {unknown}")
    checks = tuple(_TYPES[name] for name in names)
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda instance: first(instance) or second(instance)
    return lambda instance: any(check(instance) for check in checks)


def _enum_check(values: list[Any]) -> Check:
    if len(values) == 1 and isinstance(values[0], str):
        only = values[0]
        return lambda instance: isinstance(instance, str) and instance == only
    if all(isinstance(value, str) for value in values):
        allowed = frozenset(values)
        return lambda instance: isinstance(instance, str) and instance in allowed
    frozen = tuple(values)
    return lambda instance: any(json_equal(instance, value) for value in frozen)


def _number_checks(schema: Mapping[str, Any]) -> list[Check]:
    bounds: list[tuple[str, Callable[[Any, Any], bool]]] = [
        ("minimum", lambda value, bound: value >= bound),
        ("maximum", lambda value, bound: value <= bound),
        ("exclusiveMinimum", lambda value, bound: value > bound),
        ("exclusiveMaximum", lambda value, bound: value < bound),
    ]
    checks: list[Check] = []
    for keyword, compare in bounds:
        if keyword in schema:
            checks.append(_bound_check(compare, schema[keyword]))
    return checks


def _bound_check(compare: Callable[[Any, Any], bool], bound: Any) -> Check:
    return lambda instance: not _is_number(instance) or compare(instance, bound)


def _resolve_pointer(document: Any, fragment: str, uri: str) -> Any:
    if fragment and not fragment.startswith("/"):
        raise UnsupportedSchemaError(f"anchor references are not supported: {uri!r}")
    node = document
    for token in fragment.split("/")[1:]:
        key = unquote(token).replace("~1", "/").replace("~0", "~")
        try:
            node = node[int(key)] if isinstance(node, list) else node[key]
        except (KeyError, IndexError, ValueError, TypeError):
            raise UnsupportedSchemaError(f"unresolvable reference {uri!r}") from None
    return node
