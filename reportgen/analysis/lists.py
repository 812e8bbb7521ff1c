"""Ranked example lists, kept as bounded top lists that merge across chunks.

Every list ranks its candidates by a key, lowest first, with ties broken by the id's text
(``hashing.id_text``: integers as their digits), so that the first N of two merged lists
are the first N of the whole ranking whatever the chunks and their row order. A
``TopList`` keeps the first ``limit`` candidates of each group (all of them when
``limit`` is None: the memory engine keeps every candidate for ``--export``) and counts
every candidate of each group; ``Ranked`` is what it reads out. The JSON lists the first
entries (a partial selection, linear in the kept candidates); ``--export`` writes every kept
one (one sort).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from reportgen.hashing import id_text
from reportgen.validate import Examples

if TYPE_CHECKING:
    from reportgen.inputs import Inputs


@dataclass(frozen=True, eq=False)
class Ranked:
    """The kept candidates of one example list, in no particular order.

    ``ids`` (m,) their ids as text; ``key`` (m,) ranks them, lowest first, ties by id;
    ``columns`` maps a name to an (m,) array (integer arrays are class codes into
    ``classes``, except counts, whose names end in ``_count``); ``total`` counts every
    candidate, kept or not.
    """

    classes: tuple[str, ...]
    ids: pa.Array
    key: np.ndarray
    columns: Mapping[str, np.ndarray]
    total: int

    def order(self, limit: int | None = None) -> np.ndarray:
        """Positions of the first ``limit`` kept candidates (all when None), best first."""
        if limit is not None and limit <= 0:
            return np.zeros(0, dtype=np.int64)
        if limit is None or limit >= len(self.key):
            head = np.arange(len(self.key))
        else:
            cut = np.partition(self.key, limit - 1)[limit - 1]
            head = np.flatnonzero(self.key <= cut)  # every tie at the cut
        return head[rank_order(self.key[head], self.ids.take(pa.array(head, pa.int64())))][:limit]

    def table(self, limit: int | None = None) -> pa.Table:
        """The first ``limit`` candidates (all kept when None): ``rank``, ``id``, then the columns."""
        picked = self.order(limit)
        names = pa.array(self.classes, pa.string())
        data: dict[str, Any] = {
            "rank": pa.array(np.arange(1, len(picked) + 1)),
            "id": self.ids.take(pa.array(picked, pa.int64())),
        }
        for name, values in self.columns.items():
            chosen = values[picked]
            if name.endswith("_count"):
                data[name] = pa.array(chosen, pa.int64())
            elif np.issubdtype(chosen.dtype, np.integer):
                data[name] = names.take(pa.array(chosen, pa.int64()))
            else:
                data[name] = pa.array(chosen, pa.float64(), from_pandas=True)  # NaN: null (no scores)
        return pa.table(data)


def rank_order(key: np.ndarray, ids: pa.Array, group: np.ndarray | None = None) -> np.ndarray:
    """Positions sorting (m,) ``key`` ascending, ties by ``ids`` text (by ``group`` first when given)."""
    if len(key) <= 1:
        return np.arange(len(key))
    columns = {"k": key, "i": ids}
    if group is not None:
        columns = {"g": group, **columns}
    keys = [(name, "ascending") for name in columns]
    return pc.sort_indices(pa.table(columns), sort_keys=keys).to_numpy(zero_copy_only=False).astype(np.int64)


def first_per_group(group: np.ndarray, key: np.ndarray, ids: pa.Array, limit: int | None) -> np.ndarray:
    """(kept,) positions of each group's first ``limit`` rows by (key, id), sorted by
    (group, key, id); every row when ``limit`` is None. group, key: (m,); ids: (m,) text."""
    n = len(key)
    if limit is None or n == 0:
        return np.arange(n)
    if limit <= 0:
        return np.zeros(0, dtype=np.int64)
    if group[0] == group.min() == group.max():  # one group: a partial selection
        if limit >= n:
            return rank_order(key, ids)
        cut = np.partition(key, limit - 1)[limit - 1]
        head = np.flatnonzero(key <= cut)
        return head[rank_order(key[head], ids.take(pa.array(head, pa.int64())))][:limit]
    value = _composite(group, key)  # numeric pre-selection: each group's cut, every tie at it kept
    by_value = np.argsort(value)
    by_value = by_value[np.argsort(group[by_value], kind="stable")]
    starts, sizes = _runs(group[by_value])
    cut = np.repeat(value[by_value[starts + np.minimum(sizes, limit) - 1]], sizes)
    survivors = np.sort(by_value[value[by_value] <= cut])
    exact = survivors[rank_order(key[survivors], ids.take(pa.array(survivors, pa.int64())), group[survivors])]
    starts, sizes = _runs(group[exact])
    rank = np.arange(len(exact)) - np.repeat(starts, sizes)
    return exact[rank < limit]


def _composite(group: np.ndarray, key: np.ndarray) -> np.ndarray:
    """(m,) one float per row that never decreases with (group, key): rounding may tie
    rows that differ, never reorder them, so each group's first rows by it include its
    first rows by key (one float sort instead of a two-key one)."""
    finite = np.isfinite(key)
    if not finite.all():
        return np.lexsort((key, group)).argsort().astype(np.float64)  # the rank itself
    low, high = (float(key.min()), float(key.max())) if len(key) else (0.0, 0.0)
    span = 2.0 * (high - low) + 1.0
    return group * span + (key - low)


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and lengths of the runs of equal values in sorted (m,) ``values``."""
    if not len(values):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate([[True], values[1:] != values[:-1]]))
    return starts, np.diff(np.append(starts, len(values)))


class TopList:
    """A combiner's list: candidates offered chunk by chunk; each group's first ``limit``
    by (key, id) kept (all when None) and every group's candidates counted.

    State: ``ids`` (m,) text, ``key`` (m,), ``group`` (m,) int64, ``columns`` name ->
    (m,) or (m, k) arrays; ``counted`` (g,) distinct groups ascending with ``counts`` (g,).
    """

    def __init__(self, classes: tuple[str, ...], limit: int | None):
        self.classes = tuple(classes)
        self.limit = limit
        self.ids = pa.array([], pa.string())
        self.key = np.zeros(0)
        self.group = np.zeros(0, dtype=np.int64)
        self.columns: dict[str, np.ndarray] = {}
        self.counted = np.zeros(0, dtype=np.int64)
        self.counts = np.zeros(0, dtype=np.int64)

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def offer(self, ids: pa.Array, key: np.ndarray, columns: Mapping[str, np.ndarray],
              group: np.ndarray | None = None) -> None:
        """Candidates of one chunk: ids (m,), key (m,), columns as the state's, group (m,) or one group."""
        group = np.zeros(len(key), dtype=np.int64) if group is None else np.asarray(group, dtype=np.int64)
        counted, counts = _count(group)
        contenders = self._contenders(group, key)
        if contenders is not None:
            take = pa.array(contenders, pa.int64())
            ids, key, group = ids.take(take), key[contenders], group[contenders]
            columns = {name: values[contenders] for name, values in columns.items()}
        text = id_text(ids)
        kept = first_per_group(group, key, text, self.limit)
        if len(kept) < len(key):
            take = pa.array(kept, pa.int64())
            text, key, group = text.take(take), key[kept], group[kept]
            columns = {name: values[kept] for name, values in columns.items()}
        self._join(text, key, group, columns, counted, counts)

    def _contenders(self, group: np.ndarray, key: np.ndarray) -> np.ndarray | None:
        """(c,) positions of the offered rows that may still be kept: a group holding its
        ``limit`` candidates already keeps none whose key is above the largest it holds
        (one equal to it may still win on its id). None: every row may."""
        if self.limit is None or not len(self.key):
            return None
        held, where = np.unique(self.group, return_inverse=True)
        sizes = np.bincount(where, minlength=len(held))
        worst = np.full(len(held), -np.inf)
        np.maximum.at(worst, where, self.key)
        full = sizes >= self.limit
        if not full.any():
            return None
        held, worst = held[full], worst[full]
        at = np.minimum(np.searchsorted(held, group), len(held) - 1)
        beaten = (held[at] == group) & (key > worst[at])
        return np.flatnonzero(~beaten) if beaten.any() else None

    def _join(self, ids, key, group, columns, counted, counts) -> None:
        self.counted, self.counts = _add_counts(self.counted, self.counts, counted, counts)
        if not self.columns and columns:  # the columns' names and types, even before any candidate
            self.columns = {name: values[:0] for name, values in columns.items()}
        if not len(key):
            return
        ids = pa.concat_arrays([self.ids, ids.cast(pa.string())])
        key = np.concatenate([self.key, key])
        group = np.concatenate([self.group, group])
        columns = {name: np.concatenate([self.columns[name], columns[name]]) for name in self.columns}
        kept = first_per_group(group, key, ids, self.limit)
        if len(kept) < len(key):
            ids, key, group = ids.take(pa.array(kept, pa.int64())), key[kept], group[kept]
            columns = {name: values[kept] for name, values in columns.items()}
        self.ids, self.key, self.group, self.columns = ids, key, group, columns

    def merge(self, other: "TopList") -> "TopList":
        self._join(other.ids, other.key, other.group, other.columns, other.counted, other.counts)
        return self

    def ranked(self) -> Ranked:
        """The kept candidates, ranked by their key."""
        return Ranked(self.classes, self.ids, self.key, dict(self.columns), self.total)

    def ranked_in_turns(self) -> Ranked:
        """The kept candidates taking turns across groups: the first of each group (the
        group with the most candidates first; ties: the lower group), then the second of
        each, and so on; within a group by key and id. Column ``group_count``: each
        candidate's group's candidate count."""
        at = np.searchsorted(self.counted, self.group)
        place = np.empty(len(self.counted), dtype=np.int64)
        place[np.lexsort((self.counted, -self.counts))] = np.arange(len(self.counted))
        mine = place[at]
        order = rank_order(self.key, self.ids, mine)
        starts, sizes = _runs(mine[order])
        turn = np.arange(len(order)) - np.repeat(starts, sizes)
        key = np.empty(len(order))
        key[order] = turn * float(max(len(self.counted), 1)) + mine[order]
        return replace(self.ranked(), key=key, columns={**self.columns, "group_count": self.counts[at]})

    def groups(self) -> list[tuple[int, np.ndarray, int]]:
        """(group, positions of its kept candidates best first, its candidate count) for each
        group, in group order."""
        order = rank_order(self.key, self.ids, self.group)
        starts, sizes = _runs(self.group[order])
        kept = {int(self.group[order[s]]): order[s:s + n] for s, n in zip(starts, sizes)}
        empty = np.zeros(0, dtype=np.int64)
        return [(int(g), kept.get(int(g), empty), int(n)) for g, n in zip(self.counted, self.counts)]


def _count(group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct groups of (m,) ``group``, ascending, and how many rows each has."""
    if not len(group):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    top = int(group.max())
    if top < 4 * len(group) + 1024:  # few possible groups: one bincount, no sort
        counts = np.bincount(group, minlength=top + 1)
        counted = np.flatnonzero(counts)
        return counted.astype(np.int64), counts[counted].astype(np.int64)
    counted, counts = np.unique(group, return_counts=True)
    return counted.astype(np.int64), counts.astype(np.int64)


def _add_counts(a_groups, a_counts, b_groups, b_counts) -> tuple[np.ndarray, np.ndarray]:
    if not len(a_groups):
        return b_groups, b_counts
    if not len(b_groups):
        return a_groups, a_counts
    groups = np.concatenate([a_groups, b_groups])
    counted, where = np.unique(groups, return_inverse=True)
    return counted, np.bincount(where, weights=np.concatenate([a_counts, b_counts]),
                                minlength=len(counted)).astype(np.int64)


def positive_score(ex: Examples, rows: np.ndarray) -> dict[str, np.ndarray]:
    """``{"positive_score": (m,)}``: the positive class's score of the examples at ``rows``
    (m,), for a binary task with scores (a binary list shows it beside the classes); else {}."""
    if ex.task != "binary" or not ex.has_scores:
        return {}
    return {"positive_score": ex.y_score[rows, 1]}


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
    """The example lists behind the JSON's first entries (``--export``: every candidate
    the memory engine kept; a streaming engine's first ``list_limit``); None where the
    task or the inputs have no such list. ``inputs`` gives the examples' text."""

    label_issues: Ranked | None = None
    confident_mistakes: Ranked | None = None
    broken: Ranked | None = None
    fixed: Ranked | None = None
    inputs: "Inputs | None" = None
