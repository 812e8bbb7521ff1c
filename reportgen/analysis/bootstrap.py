"""Bootstrap intervals, paired across models, vectorised by resampling counts.

Each row falls in one of ``n_groups`` groups by a seeded hash of its id
(``reportgen.hashing.row_groups``): the same group in every model, chunk, row order and
engine. The number of groups does not depend on the number of rows: at most
``MAX_GROUPS``, fewer where many classes would make the replicate product exceed
``PRODUCT_BUDGET``, never fewer than ``MIN_GROUPS``. Each group is reduced to sums that add
up across chunks (``GroupSums``: counts per class, log-loss sums, score-bin counts per
class); a resample draws multinomial counts over the groups from the seed alone, and every
replicate's statistics are one matrix product of those counts with the group sums. Each
row's multiplicity in a replicate is its group's count: on data with more rows than groups
a block bootstrap over random blocks of rows, and on small data (fewer rows than groups,
most groups holding zero or one row) close to a Poisson bootstrap, in which each row's
multiplicity is about Poisson(1) and a replicate's size varies. Every model is reduced with
the same groups and the same counts, so differences between models are paired.

Intervals are bias-corrected and accelerated (BCa, Efron 1987): the percentiles of the
replicates are moved by the bias-correction z0 (where the whole-sample value falls among
the replicates) and the acceleration a (the skewness of the jackknife over the same
groups: each leave-one-group-out statistic is the total sums minus one group's sums, one
more pass over the group sums). ``interval`` is the one place an interval is made; it then
carries the binned interval to the exact whole-sample value (``carry``) and guarantees
the metric's range and containment of the point (``guard``).

Like example lists, this looks at the examples (each row's group): the group sums are a
combiner over chunks of them (``reportgen.chunks``).
"""
from __future__ import annotations

import functools
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from reportgen.binning import EdgeLookup
from reportgen.chunks import Chunk
from reportgen.hashing import row_groups
from reportgen.ratios import divide, precision_recall_f1
from reportgen.stats import ScoreCounts, predicted_classes, row_log_loss
from reportgen.validate import Examples

MAX_GROUPS = 1000
MIN_GROUPS = 100
RANK_CELLS = 4000  # classes × score bins kept per model ...
MIN_BINS = 8       # ... but at least this many bins per class
PRODUCT_BUDGET = 1e10  # multiply-adds of one model's replicate product: bounds the groups at many classes
CHUNK_CELLS = 4e6  # replicate sums held at once (replicates × columns): a few tens of MB with the metrics' temporaries
PRODUCT_BLOCK = 1e6  # integer group sums converted to float at once (groups × columns)
LEVEL = 0.95       # every interval's confidence level
CARRY_TOLERANCE = 1e-12  # a binned whole-sample value this close to the exact one is the same value
GUARD_TOLERANCE = 1e-9   # the guard counts a change larger than this (below: rounding)
GUARD = {"intervals": 0, "clipped": 0, "extended": 0}  # how often the last guard changed an interval (this process)


@dataclass(frozen=True, eq=False)
class Resampling:
    """The counts each replicate draws per group, and the seed of the groups."""

    counts: np.ndarray   # (n_resamples, n_groups) multinomial draws
    seed: int

    @property
    def n_groups(self) -> int:
        return int(self.counts.shape[1])

    @property
    def n_resamples(self) -> int:
        return int(self.counts.shape[0])


def group_count(n_resamples: int, n_classes: int = 1, max_groups: int = MAX_GROUPS) -> int:
    """How many groups: ``max_groups``, fewer where ``n_classes`` would make the replicate
    product (resamples × groups × columns) exceed ``PRODUCT_BUDGET``, never fewer than
    ``MIN_GROUPS``; whatever the number of rows."""
    budget = PRODUCT_BUDGET // max(n_resamples * sum_columns(n_classes), 1)
    return min(max_groups, max(MIN_GROUPS, int(budget)))


def plan(n_resamples: int, seed: int, n_classes: int = 1, max_groups: int = MAX_GROUPS) -> Resampling:
    """Counts for ``n_resamples`` replicates over ``group_count(...)`` groups, from ``seed`` alone."""
    n_groups = group_count(n_resamples, n_classes, max_groups)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n_groups, np.full(n_groups, 1.0 / n_groups), size=n_resamples)
    return Resampling(counts=counts.astype(np.float64), seed=seed)


def rank_edges(per_class: tuple[ScoreCounts, ...], bins: int | None = None) -> tuple[np.ndarray, ...]:
    """Each class's inner score-bin edges for the ranking replicates, at most ``bins`` bins
    per class (default ``rank_bins``), from the whole sample's score counts (a label-only
    model's are empty)."""
    bins = rank_bins(len(per_class)) if bins is None else bins
    return tuple(_inner_edges(c, bins) if len(c.scores) else np.zeros(0) for c in per_class)


class GroupSums:
    """Combiner of one model's per-group sums (``model``: its place in each chunk).

    ``decision`` (groups, 4 + 3k): rows (sums of weights), correct decisions, log-loss
    sum, then tp, predicted, actual per class, then exact matches; ``ranks`` (groups, k, bins, 2): negatives
    and positives per score bin per class (bins from ``edges``; one empty bin without
    scores), int32 counts unless ``weighted`` (exact below 2³¹ rows in one group, class and
    bin), so that a model's sums take half the memory. ``thresholds`` (k,): the decision
    thresholds. ``grid`` (groups, c, T + 1, 2), only with a ``GridPlan``: negatives and
    positives of each of its c classes per group between consecutive grid thresholds (bin
    b: the scores above b of the T thresholds), so that every replicate has the counts
    above each grid threshold (``grid_draws``) exactly.
    """

    def __init__(self, model: int, task: str, n_classes: int, scored: bool, thresholds: np.ndarray,
                 edges: tuple[np.ndarray, ...], n_groups: int, weighted: bool = False,
                 grid: "GridPlan | None" = None):
        self.model, self.task, self.scored = model, task, scored
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.edges = tuple(edges)
        self.lookups = tuple(EdgeLookup(e) for e in self.edges) if scored else ()
        width = max((len(e) for e in edges), default=0) + 1 if scored else 1
        self.decision = np.zeros((n_groups, decision_width(n_classes)))
        self.ranks = np.zeros((n_groups, n_classes, width, 2), dtype=np.float64 if weighted else np.int32)
        self.grid_plan = grid if scored else None
        self.grid = None if self.grid_plan is None else np.zeros(
            (n_groups, len(grid.classes), len(grid.thresholds) + 1, 2), dtype=np.float64 if weighted else np.int32)

    @property
    def n_classes(self) -> int:
        return self.ranks.shape[1]

    def add_rows(self, ex: Examples, groups: np.ndarray) -> None:
        """Sum ``ex``'s rows into their ``groups`` ((rows,) in [0, n_groups))."""
        size = self.decision.shape[0]
        self.decision += _decision_sums(ex, groups, size, self.thresholds)
        if self.scored:
            _add_rank_sums(ex, groups, self.lookups, self.ranks)
        if self.grid is not None:
            _add_grid_sums(ex, groups, self.grid_plan, self.grid)

    def merge(self, other: "GroupSums") -> "GroupSums":
        self.decision += other.decision
        self.ranks += other.ranks
        if self.grid is not None:
            self.grid += other.grid
        return self


@dataclass(frozen=True, eq=False)
class GridPlan:
    """The grid counts a model's group sums carry: ``thresholds`` (T,) ascending (the
    report's threshold grid) for the classes at positions ``classes`` (c,)."""

    thresholds: np.ndarray
    classes: tuple[int, ...]

    @functools.cached_property
    def lookup(self) -> EdgeLookup:
        """The grid thresholds below each score, found through score bins (made once)."""
        return EdgeLookup(self.thresholds)


def _add_grid_sums(ex: Examples, groups: np.ndarray, plan: GridPlan, out: np.ndarray) -> None:
    """Add to ``out`` (groups, c, T + 1, 2) each row's negative or positive count (a sum of
    weights when weighted) at the number of grid thresholds strictly below its score (a
    score equal to a threshold is not above it, as the threshold grid counts)."""
    size, _, width, _ = out.shape
    for i, j in enumerate(plan.classes):
        which = plan.lookup(ex.scores_of(j))
        key = (groups * width + which) * 2 + ex.truth(j)
        out[:, i] += np.bincount(key, weights=ex.weight, minlength=size * width * 2).reshape(
            size, width, 2).astype(out.dtype)


def grid_draws(models: list[GroupSums], resampling: Resampling, statistic) -> "Draws":
    """The bootstrap of ``statistic`` over the grid counts of ``models`` (their group sums
    over the same groups and grid: paired). ``statistic(above)`` takes a list with one
    (m, c, T + 1, 2) array per model, the negatives and positives in all (index 0) and
    above each grid threshold (index 1 + t) in each of m samples, and gives (m, columns). Replicates a block at a time; the jackknife
    leaves out each group that holds rows (NaN rows for the others)."""
    cells = [g.grid.reshape(resampling.n_groups, -1) for g in models]
    shapes = [g.grid.shape[1:] for g in models]

    def above(sums: list[np.ndarray]) -> list[np.ndarray]:
        out = []
        for got, shape in zip(sums, shapes):
            binned = got.reshape(len(got), *shape)
            out.append(np.cumsum(binned[:, :, ::-1], axis=2)[:, :, ::-1])  # all, then past each threshold
        return out

    totals = [c.sum(axis=0, keepdims=True, dtype=np.float64) for c in cells]
    full = statistic(above(totals))[0]
    step = max(1, int(CHUNK_CELLS // max(1, sum(c.shape[1] for c in cells))))
    values = np.empty((resampling.n_resamples, *full.shape))
    for start in range(0, resampling.n_resamples, step):
        counts = resampling.counts[start:start + step]
        values[start:start + step] = statistic(above([_product(counts, c) for c in cells]))
    jackknife = np.full((resampling.n_groups, *full.shape), np.nan)
    filled = np.flatnonzero(np.any(models[0].decision != 0, axis=1))
    for start in range(0, len(filled), step):
        which = filled[start:start + step]
        jackknife[which] = statistic(above([t - c[which].astype(np.float64) for t, c in zip(totals, cells)]))
    return Draws(values, full, jackknife)


class Bootstrap:
    """Combiner of every model's ``GroupSums`` over the same groups: each chunk's rows
    fall in their groups by id once, for all its models (row i is the same id in each);
    a chunk may hold some of the models only (a pass of one model)."""

    def __init__(self, sums: list[GroupSums], seed: int):
        self.sums, self.seed = sums, seed

    def add(self, chunk: Chunk) -> None:
        if not chunk.n_rows:
            return
        groups = row_groups(chunk.first.ids, self.seed, self.sums[0].decision.shape[0])
        for sums in self.sums:
            if chunk.models[sums.model] is not None:
                sums.add_rows(chunk.models[sums.model], groups)

    def wants(self, model: int) -> bool:
        """The chunks of every model it sums (pairs of models meet in the groups, not in rows)."""
        return any(sums.model == model for sums in self.sums)

    def merge(self, other: "Bootstrap") -> "Bootstrap":
        for mine, theirs in zip(self.sums, other.sums):
            mine.merge(theirs)
        return self


@dataclass(frozen=True, eq=False)
class Replicates:
    """Per-replicate values of one model: name -> (n_resamples,) or (n_resamples, k)."""

    values: dict[str, np.ndarray]
    full_binned: dict[str, np.ndarray]  # the same binned quantities on the whole sample
    jackknife: dict[str, np.ndarray]    # (n_groups, ...) leaving out each group; NaN rows for empty groups

    def draws(self, key: str) -> "Draws":
        """One statistic's bootstrap; of a per-class key, every class's side by side
        (columns k)."""
        return Draws(self.values[key], np.asarray(self.full_binned[key]), self.jackknife[key])


@dataclass(frozen=True, eq=False)
class Draws:
    """The bootstrap of one statistic, or of several side by side (columns m):
    ``values`` (n_resamples,) or (n_resamples, m), ``full`` () or (m,) the same binned
    statistic on the whole sample, ``jackknife`` (n_groups,) or (n_groups, m) leaving out
    one group at a time (NaN for an empty group)."""

    values: np.ndarray
    full: np.ndarray
    jackknife: np.ndarray

    def minus(self, other: "Draws") -> "Draws":
        """The paired difference (the same groups and counts in both)."""
        return Draws(self.values - other.values, self.full - other.full, self.jackknife - other.jackknife)


def replicate(sums: GroupSums, resampling: Resampling, targets: tuple[float, float]) -> Replicates:
    """Metrics of every replicate of one model, of the whole sample and of the jackknife
    leaving out each non-empty group, from its group sums."""
    size = resampling.n_groups
    ranks = sums.ranks.reshape(size, -1)
    step = max(1, int(CHUNK_CELLS // (sums.decision.shape[1] + ranks.shape[1])))
    values: dict[str, np.ndarray] = {}
    for start in range(0, resampling.n_resamples, step):
        counts = resampling.counts[start:start + step]
        part = _metrics(sums.task, sums.n_classes, counts @ sums.decision, _product(counts, ranks), targets)
        _write(values, part, start, resampling.n_resamples)
    total_decision = sums.decision.sum(axis=0, keepdims=True)
    total_ranks = ranks.sum(axis=0, keepdims=True, dtype=np.float64)
    full = _metrics(sums.task, sums.n_classes, total_decision, total_ranks, targets)
    jackknife = {key: np.full((size, *v.shape[1:]), np.nan) for key, v in full.items()}
    filled = np.flatnonzero(np.any(sums.decision != 0, axis=1))
    for start in range(0, len(filled), step):
        which = filled[start:start + step]
        part = _metrics(sums.task, sums.n_classes, total_decision - sums.decision[which],
                        total_ranks - ranks[which].astype(np.float64), targets)
        for key, got in part.items():
            jackknife[key][which] = got
    return Replicates(values=values, full_binned={key: v[0] for key, v in full.items()}, jackknife=jackknife)


def _write(values: dict[str, np.ndarray], part: dict[str, np.ndarray], start: int, rows: int) -> None:
    """Write one block of replicates in place (no list of parts to join)."""
    for key, got in part.items():
        if key not in values:
            values[key] = np.empty((rows, *got.shape[1:]))
        values[key][start:start + len(got)] = got


def _product(counts: np.ndarray, sums: np.ndarray) -> np.ndarray:
    """(replicates, columns) ``counts`` (replicates, groups) times ``sums`` (groups, columns),
    integer sums converted to float a block of columns at a time (no float copy of them all)."""
    if sums.dtype == np.float64:
        return counts @ sums
    out = np.empty((counts.shape[0], sums.shape[1]))
    step = max(1, int(PRODUCT_BLOCK // max(sums.shape[0], 1)))
    for start in range(0, sums.shape[1], step):
        out[:, start:start + step] = counts @ sums[:, start:start + step].astype(np.float64)
    return out


def replicates_of(ex: Examples, resampling: Resampling, thresholds: np.ndarray, per_class: tuple[ScoreCounts, ...],
                  targets: tuple[float, float]) -> Replicates:
    """``replicate`` of one model's examples, summed as one chunk (``per_class``: its
    whole-sample score counts, for the bin edges)."""
    sums = GroupSums(0, ex.task, len(ex.classes), ex.has_scores, thresholds, rank_edges(per_class),
                     resampling.n_groups, weighted=ex.weight is not None)
    Bootstrap([sums], resampling.seed).add(Chunk(models=(ex,)))
    return replicate(sums, resampling, targets)


def rank_bins(n_classes: int) -> int:
    """Score bins per class for the ranking replicates (``RANK_CELLS`` shared, ``MIN_BINS`` at least)."""
    return max(RANK_CELLS // max(n_classes, 1), MIN_BINS)


def decision_width(n_classes: int) -> int:
    """Columns of one model's per-group decision sums: rows, right, loss; tp, predicted,
    actual per class; then the exact matches (multilabel: rows whose whole predicted set
    is right; 0 for single-label tasks)."""
    return 4 + 3 * n_classes


def sum_columns(n_classes: int) -> int:
    """Columns of one model's per-group sums: rows, right, loss; tp, predicted, actual per
    class; negatives and positives per score bin per class."""
    return decision_width(n_classes) + 2 * n_classes * (rank_bins(n_classes) + 1)


def _decision_sums(ex: Examples, groups: np.ndarray, size: int, thresholds: np.ndarray) -> np.ndarray:
    """(groups, ``decision_width(k)``): per group, rows (sum of weights when weighted),
    correct decisions, log-loss sum, then tp, predicted, actual per class, then the exact
    matches (multilabel; zeros otherwise) — each a sum of weights."""
    k = len(ex.classes)
    predicted = predicted_classes(ex, thresholds)
    w = np.ones(ex.n_examples) if ex.weight is None else ex.weight
    columns = [np.bincount(groups, weights=w, minlength=size)]
    loss = row_log_loss(ex) * w if ex.has_scores else np.full(ex.n_examples, np.nan)  # NaN: no interval without scores
    if ex.y_multi is None:
        right = np.where(predicted == ex.y_true, w, 0.0)
        columns.append(np.bincount(groups, weights=right, minlength=size))
        columns.append(np.bincount(groups, weights=loss, minlength=size))
        tp = np.bincount(groups * k + ex.y_true, weights=right, minlength=size * k).reshape(size, k)
        made = np.bincount(groups * k + predicted, weights=w, minlength=size * k).reshape(size, k)
        actual = np.bincount(groups * k + ex.y_true, weights=w, minlength=size * k).reshape(size, k)
        exact = np.zeros(size)
    else:
        right_cells = np.count_nonzero(predicted == ex.y_multi, axis=1)
        columns.append(np.bincount(groups, weights=right_cells * w, minlength=size))
        columns.append(np.bincount(groups, weights=loss, minlength=size))
        tp = np.stack([np.bincount(groups, weights=(predicted[:, j] & ex.y_multi[:, j]) * w, minlength=size)
                       for j in range(k)], 1)
        made = np.stack([np.bincount(groups, weights=predicted[:, j] * w, minlength=size) for j in range(k)], 1)
        actual = np.stack([np.bincount(groups, weights=ex.y_multi[:, j] * w, minlength=size) for j in range(k)], 1)
        exact = np.bincount(groups, weights=(right_cells == k) * w, minlength=size)
    return np.concatenate([np.stack(columns, axis=1), tp, made, actual, exact[:, None]], axis=1).astype(np.float64)


def _inner_edges(counts: ScoreCounts, bins: int) -> np.ndarray:
    """Inner bin edges: every distinct score when few (exact), else cuts of equal mass with
    positives and negatives weighing the same in all (so a rare class's positives, which
    decide its ranking, get their share of the bins)."""
    if len(counts.scores) <= bins:
        return counts.scores[:-1]
    n_pos, n_neg = counts.n_pos, counts.n_neg
    if n_pos and n_neg:
        cumulative = np.cumsum(counts.pos / n_pos + counts.neg / n_neg)
    else:
        cumulative = np.cumsum(counts.pos + counts.neg).astype(np.float64)
    cuts = np.linspace(0, cumulative[-1], bins + 1)[1:-1]
    return np.unique(counts.scores[np.minimum(np.searchsorted(cumulative, cuts), len(counts.scores) - 1)])


def _add_rank_sums(ex: Examples, groups: np.ndarray, lookups: tuple[EdgeLookup, ...], out: np.ndarray) -> None:
    """Add to ``out`` (groups, classes, width, 2) the negatives and positives of ``ex``'s
    rows per group, class and score bin (each class's bin edges behind ``lookups``; sums
    of weights when weighted), in place."""
    size, _, width, _ = out.shape

    def fill(j: int) -> None:
        which = lookups[j](ex.scores_of(j))
        key = (groups * width + which) * 2 + ex.truth(j)
        out[:, j] += np.bincount(key, weights=ex.weight, minlength=size * width * 2).reshape(size, width, 2)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(fill, range(len(ex.classes))))


def _metrics(task: str, k: int, decision: np.ndarray, ranks: np.ndarray, targets) -> dict[str, np.ndarray]:
    rows, right, loss = decision[:, 0], decision[:, 1], decision[:, 2]
    tp, made, actual = (decision[:, 3 + i * k : 3 + (i + 1) * k] for i in range(3))
    cells = rows * k if task == "multilabel" else rows
    precision, recall, f1 = precision_recall_f1(tp, made - tp, actual - tp)
    ranks = ranks.reshape(len(rows), k, -1, 2)
    auc = _auc(ranks[..., 1], ranks[..., 0])
    at_precision, at_recall = operating_points(ranks[..., 1], ranks[..., 0], targets)
    macro_auc = auc[:, 1] if task == "binary" else _nanmean(auc)
    positive = {"precision": precision[:, 1], "recall": recall[:, 1], "f1": f1[:, 1]} if task == "binary" else {}
    exact = {"subset_accuracy": divide(decision[:, -1], rows)} if task == "multilabel" else {}
    return {
        **positive,
        **exact,
        "accuracy": divide(right, cells),
        "macro_precision": precision.mean(axis=1),
        "macro_recall": recall.mean(axis=1),
        "macro_f1": f1.mean(axis=1),
        "roc_auc_macro": macro_auc,
        "log_loss": divide(loss, cells),
        "roc_auc": auc,
        "recall_at_precision": at_precision,
        "precision_at_recall": at_recall,
    }


def binned_auc(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """ROC AUC from positives and negatives per ascending score bin (..., bins), as the
    replicates count it (``_auc``)."""
    return _auc(pos, neg)


def _auc(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """Mann-Whitney AUC from counts per ascending score bin (ties count one half)."""
    n_pos, n_neg = pos.sum(axis=-1), neg.sum(axis=-1)
    above = n_pos[..., None] - np.cumsum(pos, axis=-1)
    pairs = (neg * (above + 0.5 * pos)).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((n_pos > 0) & (n_neg > 0), pairs / (n_pos * n_neg), np.nan)


def operating_points(pos, neg, targets) -> tuple[np.ndarray, np.ndarray]:
    """Best recall with precision >= target, and precision at the highest cut with recall >= target."""
    target_precision, target_recall = targets
    tps = np.cumsum(pos[..., ::-1], axis=-1)
    fps = np.cumsum(neg[..., ::-1], axis=-1)
    precision = divide(tps, tps + fps)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = tps / tps[..., -1:]
    recall_at = np.where(precision >= target_precision, recall, 0.0).max(axis=-1)
    reached = recall >= target_recall
    first = np.argmax(reached, axis=-1)
    precision_at = np.take_along_axis(precision, first[..., None], axis=-1)[..., 0]
    undefined = tps[..., -1] == 0
    return np.where(undefined, np.nan, recall_at), np.where(undefined, np.nan, precision_at)


def _nanmean(values: np.ndarray) -> np.ndarray:
    filled = ~np.isnan(values)
    total = np.where(filled, values, 0.0).sum(axis=1)
    count = filled.sum(axis=1)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


# ---------------------------------------------------------------- intervals


def interval(draws: Draws, point, bounds: tuple[float, float], level: float = LEVEL,
             smooth: bool = True) -> list[list[float] | None]:
    """The interval of each column of ``draws`` (a scalar statistic is one column), the
    one way every interval of the report is made: the BCa interval of the binned
    replicates (``bca``), carried to the exact whole-sample ``point`` (() or (m,))
    (``carry``), then held inside ``bounds`` (the metric's range, ``registry.value_range``)
    and around the point (``guard``). None where the point is undefined or fewer than two
    replicates are finite. A statistic that is not a smooth function of the sums (the
    grid threshold of least cost: an argmin, whose replicates pile up on a few grid
    points) takes the percentile interval instead of BCa (``smooth=False``): its
    jackknife says nothing of its spread, as for a median, and the share of replicates
    tied with the point would pass for a bias. The fairness disparities, maxima over groups, take it too: the
    coverage simulation in benchmarks/bench_fairness_coverage.py shows BCa's correction
    to overshoot there."""
    values = draws.values.reshape(len(draws.values), -1)
    m = values.shape[1]
    full = np.broadcast_to(np.asarray(draws.full, dtype=np.float64), (m,))
    jackknife = draws.jackknife.reshape(len(draws.jackknife), m)
    points = np.broadcast_to(np.asarray(point, dtype=np.float64), (m,))
    if smooth:
        low, high = np.empty(m), np.empty(m)
        step = max(1, int(CHUNK_CELLS // max(len(values), 1)))  # columns at once: bca's temporaries stay small
        for start in range(0, m, step):
            block = slice(start, start + step)
            low[block], high[block] = bca(values[:, block], full[block], jackknife[:, block], level)
    else:
        low, high = percentile(values, level)
    low, high = carry(low, full, points, bounds), carry(high, full, points, bounds)
    low, high = guard(low, high, points, bounds)
    ok = np.isfinite(low) & np.isfinite(high) & np.isfinite(points)
    return [[float(a), float(b)] if good else None for a, b, good in zip(low, high, ok)]


def bca(values: np.ndarray, full: np.ndarray, jackknife: np.ndarray, level: float = LEVEL
        ) -> tuple[np.ndarray, np.ndarray]:
    """BCa ends (Efron 1987) of each column: ``values`` (replicates, m), ``full`` (m,) the
    statistic on the whole sample, ``jackknife`` (groups, m) leaving out one group each.

    z0 = Φ⁻¹(share of the n finite replicates below ``full``, ties counting one half);
    a = Σd³ / (6 (Σd²)^1.5), d the mean of the finite jackknife values minus each (0 when
    they are all equal); each end is the replicates' quantile (linear, as
    ``np.percentile``) at level Φ(z0 + w), w = (z0 + z)/(1 − a(z0 + z)) for
    z = Φ⁻¹((1 ∓ level)/2) (a level of 0 or 1: the extreme replicate, as ``np.percentile``).

    A strongly biased statistic — macro F1 over classes of a few examples, whose
    replicates lose a rare class and score it 0 — can have more than (1 + level)/2 of its
    replicates on one side of ``full`` (|z0| > z); the BCa levels then reach beyond the
    replicates and their extreme quantiles would make an interval next to, not around,
    ``full``. An end whose level lies beyond the replicates (below 1/n or above 1 − 1/n)
    comes then from the normal model BCa assumes: ``full`` + σ·w, σ the replicates'
    standard deviation, with z0 = (``full`` − their mean)/σ when ``full`` lies outside them
    all; with 1 − a(z0 + z) ≤ 0, w is infinite (the range's end). NaN replicates are
    ignored; fewer than two finite: NaN ends; all equal: that value twice.
    """
    finite = np.isfinite(values)
    n = finite.sum(axis=0)
    size = np.maximum(n, 1)
    with np.errstate(invalid="ignore"):
        below = ((values < full) & finite).sum(axis=0) + 0.5 * ((values == full) & finite).sum(axis=0)
    outside = (below == 0) | (below == n)
    filled = np.where(finite, values, 0.0)
    mean = filled.sum(axis=0) / size
    sigma = np.sqrt(np.where(finite, (filled - mean) ** 2, 0.0).sum(axis=0) / np.maximum(n - 1, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        normal_z0 = np.where(sigma > 0, (full - mean) / sigma, 0.0)
    z0 = np.where(outside, normal_z0, _quantile_normal(np.clip(below / size, 0.5 / size, 1 - 0.5 / size)))
    a = _acceleration(jackknife)
    z = _quantile_normal(np.array([(1 - level) / 2, (1 + level) / 2]))[:, None]  # (2, 1)
    shifted = z0 + z
    denominator = 1 - a * shifted
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(denominator > 0, shifted / np.where(denominator > 0, denominator, 1.0),
                     np.where(shifted > 0, np.inf, -np.inf))
    alpha = _normal(z0 + w)
    one_sided = outside | (np.abs(z0) > z[1])  # the BCa ends would both lie on one side of ``full``
    resolved = ~one_sided | ((alpha >= 1 / size) & (alpha <= 1 - 1 / size))
    with np.errstate(invalid="ignore"):
        modelled = np.where(sigma > 0, full + sigma * w, full)
    ends = np.where(resolved, _quantiles(values, n, np.where(resolved, alpha, 0.5)), modelled)
    ends[:, n < 2] = np.nan
    return ends[0], ends[1]


def percentile(values: np.ndarray, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """The percentile interval's ends of each column of ``values`` (replicates, m), NaN
    replicates ignored (fewer than two finite: NaN ends)."""
    n = np.isfinite(values).sum(axis=0)
    alpha = np.broadcast_to(np.array([(1 - level) / 2, (1 + level) / 2])[:, None], (2, values.shape[1]))
    ends = _quantiles(values, n, alpha)
    ends[:, n < 2] = np.nan
    return ends[0], ends[1]


def _acceleration(jackknife: np.ndarray) -> np.ndarray:
    """(m,) the BCa acceleration from (groups, m) jackknife values (NaN ones ignored)."""
    finite = np.isfinite(jackknife)
    filled = np.where(finite, jackknife, 0.0)
    mean = filled.sum(axis=0) / np.maximum(finite.sum(axis=0), 1)
    d = np.where(finite, mean - filled, 0.0)
    second, third = (d ** 2).sum(axis=0), (d ** 3).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(second > 0, third / (6 * second ** 1.5), 0.0)


def _quantiles(values: np.ndarray, n: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """(p, m) each column's quantile at ``alpha`` (p, m) among its ``n`` (m,) finite values,
    interpolated linearly as ``np.percentile``."""
    ordered = np.sort(values, axis=0)  # NaN last
    position = alpha * np.maximum(n - 1, 0)
    lower = np.floor(position).astype(np.int64)
    upper = np.minimum(lower + 1, np.maximum(n - 1, 0))
    fraction = position - lower
    a = np.take_along_axis(ordered, lower, axis=0)
    b = np.take_along_axis(ordered, upper, axis=0)
    return np.where(fraction > 0, a + fraction * (b - a), a)


_NORMAL = NormalDist()
_normal = np.vectorize(lambda x: 0.5 * math.erfc(-x / math.sqrt(2.0)), otypes=[np.float64])  # Φ
_quantile_normal = np.vectorize(_NORMAL.inv_cdf, otypes=[np.float64])                        # Φ⁻¹ on (0, 1)


def carry(ends: np.ndarray, binned: np.ndarray, exact: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    """Interval ends of binned replicates (m,) moved so that the binned whole-sample value
    lands on the exact one (ROC AUC and operating points are binned in the replicates;
    every other statistic is exact there and stays put): the monotone map that is linear
    from the range's lower end to the binned value (onto lower end to exact) and from the
    binned value to the upper end (onto exact to upper end). It keeps the range, keeps
    the order of the ends, takes the point to the point, and moves an end by at most
    |exact − binned| (the binning error); it works when the exact value is at the end of
    the range (an AUC of 1), where a shift on the logit scale would be infinite. An open
    side of the range (a loss's upper end) is a plain shift."""
    low_end, high_end = bounds
    delta = exact - binned
    same = ~np.isfinite(delta) | (np.abs(delta) <= CARRY_TOLERANCE * np.maximum(1.0, np.abs(exact)))
    with np.errstate(invalid="ignore", divide="ignore"):
        below = np.where(np.isfinite(low_end) & (binned > low_end),
                         low_end + (ends - low_end) * (exact - low_end) / (binned - low_end), ends + delta)
        above = np.where(np.isfinite(high_end) & (binned < high_end),
                         high_end - (high_end - ends) * (high_end - exact) / (high_end - binned), ends + delta)
    return np.where(same, ends, np.where(ends <= binned, below, above))


def guard(low: np.ndarray, high: np.ndarray, point: np.ndarray, bounds: tuple[float, float]
          ) -> tuple[np.ndarray, np.ndarray]:
    """The last guard: ends clipped to ``bounds`` and stretched to hold ``point`` (m,);
    ``GUARD`` counts the intervals it changed by more than rounding."""
    clipped_low, clipped_high = np.clip(low, *bounds), np.clip(high, *bounds)
    held = np.isfinite(point)
    new_low = np.where(held, np.minimum(clipped_low, point), clipped_low)
    new_high = np.where(held, np.maximum(clipped_high, point), clipped_high)
    with np.errstate(invalid="ignore"):
        clipped = (np.abs(clipped_low - low) > GUARD_TOLERANCE) | (np.abs(clipped_high - high) > GUARD_TOLERANCE)
        extended = (np.abs(new_low - clipped_low) > GUARD_TOLERANCE) | (np.abs(new_high - clipped_high) > GUARD_TOLERANCE)
    finite = np.isfinite(low) & np.isfinite(high)
    GUARD["intervals"] += int(finite.sum())
    GUARD["clipped"] += int((clipped & finite).sum())
    GUARD["extended"] += int((extended & finite).sum())
    return new_low, new_high

# ---------------------------------------------------------------- one array of group sums (the slices' intervals)


def group_sums(ex: Examples, groups: np.ndarray, n_groups: int, thresholds: np.ndarray,
               edges: tuple[np.ndarray, ...], lookups: tuple[EdgeLookup, ...] | None = None) -> np.ndarray:
    """(n_groups, columns) float64: the decision sums, then the rank sums of every class,
    of the rows of ``ex`` in each group (``groups``: (rows,)); the sums of two chunks add up.
    ``lookups``: the edges' ``EdgeLookup``, made once for many chunks (else made here)."""
    k, width = len(ex.classes), max((len(e) for e in edges), default=0) + 1 if ex.has_scores else 1
    decision = _decision_sums(ex, groups, n_groups, thresholds)
    ranks = np.zeros((n_groups, k, width, 2))
    if ex.has_scores:
        _add_rank_sums(ex, groups, lookups or tuple(EdgeLookup(e) for e in edges), ranks)
    return np.concatenate([decision, ranks.reshape(n_groups, -1)], axis=1)


def replicates_from_sums(like: Examples, sums: np.ndarray, resampling: Resampling, edges: tuple[np.ndarray, ...],
                         targets: tuple[float, float]) -> Replicates:
    """The replicates of ``group_sums`` added over every chunk; ``like`` is any Examples of
    the same task and classes (an empty one will do)."""
    k = len(like.classes)
    cut = decision_width(k)
    width = sums[:, cut:].shape[1] // (2 * k) if k else 1
    held = GroupSums(0, like.task, k, True, np.zeros(k), tuple(edges), resampling.n_groups, weighted=True)
    held.decision = sums[:, :cut]
    held.ranks = sums[:, cut:].reshape(resampling.n_groups, k, width, 2)
    return replicate(held, resampling, targets)
