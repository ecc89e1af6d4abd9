"""Running aggregates of a metric series, the ones a :class:`MetricSummary` reports."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from mltrail.core.entities import MetricSummary


@dataclass(slots=True)
class SeriesAggregate:
    """Count, finite count, sum, min, max and last point of a series, as points arrive.

    ``min``, ``max`` and the sum cover finite values only; ``last`` is the point with the highest
    ``(step, timestamp)``, the later one on a tie, and may be NaN or infinite.
    """

    count: int = 0
    finite_count: int = 0
    total: float = 0.0
    minimum: float | None = None
    maximum: float | None = None
    last: tuple[int, int, float] | None = None
    """``(step, timestamp in ms, value)``."""

    def add(self, value: float, step: int, timestamp: int) -> None:
        """Fold one point in."""
        self.count += 1
        if math.isfinite(value):
            self.finite_count += 1
            self.total += value
            self.minimum = value if self.minimum is None or value < self.minimum else self.minimum
            self.maximum = value if self.maximum is None or value > self.maximum else self.maximum
        if self.last is None or (step, timestamp) >= self.last[:2]:
            self.last = (step, timestamp, value)

    def summary(self, key: str) -> MetricSummary:
        """The series' summary under ``key`` (at least one point must have been added)."""
        assert self.last is not None, "a summary needs at least one point"
        step, timestamp, value = self.last
        return MetricSummary(
            key,
            value,
            self.minimum,
            self.maximum,
            self.total / self.finite_count if self.finite_count else None,
            self.count,
            step,
            datetime.fromtimestamp(timestamp / 1000, tz=UTC),
            self.count - self.finite_count,
        )
