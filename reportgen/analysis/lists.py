"""Ranked example lists: every candidate kept, ranked only as far as asked.

The JSON lists the first entries (a partial selection, linear in the candidates); ``--export``
writes them all (one stable sort). Both give the same order: lowest key first, ties by row.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    from reportgen.inputs import Inputs


@dataclass(frozen=True, eq=False)
class Ranked:
    """The candidates of one example list.

    ``ids`` (n,) are every example's ids; ``rows`` (m,) the candidates' row positions,
    ascending; ``key`` (m,) ranks them, lowest first; ``columns`` maps a name to an (m,)
    array aligned with ``rows`` (integer arrays are class codes into ``classes``).
    """

    ids: pa.Array
    classes: tuple[str, ...]
    rows: np.ndarray
    key: np.ndarray
    columns: Mapping[str, np.ndarray]

    @property
    def total(self) -> int:
        return int(len(self.rows))

    def order(self, limit: int | None = None) -> np.ndarray:
        """Positions into ``rows`` of the first ``limit`` candidates (all when None), best first."""
        if limit is None or limit >= len(self.rows):
            return np.argsort(self.key, kind="stable")
        if limit <= 0:
            return np.zeros(0, dtype=np.int64)
        cut = np.partition(self.key, limit - 1)[limit - 1]
        head = np.flatnonzero(self.key <= cut)  # every tie at the cut, in row order
        return head[np.argsort(self.key[head], kind="stable")][:limit]

    def table(self, limit: int | None = None) -> pa.Table:
        """The first ``limit`` candidates (all when None): ``rank``, ``id``, then the columns."""
        picked = self.order(limit)
        names = pa.array(self.classes, pa.string())
        data: dict[str, Any] = {
            "rank": pa.array(np.arange(1, len(picked) + 1)),
            "id": self.ids.take(pa.array(self.rows[picked], pa.int64())),
        }
        for name, values in self.columns.items():
            chosen = values[picked]
            if np.issubdtype(chosen.dtype, np.integer):
                data[name] = names.take(pa.array(chosen, pa.int64()))
            else:
                data[name] = pa.array(chosen, pa.float64(), from_pandas=True)  # NaN: null (no scores)
        return pa.table(data)


def listed(ranked: Ranked | None, limit: int, inputs: "Inputs | None" = None) -> list[dict[str, Any]]:
    """The first ``limit`` candidates as JSON items (without the rank, with their inputs)."""
    if ranked is None:
        return []
    items = ranked.table(limit).drop_columns(["rank"]).to_pylist()
    if inputs is None:
        return items
    return [{**item, **inputs.get(item["id"])} for item in items]


@dataclass(frozen=True, eq=False)
class ExampleLists:
    """The full example lists behind the JSON's first entries (``--export``); None where
    the task or the inputs have no such list. ``inputs`` gives the examples' text."""

    label_issues: Ranked | None = None
    confident_mistakes: Ranked | None = None
    broken: Ranked | None = None
    fixed: Ranked | None = None
    inputs: "Inputs | None" = None
