"""The JSON Schema ``format`` checks OpenLineage events need: uuid, date-time (RFC 3339) and uri (RFC 3986).

jsonschema checks ``date-time`` and ``uri`` only when optional packages are installed, so mltrail
brings its own, and uses the same functions in the jsonschema validators and the compiled checks.
Each function returns ``True`` for non-strings (``format`` only constrains strings).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from functools import lru_cache

from jsonschema import Draft202012Validator, FormatChecker

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))"
)

# RFC 3986, section 3: scheme ":" hier-part [ "?" query ] [ "#" fragment ]. Runs of plain
# characters are matched possessively (``++``, ``*+``), so a long invalid string cannot backtrack.
_PCT = r"%[0-9A-Fa-f]{2}"
_SUB = r"A-Za-z0-9\-._~!$&'()*+,;="  # unreserved and sub-delims
_PCHARS = rf"(?:[{_SUB}:@]++|{_PCT})"
_USERINFO = rf"(?:[{_SUB}:]++|{_PCT})*+"
_HOST = rf"(?:\[[0-9A-Fa-f:.vV]++\]|(?:[{_SUB}]++|{_PCT})*+)"
_AUTHORITY = rf"(?:{_USERINFO}@)?{_HOST}(?::[0-9]*+)?"
_HIER_PART = rf"(?://{_AUTHORITY}(?:/{_PCHARS}*+)*+|/?(?:{_PCHARS}++(?:/{_PCHARS}*+)*+)?)"
_QUERY = rf"(?:[{_SUB}:@/?]++|{_PCT})*+"
_URI = re.compile(rf"[A-Za-z][A-Za-z0-9+.\-]*+:{_HIER_PART}(?:\?{_QUERY})?(?:#{_QUERY})?")


def is_uuid(instance: object) -> bool:
    """Whether ``instance`` is a UUID in its 8-4-4-4-12 hex form."""
    return not isinstance(instance, str) or _UUID.fullmatch(instance) is not None


def is_date_time(instance: object) -> bool:
    """Whether ``instance`` is an RFC 3339 date-time, with its time zone (``Z`` or ``±hh:mm``)."""
    if not isinstance(instance, str):
        return True
    match = _DATE_TIME.fullmatch(instance)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    offset_hour, offset_minute = match.group(7), match.group(8)
    try:
        date(year, month, day)
    except ValueError:
        return False
    # second 60 is a leap second, which RFC 3339 allows.
    if hour > 23 or minute > 59 or second > 60:
        return False
    return offset_hour is None or (int(offset_hour) <= 23 and int(offset_minute) <= 59)


def is_uri(instance: object) -> bool:
    """Whether ``instance`` is an absolute URI (RFC 3986), optionally with a fragment."""
    return not isinstance(instance, str) or _is_uri_text(instance)


@lru_cache(maxsize=4096)
def _is_uri_text(text: str) -> bool:
    """Check a string once: producers and schema URLs repeat in every facet of every event."""
    return _URI.fullmatch(text) is not None


FORMATS: Mapping[str, Callable[[object], bool]] = {
    "uuid": is_uuid,
    "date-time": is_date_time,
    "uri": is_uri,
}
"""The checks mltrail adds to (or puts in place of) jsonschema's own, by format name."""


def build_format_checker() -> FormatChecker:
    """Return jsonschema's draft 2020-12 format checker with :data:`FORMATS` added."""
    checker = FormatChecker(formats=Draft202012Validator.FORMAT_CHECKER.checkers)
    for name, check in FORMATS.items():
        checker.checks(name)(check)
    return checker
