"""Sufficient statistics: everything the metrics need, in sums that add up across chunks.

A producer reduces examples to ``Statistics``; ``merge`` adds two of them, so chunks,
partitions or engines can each produce a part. ``metrics`` derives every number from
these and never looks at examples again.
"""
from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Mapping, Sequence

import numpy as np

from reportgen.binning import BinCounter
from reportgen.matrices import MATRIX_LIMIT, TOP_SCORED, SparseCounts, fold, shown_classes, top_scored
from reportgen.rows import pick
from reportgen.validate import Examples

TOP_K = (3, 5)
CALIBRATION_BINS = 15  # equal-width reliability bins
POOL_CLASSES = 40      # past this many classes the memory engine pools negatives (ScoreCounts.pooled)
EXACT_CLASSES = 40     # ... except for this many classes with the most examples (``most_common``)
SUM_TOLERANCE = 1e-3  # a row of multiclass scores further than this from 1 is "not normalised"
PARALLEL_CELLS = 1 << 17  # rows × classes from which the per-class sorts run on a thread pool


@dataclass(frozen=True, eq=False)
class Anchors:
    """Exact positives and negatives with score > t at fixed thresholds (binned counts)."""

    thresholds: np.ndarray  # ascending, distinct
    pos_above: np.ndarray
    neg_above: np.ndarray

    def merge(self, other: "Anchors") -> "Anchors":
        if not np.array_equal(self.thresholds, other.thresholds):
            raise ValueError("cannot merge counts kept at different thresholds")
        return Anchors(self.thresholds, self.pos_above + other.pos_above, self.neg_above + other.neg_above)


@dataclass(frozen=True, eq=False)
class ScoreCounts:
    """Positives and negatives at each distinct score of one class (one-vs-rest).

    ``scores`` is ascending and distinct; ``pos[i]`` / ``neg[i]`` count the examples
    with score ``scores[i]`` that are / are not of the class (all three (distinct,);
    counts int64, or float64 sums of weights when the examples are weighted).

    Binned counts (``anchors`` set) hold one entry per score bin, standing at the bin's
    middle (see ``reportgen.binning``); counts above the anchor thresholds stay exact.
    """

    scores: np.ndarray
    pos: np.ndarray
    neg: np.ndarray
    anchors: Anchors | None = None

    @property
    def binned(self) -> bool:
        return self.anchors is not None

    @property
    def auc_error_bound(self) -> float | None:
        """The most binning can move ROC AUC: half the pairs tied inside a bin, over all pairs."""
        if not self.binned:
            return 0.0
        pairs = float(self.n_pos) * float(self.n_neg)
        if pairs == 0:
            return None
        return float(np.dot(self.pos.astype(np.float64), self.neg.astype(np.float64)) / 2.0 / pairs)

    @property
    def weighted(self) -> bool:
        return self.pos.dtype.kind == "f"

    @classmethod
    def from_arrays(cls, y_true: np.ndarray, y_score: np.ndarray, weight: np.ndarray | None = None) -> "ScoreCounts":
        """One sort: scores in [0, 1] and the truth bit packed into one uint64 key
        (``y_true``, ``y_score``, ``weight``: (rows,))."""
        y_score = np.ascontiguousarray(y_score, dtype=np.float64)
        if weight is not None:
            return cls._weighted(y_score, np.asarray(y_true, dtype=bool), weight)
        keys = np.left_shift(y_score.view(np.uint64), np.uint64(1))
        keys |= np.asarray(y_true, dtype=np.uint64)
        keys.sort()
        values = np.right_shift(keys, np.uint64(1)).view(np.float64)
        if len(values) == 0:
            return cls.empty()
        ends = np.flatnonzero(values[1:] != values[:-1])
        ends = np.append(ends, len(values) - 1)
        cum_pos = np.cumsum(keys & np.uint64(1), dtype=np.int64)[ends]
        pos = np.diff(cum_pos, prepend=0)
        neg = np.diff(ends, prepend=-1) - pos
        return cls(values[ends], pos, neg)

    @classmethod
    def _weighted(cls, y_score: np.ndarray, y_true: np.ndarray, weight: np.ndarray) -> "ScoreCounts":
        """Sums of weights per distinct score (one argsort; the truth rides along as the
        weight's sign); scores whose rows all weigh 0 are left out (as scikit-learn drops
        zero weights)."""
        if len(y_score) == 0:
            return cls(np.empty(0), np.empty(0), np.empty(0))
        order = np.argsort(y_score)
        values = y_score[order]
        signed = np.where(y_true, weight, -weight)[order]
        starts = np.flatnonzero(np.concatenate([[True], values[1:] != values[:-1]]))
        pos = np.add.reduceat(np.maximum(signed, 0.0), starts)
        neg = np.add.reduceat(np.maximum(-signed, 0.0), starts)
        used = (pos + neg) > 0
        return cls(values[starts][used], pos[used], neg[used])

    @classmethod
    def from_counter(cls, counter: BinCounter) -> "ScoreCounts":
        """A ``BinCounter``'s totals: the bins in use, exact at its anchors."""
        return cls.from_totals(counter.totals())

    @classmethod
    def from_totals(cls, totals: tuple[np.ndarray, ...]) -> "ScoreCounts":
        """Binned counts from ``BinCounter.totals()`` or ``binning.chunk_totals``: (scores,
        pos, neg) of the bins in use, then (anchors, pos_above, neg_above)."""
        scores, pos, neg, thresholds, pos_above, neg_above = totals
        return cls(scores, pos, neg, Anchors(thresholds, pos_above, neg_above))

    def binned_at(self, anchors: np.ndarray) -> "ScoreCounts":
        """These counts binned (see ``reportgen.binning``), kept exact at ``anchors``."""
        if self.binned:
            return self
        counter = BinCounter(anchors, weighted=self.weighted)
        counter.add_counts(self.scores, self.pos, self.neg)
        return ScoreCounts.from_counter(counter)

    @classmethod
    def pooled(cls, y_true: np.ndarray, y_score: np.ndarray, anchors: np.ndarray,
               weight: np.ndarray | None = None) -> "ScoreCounts":
        """Counts that keep every distinct score holding a positive and every anchor exact,
        and pool the negatives between two of them into one entry at their mean score.

        y_true: (n,) bool; y_score: (n,) scores in [0, 1]; weight: (n,) or None (then
        sums of weights, and each pool stands at its weighted mean); anchors: ascending distinct
        thresholds (the grid's, the decision's, the calibration bins' edges). Every number
        the metrics take from counts is unchanged by the pooling: ROC AUC, average precision
        and the curves' vertices (a run of negatives moves along one straight segment),
        counts above each anchor (no entry straddles one) and calibration sums per bin (the
        bins' edges are anchors). A class with few positives among many rows then keeps
        about 2 × (positives + anchors) entries instead of one per row, with no sort of the
        rows. Not for merging with other parts (their positives would split the pools).
        """
        y_score = np.asarray(y_score, dtype=np.float64)
        y_true = np.asarray(y_true, dtype=bool)
        if len(y_score) == 0:
            return cls.empty()
        cuts = np.union1d(np.unique(y_score[y_true]), anchors)
        # slot 2i + 1: exactly cuts[i]; slot 2i: strictly between cuts[i - 1] and cuts[i]
        slot = np.searchsorted(cuts, y_score, side="left") + np.searchsorted(cuts, y_score, side="right")
        size = 2 * len(cuts) + 1
        if weight is None:
            total = np.bincount(slot, minlength=size)
            pos = np.bincount(slot, weights=y_true, minlength=size).astype(np.int64)
            sums = np.bincount(slot, weights=y_score, minlength=size)
            neg = total - pos
        else:
            pos = np.bincount(slot, weights=np.where(y_true, weight, 0.0), minlength=size)
            neg = np.bincount(slot, weights=np.where(y_true, 0.0, weight), minlength=size)
            total = pos + neg
            sums = np.bincount(slot, weights=y_score * weight, minlength=size)
        filled = np.flatnonzero(total)
        exact = filled % 2 == 1
        index = filled // 2
        low = np.nextafter(np.concatenate([[-np.inf], cuts])[index], np.inf)
        high = np.nextafter(np.concatenate([cuts, [np.inf]])[index], -np.inf)
        between = np.clip(sums[filled] / total[filled], low, high)
        scores = np.where(exact, cuts[np.minimum(index, len(cuts) - 1)], between)
        return cls(scores, pos[filled], neg[filled])

    @classmethod
    def empty(cls) -> "ScoreCounts":
        return cls(np.empty(0), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))

    @functools.cached_property
    def _from_the_top(self) -> tuple[np.ndarray, np.ndarray]:
        """Weighted: positives and negatives above each distinct score (computed once)."""
        return _suffix_sums(self.pos), _suffix_sums(self.neg)

    @property
    def n_pos(self) -> int | float:
        return self._from_the_top[0][0].item() if self.weighted else self.pos.sum().item()

    @property
    def n_neg(self) -> int | float:
        return self._from_the_top[1][0].item() if self.weighted else self.neg.sum().item()

    def merge(self, other: "ScoreCounts") -> "ScoreCounts":
        return ScoreCounts.combine([self, other])

    @staticmethod
    def combine(parts: Sequence["ScoreCounts"]) -> "ScoreCounts":
        """Every part's counts in one ScoreCounts. Each part's scores are ascending, so
        one stable sort of them all merges the runs (O(n log parts)); equal scores then
        sit together, in the parts' order, and their counts are summed in that order (two
        parts: ``_merged``, the same counts without the sort). Exact parts meeting binned
        ones are binned first (at the same anchors)."""
        binned = [p for p in parts if p.binned]
        if binned and len(binned) < len(parts):
            anchors = binned[0].anchors.thresholds
            parts = [p.binned_at(anchors) for p in parts]
        anchors = functools.reduce(Anchors.merge, [p.anchors for p in parts]) if binned else None
        counts = np.float64 if any(p.weighted for p in parts) else np.int64
        if len(parts) == 2:
            return _merged(parts[0], parts[1], counts, anchors)
        everywhere = np.concatenate([p.scores for p in parts])
        if len(everywhere) == 0:
            return ScoreCounts(np.empty(0), np.empty(0, dtype=counts), np.empty(0, dtype=counts), anchors)
        order = np.argsort(everywhere, kind="stable")
        ordered = everywhere[order]
        starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
        pos = np.add.reduceat(np.concatenate([p.pos for p in parts]).astype(counts, copy=False)[order], starts)
        neg = np.add.reduceat(np.concatenate([p.neg for p in parts]).astype(counts, copy=False)[order], starts)
        return ScoreCounts(ordered[starts], pos, neg, anchors)

    def above(self, thresholds: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """(positives, negatives) with score > t, for each t (exact at anchors when binned)."""
        at_or_below = np.searchsorted(self.scores, thresholds, side="right")
        if self.weighted:  # sums from the top, so that none exceeds the total (n_pos, n_neg)
            pos, neg = self._from_the_top[0][at_or_below], self._from_the_top[1][at_or_below]
        else:
            cum_pos = np.concatenate([[0], np.cumsum(self.pos)])
            cum_neg = np.concatenate([[0], np.cumsum(self.neg)])
            pos, neg = cum_pos[-1] - cum_pos[at_or_below], cum_neg[-1] - cum_neg[at_or_below]
        if self.anchors is None:
            return pos, neg
        known = self.anchors.thresholds
        where = np.minimum(np.searchsorted(known, thresholds), max(len(known) - 1, 0))
        hit = known[where] == thresholds if len(known) else np.zeros(np.shape(thresholds), dtype=bool)
        return (np.where(hit, self.anchors.pos_above[where], pos),
                np.where(hit, self.anchors.neg_above[where], neg))


def _merged(a: ScoreCounts, b: ScoreCounts, counts: type, anchors: Anchors | None) -> ScoreCounts:
    """``ScoreCounts.combine([a, b])`` by finding each of b's scores among a's (ascending
    and distinct in each): the counts of a shared score added (a's first), b's other
    scores put in their places; O(b log a + a + b), no sort of both."""
    at = np.searchsorted(a.scores, b.scores)
    same = np.zeros(len(b.scores), dtype=bool)
    inside = at < len(a.scores)
    same[inside] = a.scores[at[inside]] == b.scores[inside]
    pos, neg = a.pos.astype(counts, copy=True), a.neg.astype(counts, copy=True)
    pos[at[same]] += b.pos[same]  # each shared score once: a's and b's scores are distinct
    neg[at[same]] += b.neg[same]
    new = ~same
    where = at[new]
    return ScoreCounts(np.insert(a.scores, where, b.scores[new]), np.insert(pos, where, b.pos[new].astype(counts)),
                       np.insert(neg, where, b.neg[new].astype(counts)), anchors)


@dataclass(frozen=True, eq=False)
class TopScoreSums:
    """The score sums of many classes without their k × k matrix: what the compact
    probability matrix shows, for final statistics (they do not merge).

    ``diagonal`` (k,): each class's own score summed over its examples; ``scored`` (k,
    top) int64: each actual class's ``top`` best-scored classes, best first (ties to the
    lower index), ``best`` (k, top) their sums and ``rest`` (k,) the other classes' sums;
    ``index`` (K,): the shown classes (``matrices.shown_classes`` of the confusion) and
    ``folded`` (K + 1, K + 1) the sums folded to them and "other" (``matrices.fold``).
    Sums of weights times scores when weighted.
    """

    diagonal: np.ndarray
    scored: np.ndarray
    best: np.ndarray
    rest: np.ndarray
    index: np.ndarray
    folded: np.ndarray

    @classmethod
    def from_dense(cls, sums: np.ndarray, confusion: "np.ndarray | SparseCounts", block: int = 256) -> "TopScoreSums":
        """From (k, k) score sums (rows actual), a block of actual classes at a time."""
        k = len(sums)
        top = min(TOP_SCORED, k)
        scored = np.empty((k, top), dtype=np.int64)
        best = np.empty((k, top))
        for start in range(0, k, block):
            scored[start:start + block], best[start:start + block] = top_scored(sums[start:start + block], top)
        index = shown_classes(confusion, MATRIX_LIMIT - 1)
        return cls(np.diag(sums).copy(), scored, best, sums.sum(axis=1) - best.sum(axis=1), index, fold(sums, index))

    @classmethod
    def from_examples(cls, ex: Examples, confusion: "np.ndarray | SparseCounts", cells: float = 4e6) -> "TopScoreSums":
        """From single-label examples' rows, grouped by actual class and gathered a block
        of about ``cells`` score cells at a time: no k × k matrix is made."""
        k = len(ex.classes)
        top = min(TOP_SCORED, k)
        w = ex.weight
        order = np.argsort(ex.y_true, kind="stable")
        labels = ex.y_true[order]
        starts = np.searchsorted(labels, np.arange(k + 1))  # rows of class c: order[starts[c]:starts[c + 1]]
        totals = ex.y_score.sum(axis=1) if w is None else ex.y_score.sum(axis=1) * w
        scored = np.tile(np.arange(top, dtype=np.int64), (k, 1))
        best = np.zeros((k, top))
        diagonal = np.zeros(k)
        limit = max(1, int(cells // k))  # rows gathered at once
        first = 0
        while first < k:
            last = max(first + 1, int(np.searchsorted(starts, starts[first] + limit, side="right")) - 1)
            last = min(last, k)
            block = np.zeros((last - first, k))
            for at in range(starts[first], starts[last], limit):  # a class of many rows: in parts
                rows = order[at:min(at + limit, starts[last])]
                part = ex.y_score[rows] if w is None else ex.y_score[rows] * w[rows, None]
                owner = labels[at:at + len(rows)] - first
                present, where = np.unique(owner, return_index=True)
                block[present] += np.add.reduceat(part, where, axis=0)
            scored[first:last], best[first:last] = top_scored(block, top)
            diagonal[first:last] = block[np.arange(last - first), np.arange(first, last)]
            first = last
        rest = np.bincount(ex.y_true, weights=totals, minlength=k) - best.sum(axis=1)
        index = shown_classes(confusion, MATRIX_LIMIT - 1)
        return cls(diagonal, scored, best, rest, index, _folded_sums(ex, index, totals))


def _folded_sums(ex: Examples, index: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """(K + 1, K + 1): single-label score sums folded to the classes of ``index`` and
    "other" (rows actual), from the rows; ``totals`` (rows,) each row's (weighted) score sum."""
    k, size = len(ex.classes), len(index)
    position = np.full(k, size)
    position[index] = np.arange(size)
    row = position[ex.y_true]
    out = np.empty((size + 1, size + 1))
    for j, c in enumerate(index):
        scores = ex.y_score[:, c] if ex.weight is None else ex.y_score[:, c] * ex.weight
        out[:, j] = np.bincount(row, weights=scores, minlength=size + 1)
    out[:, size] = np.bincount(row, weights=totals, minlength=size + 1) - out[:, :size].sum(axis=1)
    return out


def _suffix_sums(values: np.ndarray) -> np.ndarray:
    """(len + 1,): the sum of ``values[i:]`` for each i, and 0 at the end; added from the
    top as the curves add them, so every partial sum is at most the total."""
    return np.append(np.cumsum(values[::-1])[::-1], 0.0)


@dataclass(frozen=True, eq=False)
class Statistics:
    """Everything the metrics need, as sums over examples (see ``merge``).

    Counts (``confusion`` k × k, ``actual_counts`` (k,), ``top_k_hits``, ``exact_match``)
    are int64 row counts (the confusion sparse, ``matrices.SparseCounts``, in the final
    single-label statistics of many classes), or
    float64 sums of weights when weighted; ``score_sums`` (k × k) and the loss sums are
    weighted too. ``n_examples`` stays the row count;
    ``weight_total`` (weighted only) is the sum of weights and ``actual_rows`` ((k,)
    int64, weighted only) the unweighted rows per actual class.
    """

    task: str
    classes: tuple[str, ...]
    positive_class: str | None
    threshold: float
    class_thresholds: tuple[float, ...]  # the decision threshold of each class
    n_examples: int
    per_class: tuple[ScoreCounts, ...]
    top_class: ScoreCounts           # multiclass: each row's top score, positive when right (else empty)
    confusion: "np.ndarray | SparseCounts"  # rows actual, columns predicted (multilabel: co-occurrence)
    score_sums: "np.ndarray | TopScoreSums"  # rows actual class, columns the class scored (compact: final, many classes)
    actual_counts: np.ndarray        # examples per actual class
    log_loss_sum: float
    brier_sum: float
    top_k_hits: tuple[int, ...]      # aligned with TOP_K
    exact_match: int                 # multilabel: rows whose predicted set is the label set
    unnormalized_rows: int           # multiclass: rows whose scores do not sum to 1
    weight_total: float | None = None  # sum of weights, when weighted
    actual_rows: np.ndarray | None = None  # rows per actual class, when weighted
    fractional_weights: bool = False  # some weight is not a whole number (counts get decimals)

    @property
    def weighted(self) -> bool:
        return self.weight_total is not None

    @property
    def total(self) -> int | float:
        """What every ratio over examples divides by: rows, or the sum of their weights."""
        return self.weight_total if self.weighted else self.n_examples
    inputs: str = "scores"           # "scores", "labels" (hard predictions only) or "both"
    predicted_counts: np.ndarray | None = None  # (classes,) examples per decided class, with predictions

    @property
    def has_scores(self) -> bool:
        return self.inputs != "labels"

    @property
    def score_diagonal(self) -> np.ndarray:
        """(k,): each class's own score summed over its examples (weighted when weighted)."""
        sums = self.score_sums
        return sums.diagonal if isinstance(sums, TopScoreSums) else np.diag(sums)

    @functools.cached_property
    def confidence(self) -> ScoreCounts:
        """The calibration stream: binary, the positive class's scores; multiclass, the top
        score of each row (positive when it is the right class); multilabel, every cell."""
        if self.task == "binary":
            return self.per_class[1]
        if self.task == "multilabel":
            return ScoreCounts.combine(self.per_class)
        return self.top_class

    def merge(self, other: "Statistics") -> "Statistics":
        return Statistics.combine([self, other])

    @staticmethod
    def combine(parts: Sequence["Statistics"]) -> "Statistics":
        """The statistics of every part together (score counts pooled by one ``unique`` each)."""
        first = parts[0]
        mine = (first.task, first.classes, first.class_thresholds, first.inputs)
        if any((p.task, p.classes, p.class_thresholds, p.inputs) != mine for p in parts[1:]):
            raise ValueError("cannot merge statistics of different tasks, classes or thresholds")
        if len(parts) == 1:
            return first
        if any(isinstance(p.score_sums, TopScoreSums) or isinstance(p.confusion, SparseCounts) for p in parts):
            raise ValueError("final statistics of many classes (compact score sums, sparse confusion) do not merge")
        return replace(
            first,
            n_examples=sum(p.n_examples for p in parts),
            per_class=tuple(ScoreCounts.combine(counts) for counts in zip(*(p.per_class for p in parts))),
            top_class=ScoreCounts.combine([p.top_class for p in parts]),
            confusion=sum(p.confusion for p in parts),
            score_sums=sum(p.score_sums for p in parts),
            actual_counts=sum(p.actual_counts for p in parts),
            log_loss_sum=sum(p.log_loss_sum for p in parts),
            brier_sum=sum(p.brier_sum for p in parts),
            top_k_hits=tuple(sum(hits) for hits in zip(*(p.top_k_hits for p in parts))),
            exact_match=sum(p.exact_match for p in parts),
            unnormalized_rows=sum(p.unnormalized_rows for p in parts),
            weight_total=sum(p.weight_total for p in parts) if first.weighted else None,
            actual_rows=sum(p.actual_rows for p in parts) if first.weighted else None,
            fractional_weights=any(p.fractional_weights for p in parts),
            predicted_counts=None if first.predicted_counts is None else sum(p.predicted_counts for p in parts),
        )


def from_examples(
    examples: Examples,
    threshold: float,
    class_thresholds: Mapping[str, float] | None = None,
    *,
    score_counts: bool = True,
    grid: Sequence[float] | None = None,
) -> Statistics:
    """The in-memory producer: one sort per class, everything else vectorised.

    ``class_thresholds`` overrides the decision threshold of some classes. With
    ``score_counts=False`` the per-class score counts are left empty, for a caller that
    counts scores its own way (``reportgen.accumulate`` in binned mode). Given the
    threshold ``grid``, a report of more than ``POOL_CLASSES`` classes pools each class's
    negatives between its positives and the anchors (``ScoreCounts.pooled``: the same
    numbers, far fewer entries, no sort), except the ``EXACT_CLASSES`` classes with the
    most examples (their gains tables need every distinct score); such statistics are
    final, not for merging.
    """
    ex = examples
    k = len(ex.classes)
    cuts = decision_thresholds(ex.classes, threshold, class_thresholds)
    if not ex.has_scores:
        return _from_predictions(ex, threshold, cuts, sparse=grid is not None and k > POOL_CLASSES)
    actual = _actual_counts(ex)
    if grid is not None and k > POOL_CLASSES:
        anchors = np.union1d(np.union1d(np.asarray(grid, dtype=np.float64), calibration_edges()), cuts)
        exact = set(most_common(actual).tolist())  # their gains tables need every distinct score

        def count(j: int) -> ScoreCounts:
            if j in exact:
                return ScoreCounts.from_arrays(ex.truth(j), ex.y_score[:, j], ex.weight)
            return ScoreCounts.pooled(ex.truth(j), ex.y_score[:, j], anchors, ex.weight)
    else:
        count = lambda j: ScoreCounts.from_arrays(ex.truth(j), ex.y_score[:, j], ex.weight)  # noqa: E731
    with _executor(ex.n_examples * k, k) as pool:
        # the per-class counts run on the pool while this thread sums over the rows
        sorted_counts = pool.map(count, range(k) if score_counts else ())
        predicted = predicted_classes(ex, np.asarray(cuts))
        final = grid is not None and k > POOL_CLASSES
        confusion = _confusion(ex, predicted, sparse=final)
        if final and ex.y_multi is None:
            sums = TopScoreSums.from_examples(ex, confusion)
            diagonal = sums.diagonal
        else:
            sums = _score_sums(ex)
            diagonal = np.diag(sums)
        rows = dict(
            confusion=confusion,
            score_sums=sums,
            actual_counts=actual,
            log_loss_sum=_log_loss_sum(ex),
            brier_sum=_brier_sum(ex, diagonal),
            top_k_hits=_top_k_hits(ex),
            exact_match=_exact_match(ex, predicted),
            unnormalized_rows=_unnormalized_rows(ex),
        )
        per_class = tuple(sorted_counts) if score_counts else tuple(ScoreCounts.empty() for _ in range(k))
    return Statistics(
        task=ex.task,
        classes=ex.classes,
        positive_class=ex.positive_class,
        threshold=float(threshold),
        class_thresholds=cuts,
        n_examples=ex.n_examples,
        per_class=per_class,
        top_class=_top_class(ex, predicted) if score_counts else ScoreCounts.empty(),
        **_weights(ex),
        **rows,
        **_decided(ex, predicted),
    )


class _InThisThread:
    """An executor's ``map`` run in this thread, for examples too few to be worth threads."""

    def __enter__(self) -> "_InThisThread":
        return self

    def __exit__(self, *exc) -> None:
        return None

    @staticmethod
    def map(fn, items):
        return list(map(fn, items))


def _executor(cells: int, tasks: int):
    """A thread pool for the per-class work on ``cells`` score cells, or this thread below
    PARALLEL_CELLS (starting threads costs more than the sorts of a small part, such as a
    slice's rows in one chunk)."""
    if cells < PARALLEL_CELLS:
        return _InThisThread()
    return ThreadPoolExecutor(max_workers=min(tasks, os.cpu_count() or 1))


def _weights(ex: Examples) -> dict:
    """What the statistics record of example weights (nothing when unweighted)."""
    if ex.weight is None:
        return {}
    return {"weight_total": float(ex.weight.sum()), "actual_rows": _actual_counts(replace(ex, weight=None)),
            "fractional_weights": not np.array_equal(ex.weight, np.floor(ex.weight))}


def _from_predictions(ex: Examples, threshold: float, cuts: tuple[float, ...], sparse: bool = False) -> Statistics:
    """A label-only model: confusion and decision counts from the predicted codes (the
    confusion sparse with ``sparse``, as ``_confusion``); the per-class score counts are
    empty and every score sum is zero."""
    k = len(ex.classes)
    predicted = predicted_classes(ex, np.asarray(cuts))
    return Statistics(
        task=ex.task, classes=ex.classes, positive_class=ex.positive_class, threshold=float(threshold),
        class_thresholds=cuts, n_examples=ex.n_examples,
        per_class=tuple(ScoreCounts.empty() for _ in range(k)), top_class=ScoreCounts.empty(),
        confusion=_confusion(ex, predicted, sparse), score_sums=np.zeros((k, k)), actual_counts=_actual_counts(ex),
        log_loss_sum=0.0, brier_sum=0.0, top_k_hits=tuple(0 for _ in TOP_K),
        exact_match=_exact_match(ex, predicted), unnormalized_rows=0, **_weights(ex), **_decided(ex, predicted),
    )


def _decided(ex: Examples, predicted: np.ndarray) -> dict:
    """What the statistics record of hard-label predictions: the inputs' kind and, when
    the model gave predictions, how many examples each class was decided for."""
    if not ex.has_predictions:
        return {}
    if ex.weight is not None:  # the weight decided for each class
        if ex.y_multi is None:
            counts = np.bincount(predicted, weights=ex.weight, minlength=len(ex.classes))
        else:
            counts = (ex.weight @ predicted).astype(np.float64)
        return {"inputs": ex.kind, "predicted_counts": counts}
    if ex.y_multi is None:
        counts = np.bincount(predicted, minlength=len(ex.classes))
    else:
        counts = np.count_nonzero(predicted, axis=0)
    return {"inputs": ex.kind, "predicted_counts": counts.astype(np.int64)}


def most_common(actual_counts: np.ndarray, limit: int = EXACT_CLASSES) -> np.ndarray:
    """Ascending indices of the ``limit`` classes with the most examples (``actual_counts``:
    (classes,); ties go to the earlier class): the classes whose gains and net benefit a
    report of many classes keeps."""
    return np.sort(np.argsort(-np.asarray(actual_counts), kind="stable")[:limit])


def calibration_edges() -> np.ndarray:
    """The equal-width reliability bins' edges, (CALIBRATION_BINS + 1,) from 0 to 1."""
    return np.linspace(0.0, 1.0, CALIBRATION_BINS + 1)


def decision_thresholds(
    classes: tuple[str, ...], threshold: float, class_thresholds: Mapping[str, float] | None
) -> tuple[float, ...]:
    """The decision threshold of each class: its own when given, else ``threshold``."""
    return tuple(float((class_thresholds or {}).get(name, threshold)) for name in classes)


def predicted_classes(ex: Examples, threshold: float | np.ndarray) -> np.ndarray:
    """Decision rule: the model's own hard-label predictions when given; else argmax for
    multiclass (first wins), score > threshold otherwise.

    ``threshold`` is one number or one per class (the binary task uses the positive
    class's).
    """
    if ex.y_pred is not None:
        return ex.y_pred
    if ex.y_pred_multi is not None:
        return ex.y_pred_multi
    cut = np.asarray(threshold, dtype=np.float64)
    if ex.task == "multiclass":
        return ex.argmax
    if ex.task == "binary":
        return (ex.y_score[:, 1] > (cut if cut.ndim == 0 else cut[1])).astype(np.int64)
    return ex.y_score > cut


def correct(ex: Examples, thresholds: np.ndarray) -> np.ndarray:
    """(rows,) bool: whether each example is right: the class (single-label) or the whole
    label set, decided at ``thresholds`` (``predicted_classes``)."""
    predicted = predicted_classes(ex, thresholds)
    if ex.y_multi is None:
        return predicted == ex.y_true
    return np.all(predicted == ex.y_multi, axis=1)


def top_scores(ex: Examples, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Multiclass: (whether the predicted class is right, its score) of each row."""
    return predicted == ex.y_true, pick(ex.y_score, predicted)


def _top_class(ex: Examples, predicted: np.ndarray) -> ScoreCounts:
    if ex.task != "multiclass":
        return ScoreCounts.empty()
    # calibration reads the scores: their own top class, even when predictions decide
    return ScoreCounts.from_arrays(*top_scores(ex, ex.argmax if ex.has_predictions else predicted), ex.weight)


def _confusion(ex: Examples, predicted: np.ndarray, sparse: bool = False) -> "np.ndarray | SparseCounts":
    """k × k counts, rows actual (int64, or float64 sums of weights); ``sparse``: single-label
    ones as ``SparseCounts`` (final statistics of many classes, never merged: at most one
    cell per row, never k × k)."""
    k = len(ex.classes)
    if sparse and ex.y_multi is None:
        return SparseCounts.of(k, ex.y_true * k + predicted, ex.weight)
    if ex.weight is not None:
        return _weighted_confusion(ex, predicted)
    if ex.y_multi is None:
        return np.bincount(ex.y_true * k + predicted, minlength=k * k).reshape(k, k).astype(np.int64, copy=False)
    return np.stack([np.count_nonzero(predicted[ex.y_multi[:, i]], axis=0) for i in range(k)]).astype(np.int64)


def _score_sums(ex: Examples) -> np.ndarray:
    if ex.weight is not None:
        return _weighted_score_sums(ex)
    k = len(ex.classes)
    if ex.y_multi is None:
        sums = np.empty((k, k))
        for j in range(k):  # one grouped sum per scored class, written in place (no k x k copies)
            sums[:, j] = np.bincount(ex.y_true, weights=ex.y_score[:, j], minlength=k)
        return sums
    return np.stack([ex.y_score[ex.y_multi[:, i]].sum(axis=0) for i in range(k)])


def _actual_counts(ex: Examples) -> np.ndarray:
    if ex.weight is not None:
        return _weighted_actual_counts(ex)
    if ex.y_multi is None:
        return np.bincount(ex.y_true, minlength=len(ex.classes)).astype(np.int64)
    return ex.y_multi.sum(axis=0).astype(np.int64)


def _log_loss_sum(ex: Examples) -> float:
    if ex.weight is not None:
        return float(np.dot(row_log_loss(ex), ex.weight))
    return float(row_log_loss(ex).sum())


def row_log_loss(ex: Examples) -> np.ndarray:
    """(rows,) cross-entropy of each row (``rows.log_loss_rows``), computed once per examples."""
    return ex.row_loss


def _brier_sum(ex: Examples, diagonal: np.ndarray) -> float:
    """Binary: sum (p - y)^2; multiclass and multilabel: sum over every cell.

    Each cell is s^2 - 2 s y + y (y is 0 or 1); the s y terms add up to the diagonal of
    the score sums (``diagonal``, (k,)), so this is one dot product per class.
    """
    if ex.weight is not None:
        return _weighted_brier_sum(ex, diagonal)
    if ex.task == "binary":
        p = ex.y_score[:, 1]
        return float(_square_sum(p) - 2.0 * diagonal[1] + np.count_nonzero(ex.y_true == 1))
    squares = sum(_square_sum(ex.y_score[:, j]) for j in range(len(ex.classes)))
    positives = ex.n_examples if ex.y_multi is None else int(np.count_nonzero(ex.y_multi))
    return float(squares - 2.0 * diagonal.sum() + positives)


def _square_sum(values: np.ndarray) -> float:
    """Sum of squares in one pass, without BLAS (whose threads would spin beside the sorts)."""
    return float(np.einsum("i,i->", values, values))


def _top_k_hits(ex: Examples) -> tuple[int, ...]:
    """Rows whose true class ranks within k; ties broken as scikit-learn (higher index first):
    each row's ``Examples.true_rank``."""
    k = len(ex.classes)
    if ex.task != "multiclass" or k <= min(TOP_K):
        return tuple(0 for _ in TOP_K)
    above = ex.true_rank
    if ex.weight is not None:
        return tuple(_weight_of(above < top, ex.weight) for top in TOP_K)
    return tuple(int(np.count_nonzero(above < top)) for top in TOP_K)


def _exact_match(ex: Examples, predicted: np.ndarray) -> int:
    if ex.y_multi is None:
        return 0
    if ex.weight is not None:
        return _weight_of(np.all(predicted == ex.y_multi, axis=1), ex.weight)
    return int(np.count_nonzero(np.all(predicted == ex.y_multi, axis=1)))


def _unnormalized_rows(ex: Examples) -> int:
    if ex.task != "multiclass":
        return 0
    return int(np.count_nonzero(np.abs(ex.y_score.sum(axis=1) - 1.0) > SUM_TOLERANCE))


# ---------------------------------------------------------------- weighted examples: sums of weights


def _weight_of(mask: np.ndarray, weight: np.ndarray) -> float:
    """The weight of the rows in ``mask`` ((rows,) bool)."""
    return float(np.sum(weight, where=mask))


def _weighted_confusion(ex: Examples, predicted: np.ndarray) -> np.ndarray:
    """k × k float64: sums of weights (multilabel: rows with label i and j predicted)."""
    k = len(ex.classes)
    if ex.y_multi is None:
        return np.bincount(ex.y_true * k + predicted, weights=ex.weight, minlength=k * k).reshape(k, k)
    return np.stack([ex.weight[ex.y_multi[:, i]] @ predicted[ex.y_multi[:, i]] for i in range(k)]).astype(np.float64)


def _weighted_score_sums(ex: Examples) -> np.ndarray:
    k = len(ex.classes)
    if ex.y_multi is None:
        columns = [np.bincount(ex.y_true, weights=ex.y_score[:, j] * ex.weight, minlength=k) for j in range(k)]
        return np.stack(columns, axis=1)
    return np.stack([ex.weight[ex.y_multi[:, i]] @ ex.y_score[ex.y_multi[:, i]] for i in range(k)])


def _weighted_actual_counts(ex: Examples) -> np.ndarray:
    if ex.y_multi is None:
        return np.bincount(ex.y_true, weights=ex.weight, minlength=len(ex.classes))
    return ex.weight @ ex.y_multi.astype(np.float64)


def _weighted_brier_sum(ex: Examples, diagonal: np.ndarray) -> float:
    """As ``_brier_sum``, each row's cells counted with its weight."""
    w = ex.weight
    if ex.task == "binary":
        p = ex.y_score[:, 1]
        return float(np.einsum("i,i,i->", w, p, p) - 2.0 * diagonal[1] + _weight_of(ex.y_true == 1, w))
    squares = sum(float(np.einsum("i,i,i->", w, ex.y_score[:, j], ex.y_score[:, j])) for j in range(len(ex.classes)))
    positives = float(w.sum()) if ex.y_multi is None else float(w @ ex.y_multi.sum(axis=1))
    return float(squares - 2.0 * diagonal.sum() + positives)
