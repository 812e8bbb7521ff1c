"""Slices: metrics for every value (or crossed values) of metadata columns, and which
slices are significantly worse than the rest after Benjamini-Hochberg correction.

Reduced over chunks of rows (``reportgen.chunks``), in two passes whose results depend
neither on how the rows are cut into chunks nor on their order:

* ``SliceCombiner`` (pass 1) keeps, per slice value, mergeable ``Statistics`` and the
  sums its test needs (sum w, w², w·s, w·s² of each row's correctness s; the rest of the
  data is the whole minus the slice), its churn counts against the baseline, and the sum
  modulo 2⁶⁴ of a hash of each row's id (a slice whose rows equal an earlier slice's is
  dropped by it);
* ``SliceIntervals`` (pass 2) needs each tested slice's whole-sample score counts (its
  rank-bin edges) and adds up per-group bootstrap sums, the groups a seeded hash of each
  row's id (``reportgen.hashing``), as the report's own bootstrap.

Numeric columns with more than ``bins`` distinct values become quantile bins whose edges
are known before the first pass: ``numeric_edges`` computes them with NumPy from the
column's values, which every engine reads first (``metadata_values``).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from reportgen import registry
from reportgen.accumulate import anchor_thresholds, within_budget
from reportgen.analysis import bootstrap
from reportgen.analysis.churn import correct, right_of
from reportgen.binning import N_BINS, EdgeLookup, bins_of, chunk_totals
from reportgen.chunks import Chunk
from reportgen.errors import InputError
from reportgen.hashing import hash_groups, id_hashes
from reportgen.metrics import evaluate_statistics
from reportgen.options import Options
from reportgen.stats import ScoreCounts, Statistics, decision_thresholds, from_examples, predicted_classes, top_scores
from reportgen.validate import Examples

HEADLINE = ("accuracy", "f1", "macro_f1", "roc_auc_macro", "log_loss")  # f1: the positive class's (binary; null otherwise)
MISSING = "(missing)"
GRID_CAP = 50  # slices (largest first) that carry a threshold grid for the page's slider
SLICE_RESAMPLES = 200
SLICE_BUDGET = 20_000  # distinct scores per class a slice keeps exact; beyond, binned (reportgen.binning)
MAX_VALUES = 1000   # distinct values of one slice column
MAX_SLICES = 5000   # slices of one report
RANK_CELLS = 400    # classes × score bins of one slice's interval sums (at least bootstrap.MIN_BINS per class)
INTERVAL_CELLS = 2e7  # groups × columns of every tested slice's interval sums together (160 MB) ...
MASK = (1 << 64) - 1
SUMS = ("w", "w2", "ws", "ws2")                                  # per slice, and for the whole data
CHURN = ("fixed", "broken", "still_right", "still_wrong")        # per slice, with a baseline
DEDUP_SEED = 0


@dataclass(frozen=True)
class SliceOptions:
    specs: tuple[tuple[str, ...], ...]
    bins: int = 5
    min_size: int = 30
    fdr: float = 0.05
    what: str = "slice"  # what a column is called in messages ("group-by" for fairness groups)
    groups_only: bool = False  # fairness groups: every group kept, none tested (no test sums, no id hashes)


def parse_specs(texts: list[str]) -> tuple[tuple[str, ...], ...]:
    """``--slice-by a`` and ``--slice-by a,b`` (crossed); a crossing named twice counts once."""
    seen, specs = set(), []
    for text in texts:
        spec = tuple(c.strip() for c in text.split(",") if c.strip())
        if spec and frozenset(spec) not in seen:
            seen.add(frozenset(spec))
            specs.append(spec)
    return tuple(sorted(specs, key=len))


# ---------------------------------------------------------------- quantile bins, known before the first pass


def quantile_positions(n: int, bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where the ``bins + 1`` quantiles of ``n`` sorted numbers lie, as NumPy's default
    (linear) method places them: (low position, high position, fraction), each (bins + 1,)."""
    virtual = np.linspace(0.0, 1.0, bins + 1) * (n - 1)
    low = np.floor(virtual).astype(np.int64)
    return low, np.minimum(low + 1, n - 1), virtual - low


def edges_from_order_statistics(low: np.ndarray, high: np.ndarray, fraction: np.ndarray) -> np.ndarray:
    """Distinct bin edges from the numbers at ``quantile_positions`` (each (bins + 1,)),
    interpolated as NumPy's ``quantile`` does; every engine's edges come from here."""
    low, high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
    step = high - low
    values = np.where(fraction >= 0.5, high - step * (1.0 - fraction), low + step * fraction)
    return np.unique(values)


def numeric_edges(values: pa.Array, bins: int) -> np.ndarray | None:
    """The quantile-bin edges of a numeric column with more than ``bins`` distinct numbers
    (nulls and NaN left out, as missing values), else None: its values are slices as they are."""
    if not numeric(values.type):
        return None
    data = pc.cast(values.drop_null() if values.null_count else values, pa.float64()).to_numpy(zero_copy_only=False)
    missing = np.isnan(data)
    present = data[~missing] if missing.any() else data.copy()  # one copy of the rows, sorted in place
    del missing
    present.sort()
    if not _binned(np.count_nonzero(present[1:] != present[:-1]) + 1 if len(present) else 0, bins):
        return None
    low, high, fraction = quantile_positions(len(present), bins)
    return edges_from_order_statistics(present[low], present[high], fraction)


def _binned(distinct: int, bins: int) -> bool:
    """Whether a numeric column of ``distinct`` numbers is cut into quantile bins."""
    return distinct > bins


def column_edges(columns: Mapping[str, pa.Array], bins: int) -> dict[str, np.ndarray | None]:
    """Every slice column's quantile edges (None: sliced by its values), for a ``SlicePlan``."""
    return {c: numeric_edges(values, bins) for c, values in columns.items()}


class ColumnValues:
    """A combiner that keeps the values of the numeric ones of the slice ``columns`` of
    every chunk, for ``column_edges`` when an engine streams the rows (the edges must be
    known before the slices' first pass); about 8 bytes a row a numeric column."""

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = tuple(columns)
        self.parts: dict[str, list[pa.Array]] = {c: [] for c in self.columns}

    def add(self, chunk: Chunk) -> None:
        for c in self.columns:
            values = chunk.metadata[c]
            if self.parts[c] is not None and (numeric(values.type) or pa.types.is_null(values.type)):
                self.parts[c].append(values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values)
            else:
                self.parts[c] = None  # text: sliced by its values, nothing to keep

    def merge(self, other: "ColumnValues") -> "ColumnValues":
        for c in self.columns:
            mine, theirs = self.parts[c], other.parts[c]
            self.parts[c] = None if mine is None or theirs is None else mine + theirs
        return self

    def arrays(self) -> dict[str, pa.Array]:
        """The numeric columns' values (in no particular order; quantiles ignore it)."""
        out = {}
        for c, parts in self.parts.items():
            if parts:
                kinds = {p.type for p in parts if not pa.types.is_null(p.type)}
                kind = pa.float64() if len(kinds) != 1 else kinds.pop()
                out[c] = pa.concat_arrays([p.cast(kind) for p in parts])
        return out


def numeric(kind: pa.DataType) -> bool:
    """Whether a metadata column of this type may be cut into quantile bins."""
    return pa.types.is_integer(kind) or pa.types.is_floating(kind)


# ---------------------------------------------------------------- the plan both passes follow


@dataclass(frozen=True, eq=False)
class SlicePlan:
    """What slices to make and how: the crossings, each column's quantile edges (None:
    the column's own values), the report's options, and the metadata's file for messages."""

    settings: SliceOptions
    opts: Options
    edges: Mapping[str, np.ndarray | None]
    source: str | None = None

    def bounded(self, stats: Statistics) -> Statistics:
        """A slice's statistics, binned once a class has more than ``SLICE_BUDGET``
        distinct scores (a slice's every part binned or not alike: binned exactly when its
        whole has more, however its rows were cut; counts at the grid stay exact)."""
        opts = self.opts
        return within_budget(stats, opts.grid, opts.threshold, opts.class_thresholds, SLICE_BUDGET)

    def statistics(self, ex: Examples, binned: bool = False) -> Statistics:
        """``bounded(from_examples(ex))``, counted straight into score bins (no sort of the
        rows) when the slice is ``binned`` already or some class of ``ex`` alone fills more
        than ``SLICE_BUDGET`` bins (then it has more distinct scores still, and would be
        binned): binning by each score's bits gives the same counts either way."""
        opts = self.opts
        if not ex.has_scores or not (binned or _fills_bins(ex, SLICE_BUDGET)):
            return self.bounded(from_examples(ex, opts.threshold, opts.class_thresholds))
        anchors = anchor_thresholds(opts.grid, ex.classes, opts.threshold, opts.class_thresholds)
        stats = from_examples(ex, opts.threshold, opts.class_thresholds, score_counts=False)
        per_class = tuple(_bin_counts(anchors, ex.truth(j), ex.y_score[:, j], ex.weight) for j in range(len(ex.classes)))
        top_class = _bin_counts(anchors, np.empty(0, dtype=bool), np.empty(0), None)
        if ex.task == "multiclass":  # as from_examples: the scores' own top class when predictions decide
            decided = ex.argmax if ex.has_predictions else predicted_classes(ex, self.thresholds(ex.classes))
            top_class = _bin_counts(anchors, *top_scores(ex, decided), ex.weight)
        return replace(stats, per_class=per_class, top_class=top_class)

    def thresholds(self, classes: tuple[str, ...]) -> np.ndarray:
        """(classes,) each class's decision threshold."""
        return np.asarray(decision_thresholds(classes, self.opts.threshold, self.opts.class_thresholds))


def _fills_bins(ex: Examples, budget: int) -> bool:
    """Whether some class's scores fall in more than ``budget`` score bins (``binning.bins_of``)."""
    if ex.n_examples <= budget:
        return False
    return any(np.count_nonzero(np.bincount(bins_of(ex.y_score[:, j]), minlength=N_BINS)) > budget
               for j in range(ex.y_score.shape[1]))


def _bin_counts(anchors: np.ndarray, y_true: np.ndarray, y_score: np.ndarray, weight: np.ndarray | None) -> ScoreCounts:
    """One class's score counts binned, exact at ``anchors`` (y_true, y_score, weight: (rows,))."""
    return ScoreCounts.from_totals(chunk_totals(anchors, y_true, y_score, weight))


def _bin_labels(edges: np.ndarray) -> list[str]:
    last = len(edges) - 2
    return [f"[{_num(a)}, {_num(b)}{']' if i == last else ')'}" for i, (a, b) in enumerate(zip(edges[:-1], edges[1:]))]


def _num(x: float) -> str:
    return f"{x:.4g}"


def _code(values: pa.Array, edges: np.ndarray | None) -> tuple[np.ndarray, list[str]]:
    """(rows,) code of each row and the label of each code: quantile bins of a number
    (missing last), or the values as text."""
    if edges is not None:
        data = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
        labels = _bin_labels(edges)
        which = np.clip(np.searchsorted(edges, data, side="right") - 1, 0, len(labels) - 1)
        return np.where(np.isnan(data), len(labels), which), labels + [MISSING]
    encoded = pc.dictionary_encode(pc.fill_null(pc.cast(values, pa.string()), MISSING))
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), encoded.dictionary.to_pylist()


@dataclass(frozen=True, eq=False)
class _Groups:
    """The rows of one chunk grouped by one crossing: ``order`` (rows,) sorts them by
    group, group g is ``order[starts[g]:ends[g]]`` and has the values ``values[g]``."""

    order: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    values: list[tuple[str, ...]]

    def rows(self, g: int) -> np.ndarray:
        return self.order[self.starts[g]:self.ends[g]]

    def sums(self, x: np.ndarray) -> np.ndarray:
        """(groups, ...) the sum of ``x`` ((rows, ...)) over each group's rows."""
        return np.add.reduceat(x[self.order], self.starts, axis=0)


def _group(coded: list[tuple[np.ndarray, list[str]]], n_rows: int) -> _Groups:
    key = np.zeros(n_rows, dtype=np.int64)
    for codes, labels in coded:
        key = key * len(labels) + codes
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    starts = np.flatnonzero(np.diff(ordered, prepend=-1)) if n_rows else np.empty(0, dtype=np.int64)
    values = []
    for start in starts:
        rest, value = int(ordered[start]), []
        for codes, labels in reversed(coded):
            value.append(labels[rest % len(labels)])
            rest //= len(labels)
        values.append(tuple(reversed(value)))
    return _Groups(order, starts, np.append(starts[1:], n_rows).astype(np.int64), values)


def chunk_groups(chunk: Chunk, plan: SlicePlan) -> dict[tuple[str, ...], _Groups]:
    """The chunk's rows grouped by every crossing of the plan."""
    columns = dict.fromkeys(c for spec in plan.settings.specs for c in spec)
    coded = {c: _code(_column(chunk, c, plan), plan.edges.get(c)) for c in columns}
    return {spec: _group([coded[c] for c in spec], chunk.n_rows) for spec in plan.settings.specs}


def _column(chunk: Chunk, column: str, plan: SlicePlan) -> pa.Array:
    if column not in chunk.metadata:
        raise InputError(f"no {plan.settings.what} column {column!r}", file=plan.source)
    values = chunk.metadata[column]
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def correctness(ex: Examples, thresholds: np.ndarray) -> np.ndarray:
    """(rows,) float64: whether each row is right (single-label), or its share of right
    cells (multilabel): what the slice test compares."""
    predicted = predicted_classes(ex, thresholds)
    if ex.y_multi is None:
        return (predicted == ex.y_true).astype(np.float64)
    return (predicted == ex.y_multi).mean(axis=1)


# ---------------------------------------------------------------- pass 1


@dataclass(frozen=True, eq=False)
class _Part:
    """One slice's reduction so far: its statistics, SUMS (+ CHURN) and id-hash sum.

    The statistics are kept as a few unmerged parts of falling size (``stats``), merged
    when a newer part is at least half the size of the one before it: each row's score
    counts are merged a logarithmic number of times, however many chunks come. A part's
    size is its score-count entries (``_entries``): a binned part's stay within its
    bins however many rows it has, so the parts of a binned slice do not pile up."""

    stats: tuple[Statistics, ...]
    sums: np.ndarray
    hashed: int
    plan: "SlicePlan"

    def merge(self, other: "_Part") -> "_Part":
        stack = list(self.stats)
        for stats in other.stats:
            stack.append(stats)
            while len(stack) > 1 and 2 * _entries(stack[-1]) >= _entries(stack[-2]):
                newer = stack.pop()
                stack[-1] = self.plan.bounded(stack[-1].merge(newer))
        return _Part(tuple(stack), self.sums + other.sums, (self.hashed + other.hashed) & MASK, self.plan)

    @property
    def n_examples(self) -> int:
        return sum(s.n_examples for s in self.stats)

    @property
    def binned(self) -> bool:
        return any(c.binned for s in self.stats for c in s.per_class)

    def merged(self) -> Statistics:
        return self.plan.bounded(Statistics.combine(self.stats))


def _entries(stats: Statistics) -> int:
    """The score-count entries of a slice's statistics (its size in memory, and what a merge costs)."""
    return sum(len(c.scores) for c in stats.per_class) + len(stats.top_class.scores)


@dataclass(frozen=True, eq=False)
class SliceStats:
    """One slice after pass 1: its crossing, values, statistics and sums (``sums`` (4,)
    SUMS; ``churn`` (4,) CHURN or None without a baseline)."""

    by: tuple[str, ...]
    value: tuple[str, ...]
    stats: Statistics
    sums: np.ndarray
    churn: np.ndarray | None

    @property
    def key(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return self.by, self.value


@dataclass(frozen=True, eq=False)
class SliceResult:
    """Pass 1's result: every distinct slice in report order before the test (crossings
    in the plan's order, values in sorted order), and the whole data's rows and SUMS."""

    plan: SlicePlan
    slices: tuple[SliceStats, ...]
    n_rows: int
    total: np.ndarray
    weighted: bool
    like: Examples | None  # no rows, the report's task and classes

    def tested(self, part: SliceStats) -> bool:
        if self.plan.settings.groups_only:
            return False
        n = part.stats.n_examples
        return self.plan.settings.min_size <= n < self.n_rows


class SliceCombiner:
    """Pass 1 over chunks (see the module's docstring); ``result()`` once every chunk is in."""

    def __init__(self, plan: SlicePlan) -> None:
        self.plan = plan
        self.parts: dict[tuple[tuple[str, ...], tuple[str, ...]], _Part] = {}
        self.seen: dict[str, set[str]] = {}
        self.n_rows = 0
        self.total = np.zeros(len(SUMS))
        self.baseline: bool | None = None
        self.weighted = False
        self.like: Examples | None = None

    def add(self, chunk: Chunk) -> None:
        if chunk.n_rows == 0:
            return
        ex = chunk.main
        self.baseline = len(chunk.models) > 1
        self.weighted = ex.weight is not None
        if self.like is None:
            self.like = ex.subset(np.empty(0, dtype=np.int64))
        self.n_rows += ex.n_examples
        groups = chunk_groups(chunk, self.plan)
        self._count_values(groups)
        rows, hashes = self._sums(chunk)
        for spec, found in groups.items():
            if rows is None:
                sums, hashed = np.zeros((len(found.values), len(SUMS))), np.zeros(len(found.values), dtype=np.uint64)
            else:
                sums, hashed = found.sums(rows), found.sums(hashes)
            for g, value in enumerate(found.values):
                key = (spec, value)
                binned = key in self.parts and self.parts[key].binned
                part = _Part((self.plan.statistics(ex.subset(found.rows(g)), binned),), sums[g], int(hashed[g]),
                             self.plan)
                self.parts[key] = self.parts[key].merge(part) if key in self.parts else part
        if len(self.parts) > MAX_SLICES:
            raise InputError(f"the slices asked for make at least {len(self.parts):,} slices; "
                             f"at most {MAX_SLICES:,} fit a report", file=self.plan.source)

    def _sums(self, chunk: Chunk) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(rows, columns) each row's SUMS (+ CHURN) and (rows,) its id's hash, added to the
        whole data's total; (None, None) for groups only (``SliceOptions.groups_only``)."""
        if self.plan.settings.groups_only:
            return None, None
        ex = chunk.main
        thresholds = self.plan.thresholds(ex.classes)
        w = np.ones(ex.n_examples) if ex.weight is None else ex.weight
        s = correctness(ex, thresholds)
        columns = [w, w * w, w * s, w * s * s]
        if self.baseline:
            new, old = correct(ex, thresholds), right_of(chunk, 1, thresholds)
            columns += [np.where(mask, w, 0.0) for mask in (new & ~old, ~new & old, new & old, ~new & ~old)]
        rows = np.stack(columns, axis=1)
        self.total += rows[:, :len(SUMS)].sum(axis=0)
        return rows, id_hashes(ex.ids, DEDUP_SEED)

    def _count_values(self, groups: dict[tuple[str, ...], _Groups]) -> None:
        """Refuse a column past MAX_VALUES distinct values, naming it and the count."""
        for spec, found in groups.items():
            for i, column in enumerate(spec):
                if self.plan.edges.get(column) is not None:
                    continue
                seen = self.seen.setdefault(column, set())
                seen.update(v[i] for v in found.values)
                if len(seen) > MAX_VALUES:
                    what = self.plan.settings.what
                    raise InputError(f"{what} column has at least {len(seen):,} distinct values; at most "
                                     f"{MAX_VALUES:,} can be grouped by (bin it, or use another column)",
                                     file=self.plan.source, column=column)

    def merge(self, other: "SliceCombiner") -> "SliceCombiner":
        for key, part in other.parts.items():
            self.parts[key] = self.parts[key].merge(part) if key in self.parts else part
        for column, values in other.seen.items():
            self.seen.setdefault(column, set()).update(values)
        self.n_rows += other.n_rows
        self.total = self.total + other.total
        self.baseline = self.baseline if other.baseline is None else other.baseline
        self.weighted = self.weighted or other.weighted
        self.like = self.like if self.like is not None else other.like
        return self

    def result(self) -> SliceResult:
        """Every slice in report order; a slice whose rows equal an earlier one's (same
        rows and id-hash sum) is left out, unless the plan asks for groups only (fairness
        keeps every group of every column: a gap is taken across one column's groups)."""
        distinct = not self.plan.settings.groups_only
        ranks = self._ranks()
        found, seen = [], set()
        for spec in self.plan.settings.specs:
            keys = sorted((k for k in self.parts if k[0] == spec),
                          key=lambda k: tuple(ranks[c][v] for c, v in zip(spec, k[1])))
            for key in keys:
                part = self.parts[key]
                mark = (part.n_examples, part.hashed)
                if distinct and mark in seen:
                    continue
                seen.add(mark)
                churn = part.sums[len(SUMS):] if self.baseline else None
                found.append(SliceStats(spec, key[1], part.merged(), part.sums[:len(SUMS)], churn))
        return SliceResult(self.plan, tuple(found), self.n_rows, self.total, self.weighted, self.like)

    def _ranks(self) -> dict[str, dict[str, int]]:
        """Each column's order of values: bins in order (missing last), else sorted text."""
        ranks = {}
        for column in {c for spec in self.plan.settings.specs for c in spec}:
            edges = self.plan.edges.get(column)
            if edges is not None:
                labels = _bin_labels(edges) + [MISSING]
            else:
                labels = sorted({k[1][k[0].index(column)] for k in self.parts if column in k[0]})
            ranks[column] = {label: i for i, label in enumerate(labels)}
        return ranks


# ---------------------------------------------------------------- pass 2: intervals


@dataclass(frozen=True, eq=False)
class _Interval:
    resampling: bootstrap.Resampling
    edges: tuple[np.ndarray, ...]

    @functools.cached_property
    def lookups(self) -> tuple[EdgeLookup, ...]:
        """Each class's ``EdgeLookup`` of its edges, made once for every chunk."""
        return tuple(EdgeLookup(e) for e in self.edges)


class SliceIntervals:
    """Pass 2 over the same chunks: per tested slice, the bootstrap's per-group sums
    (groups from a seeded hash of each row's id), added up; ``intervals()`` at the end."""

    def __init__(self, first: SliceResult) -> None:
        # what the chunks and the intervals need of pass 1 (not its statistics: a combiner
        # travels pickled from each Spark partition)
        self.plan, self.like = first.plan, first.like
        opts = first.plan.opts
        tested = [s for s in first.slices if first.tested(s)]
        self.plans: dict[tuple, _Interval] = {}
        self.sums: dict[tuple, np.ndarray] = {}
        if not opts.n_bootstrap or not tested:
            return
        k = len(tested[0].stats.classes)
        bins = max(bootstrap.MIN_BINS, RANK_CELLS // k)
        columns = bootstrap.decision_width(k) + 2 * k * (bins + 1)
        cap = int(max(bootstrap.MIN_GROUPS, min(bootstrap.MAX_GROUPS, INTERVAL_CELLS // (len(tested) * columns))))
        for s in tested:
            resampling = bootstrap.plan(min(opts.n_bootstrap, SLICE_RESAMPLES), opts.seed, k,
                                        max_groups=min(cap, s.stats.n_examples))
            self.plans[s.key] = _Interval(resampling, bootstrap.rank_edges(s.stats.per_class, bins))

    def add(self, chunk: Chunk) -> None:
        if not self.plans or chunk.n_rows == 0:
            return
        ex = chunk.main
        thresholds = self.plan.thresholds(ex.classes)
        hashes = id_hashes(ex.ids, self.plan.opts.seed)
        for spec, found in chunk_groups(chunk, self.plan).items():
            for g, value in enumerate(found.values):
                wanted = self.plans.get((spec, value))
                if wanted is None:
                    continue
                rows = found.rows(g)
                n = wanted.resampling.n_groups
                sums = bootstrap.group_sums(ex.subset(rows), hash_groups(hashes[rows], n), n, thresholds, wanted.edges,
                                           wanted.lookups)
                key = (spec, value)
                self.sums[key] = self.sums[key] + sums if key in self.sums else sums

    def merge(self, other: "SliceIntervals") -> "SliceIntervals":
        for key, sums in other.sums.items():
            self.sums[key] = self.sums[key] + sums if key in self.sums else sums
        return self

    def intervals(self, summaries: Mapping[tuple, Mapping[str, Any]]) -> dict[tuple, dict[str, Any]]:
        """Each tested slice's HEADLINE intervals (``bootstrap.interval``: BCa, carried to
        ``summaries``' exact values, inside each metric's range)."""
        opts = self.plan.opts
        out = {}
        for key, wanted in self.plans.items():
            sums = self.sums.get(key)
            if sums is None:
                continue
            reps = bootstrap.replicates_from_sums(self.like, sums, wanted.resampling, wanted.edges,
                                                  (opts.at_precision, opts.at_recall))
            summary = summaries[key]
            out[key] = {m: None if summary[m] is None else
                        bootstrap.interval(reps.draws(m), summary[m], registry.value_range(m))[0] for m in HEADLINE}
        return out


# ---------------------------------------------------------------- the section


def slice_section(chunks: Sequence[Chunk], plan: SlicePlan) -> dict[str, Any]:
    """The ``slices`` list and its settings from chunks in memory: both passes over them."""
    first = SliceCombiner(plan)
    for chunk in chunks:
        first.add(chunk)
    result = first.result()
    second = SliceIntervals(result)
    for chunk in chunks:
        second.add(chunk)
    return finish(result, second)


def finish(first: SliceResult, second: SliceIntervals | None = None) -> dict[str, Any]:
    """The ``slices`` list, flagged first, and what the page needs to say about it, from
    pass 1's result and pass 2's combiner (None: no intervals)."""
    settings, opts = first.plan.settings, first.plan.opts
    found = [_entry(first, s) for s in first.slices]
    if second is not None:
        bounds = second.intervals({s.key: e["summary"] for s, e in zip(first.slices, found)})
        for s, entry in zip(first.slices, found):
            entry["intervals"] = bounds.get(s.key)
    _benjamini_hochberg(found, settings.fdr)
    found.sort(key=lambda s: (not s["flagged"], s["gap"] if s["flagged"] else -s["n_examples"]))
    _keep_grids(found)
    return {
        "slices": found,
        "slice_settings": {"fdr": settings.fdr, "min_size": settings.min_size, "bins": settings.bins,
                           "grid_cap": GRID_CAP, "test": "per-example correctness, slice vs rest, one-sided"},
    }


def _entry(first: SliceResult, part: SliceStats) -> dict[str, Any]:
    opts = first.plan.opts
    evaluation = evaluate_statistics(part.stats, opts.grid, (), max_curve_points=2)
    summary = {m: evaluation.summary[m] for m in HEADLINE}
    at = evaluation.per_class
    entry: dict[str, Any] = {
        "by": list(part.by),
        "value": list(part.value),
        "n_examples": part.stats.n_examples,
        "summary": summary,
        "counts": _slice_counts(at, part.stats.task),
        "intervals": None,
        "tested": first.tested(part),
        "flagged": False,
        "p_value": None,
        "q_value": None,
        "gap": None,
        "gap_interval": None,
        "_grid": _summed_grid(evaluation.threshold_grid, part.stats.task),
    }
    if part.churn is not None:
        entry["churn"] = {name: (float(v) if first.weighted else int(round(v))) for name, v in zip(CHURN, part.churn)}
    if entry["tested"]:
        entry.update(_test(part.sums, first.total - part.sums))
    return entry


def _slice_counts(per_class: list[dict[str, Any]], task: str) -> dict[str, int | float]:
    """TP, FP and FN at the threshold: the positive class's (binary), else summed over the
    classes (one-vs-rest; multilabel: over the label decisions)."""
    counted = per_class[1:] if task == "binary" else per_class
    return {k: sum(c["at_threshold"][k] for c in counted) for k in ("tp", "fp", "fn")}


def _summed_grid(grid: dict[str, Any] | None, task: str) -> dict[str, list[int | float]] | None:
    """TP, FP and FN at each grid threshold, as ``_slice_counts`` counts them (none without
    scores)."""
    if grid is None:
        return None
    classes = list(grid["classes"].values())
    counted = classes[1:] if task == "binary" else classes
    return {k: [sum(v) for v in zip(*(g[k] for g in counted))] for k in ("tp", "fp", "fn")}


def _test(inside: np.ndarray, rest: np.ndarray) -> dict[str, Any]:
    """Welch-style z-test of mean correctness, slice against the rest (one-sided: worse),
    from each side's SUMS. Weighted examples: weighted means, and variances over Kish's
    effective sizes (the ordinary test when every weight is 1)."""
    (mean_a, var_a), (mean_b, var_b) = _weighted_moments(inside), _weighted_moments(rest)
    gap = float(mean_a - mean_b)
    se = math.sqrt(var_a + var_b) if np.isfinite(var_a) and np.isfinite(var_b) else 0.0
    if se == 0:
        p = 0.0 if gap < 0 else 1.0
    else:
        p = 0.5 * math.erfc(-(gap / se) / math.sqrt(2.0))
    low, high = registry.delta_range("accuracy")  # a difference of two shares: inside [-1, 1]
    return {"gap": gap, "gap_interval": [max(gap - 1.96 * se, low), min(gap + 1.96 * se, high)], "p_value": float(p)}


def _weighted_moments(sums: np.ndarray) -> tuple[float, float]:
    """(weighted mean, variance of that mean) from SUMS: the sample variance over the
    effective size (sum w)^2 / sum w^2; the variance is NaN below two effective examples."""
    total, squares, first, second = (float(x) for x in sums)
    if total <= 0:
        return float("nan"), float("nan")
    mean = first / total
    size = total * total / squares
    if size <= 1:
        return mean, float("nan")
    variance = max(second - first * mean, 0.0) / total * size / (size - 1)
    return mean, variance / size


def _benjamini_hochberg(found: list[dict[str, Any]], fdr: float) -> None:
    tested = [s for s in found if s["tested"]]
    if not tested:
        return
    p = np.array([s["p_value"] for s in tested])
    order = np.argsort(p, kind="stable")
    ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    q_values = np.empty(len(p))
    q_values[order] = np.minimum(q, 1.0)
    for s, qv in zip(tested, q_values):
        s["q_value"] = float(qv)
        s["flagged"] = bool(qv <= fdr and s["gap"] < 0)


def _keep_grids(found: list[dict[str, Any]]) -> None:
    by_size = sorted(range(len(found)), key=lambda i: -found[i]["n_examples"])[:GRID_CAP]
    keep = set(by_size)
    for i, s in enumerate(found):
        grid = s.pop("_grid")
        if i in keep and grid is not None:
            s["grid"] = grid
