"""Marquez's dashboard statistics: events per type per hour or day, and running totals.

``period=DAY`` gives 24 hourly buckets ending with the current hour; ``period=WEEK`` gives 7
daily buckets ending with today, days taken in ``timezone`` (an IANA name, required for WEEK,
as in Marquez).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter

from mltrail.core.errors import ValidationError
from mltrail.server import marquez_json as mj
from mltrail.server.deps import StoreDep

router = APIRouter(prefix="/api/v1/stats", tags=["marquez"])

Period = Literal["DAY", "WEEK", "day", "week"]
_TYPES = {"fail": "FAIL", "start": "START", "complete": "COMPLETE", "abort": "ABORT"}


@router.get("/lineage-events")
def lineage_events(
    store: StoreDep, period: Period = "DAY", timezone: str | None = None
) -> list[dict[str, Any]]:
    """``[{startInterval, endInterval, fail, start, complete, abort}]``, oldest first."""
    edges = _buckets(period, timezone)
    start, width = mj.ms(edges[0]), mj.ms(edges[1]) - mj.ms(edges[0])
    counts = store.catalog.event_counts(start, width, len(edges) - 1)
    return [
        {
            "startInterval": mj.iso(low),
            "endInterval": mj.iso(high),
            **{key: count.get(event_type, 0) for key, event_type in _TYPES.items()},
        }
        for low, high, count in zip(edges, edges[1:], counts, strict=False)
    ]


@router.get("/{kind}")
def totals(
    kind: Literal["jobs", "datasets", "sources"],
    store: StoreDep,
    period: Period = "DAY",
    timezone: str | None = None,
) -> list[dict[str, Any]]:
    """``[{startInterval, endInterval, count}]``: how many existed at the end of each bucket."""
    edges = _buckets(period, timezone)
    start, width = mj.ms(edges[0]), mj.ms(edges[1]) - mj.ms(edges[0])
    counts = store.catalog.created_counts(kind, start, width, len(edges) - 1)
    return [
        {"startInterval": mj.iso(low), "endInterval": mj.iso(high), "count": count}
        for low, high, count in zip(edges, edges[1:], counts, strict=False)
    ]


def _buckets(period: str, timezone: str | None) -> list[datetime]:
    """The bucket edges, in UTC: 25 hour marks or 8 midnights."""
    if period.upper() == "WEEK":
        if not timezone:
            raise ValidationError("timezone is required with period=WEEK", field="timezone", value=timezone)
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(
                f"unknown timezone {timezone!r}", field="timezone", value=timezone
            ) from None
        today = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        days = [today - timedelta(days=n) for n in range(6, -2, -1)]
        return [day.astimezone(UTC) for day in days]
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return [hour - timedelta(hours=n) for n in range(23, -2, -1)]
