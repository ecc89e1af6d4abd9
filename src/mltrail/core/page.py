"""A page of search results: a sequence with a token for the next page and a DataFrame view."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Generic, TypeVar, overload

from mltrail.core._frames import require_pandas
from mltrail.core.entities import Run, Trial

T = TypeVar("T", Trial, Run)


class Page(Sequence[T], Generic[T]):
    """One page of trials or runs.

    Iterate it, index it, pass ``next_page_token`` back to get the next page (``None`` on the
    last one), or call :meth:`to_dataframe` for a pandas table like SageMaker's
    ``ExperimentAnalytics``.
    """

    __slots__ = ("_items", "next_page_token")

    def __init__(self, items: Sequence[T], *, next_page_token: str | None = None) -> None:
        self._items: list[T] = list(items)
        self.next_page_token = next_page_token

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        items: list[T] = self._items
        return items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[T]:
        return iter(self._items)

    def __repr__(self) -> str:
        return f"Page({len(self._items)} items, next_page_token={self.next_page_token!r})"

    def to_dataframe(self) -> Any:
        """Return one row per item with columns for attributes, ``params.*``, ``metrics.*`` and ``tags.*``.

        ``metrics.<key>`` is the last value; ``metrics.<key>.min|max|avg|count`` the other summaries.
        """
        pd = require_pandas()
        return pd.DataFrame([to_record(item) for item in self._items])


def to_record(item: Trial | Run) -> dict[str, Any]:
    """Flatten a trial or run into one dict row (the shape of ``to_dataframe`` and CSV output)."""
    record: dict[str, Any] = {"name": item.name, "experiment": item.experiment}
    if isinstance(item, Run):
        record |= {"id": str(item.id), "kind": item.kind.value, "trials": ",".join(item.trials)}
    record |= {
        "status": item.status.value,
        "start_time": item.start_time,
        "end_time": item.end_time,
        "duration": item.duration,
    }
    record |= {f"params.{key}": value for key, value in item.params.items()}
    for key, summary in item.metrics.items():
        record[f"metrics.{key}"] = summary.last
        record |= {
            f"metrics.{key}.min": summary.min,
            f"metrics.{key}.max": summary.max,
            f"metrics.{key}.avg": summary.avg,
            f"metrics.{key}.count": summary.count,
        }
    record |= {f"tags.{key}": value for key, value in item.tags.items()}
    return record
