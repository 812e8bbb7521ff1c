"""Binned score counts for data with too many distinct scores to keep them all.

A score's bin is the top bits of its float32 form: the exponent and ``MANTISSA_BITS``
bits of mantissa. Bins are therefore about 2**-12 wide *relative to the score*, so they
keep their resolution near 0, where softmax outputs crowd (equal-width bins do not: raise
every score to the 8th power and 200 of them lose most of the ranking).

Two things stay exact although scores are binned:

* counts above a fixed set of thresholds (the threshold grid and the decision
  thresholds): every row of the one bin that holds a threshold is compared with it;
* the ranking error is bounded: ties inside a bin count as half a correctly ordered
  pair, so each AUC is within ``pos_b * neg_b / 2`` summed over bins, over ``P * N``,
  of the exact value (``ScoreCounts.auc_error_bound``).

Counts are kept per bin in a dense array, so chunks add with ``+`` and the final
``ScoreCounts`` are built once.
"""
from __future__ import annotations

import functools

import numpy as np

MANTISSA_BITS = 12
SHIFT = 23 - MANTISSA_BITS
ONE_BITS = int(np.float32(1.0).view(np.int32))
N_BINS = (ONE_BITS >> SHIFT) + 1  # bins of every float32 in [0, 1]
SIGN_FREE = 0x7FFFFFFF >> SHIFT


def bins_of(y_score: np.ndarray) -> np.ndarray:
    """The bin of each score in [0, 1] (float32 rounding is monotone, so bins are intervals)."""
    single = y_score if y_score.dtype == np.float32 else y_score.astype(np.float32)
    bins = np.right_shift(single.view(np.int32), SHIFT)
    bins &= SIGN_FREE  # -0.0 counts as 0.0 (negative scores never get here)
    return bins


def representatives(bins: np.ndarray) -> np.ndarray:
    """A score standing for each bin: the middle of its float32 interval (1.0 for the top bin)."""
    bins = np.asarray(bins, dtype=np.int64)
    low = np.left_shift(bins, SHIFT).astype(np.int32).view(np.float32).astype(np.float64)
    high = np.left_shift(bins + 1, SHIFT).astype(np.int32).view(np.float32).astype(np.float64)
    return np.where(bins >= N_BINS - 1, 1.0, (low + high) / 2)


class BinCounter:
    """Positives and negatives per bin for one class, plus exact counts above ``anchors``.

    ``add`` takes one chunk; ``counts`` returns the totals as arrays ready for
    ``ScoreCounts``. Mutable on purpose: it lives only while chunks stream in.
    """

    def __init__(self, anchors: np.ndarray, weighted: bool = False) -> None:
        self.anchors, self.anchor_bins, self.split, self.first_anchor = _layout(anchors)
        self.dtype = np.float64 if weighted else np.int64  # sums of weights, or row counts
        self.hist = np.zeros(2 * N_BINS, dtype=self.dtype)  # index: bin * 2 + is_positive
        size = len(self.anchors) + 1
        self.within_pos = np.zeros(size, dtype=self.dtype)  # difference arrays over anchors
        self.within_neg = np.zeros(size, dtype=self.dtype)

    def add(self, y_true: np.ndarray, y_score: np.ndarray, weight: np.ndarray | None = None) -> None:
        """Count one chunk: ``y_true`` bool, ``y_score`` in [0, 1] (float32 or float64),
        ``weight`` (float64, only for a weighted counter); all (rows,)."""
        bins = bins_of(y_score)
        key = np.left_shift(bins, 1)  # int32 until bincount: half the memory traffic
        key |= y_true
        self.hist += np.bincount(key, weights=weight, minlength=2 * N_BINS).astype(self.dtype, copy=False)
        within = _rows_within(self.anchors, self.split, self.first_anchor, y_true, y_score, bins, weight)
        if within is not None:
            self._add_within(*within)

    def _add_within(self, pos: np.ndarray, neg: np.ndarray) -> None:
        """Add difference arrays over the anchors (``_within``) of rows sharing a bin with one."""
        self.within_pos += pos.astype(self.dtype, copy=False)
        self.within_neg += neg.astype(self.dtype, copy=False)

    def add_counts(self, scores: np.ndarray, pos: np.ndarray, neg: np.ndarray) -> None:
        """Fold exact counts (distinct scores with their positives and negatives) in."""
        bins = bins_of(scores).astype(np.intp)
        self.hist[1::2] += np.bincount(bins, weights=pos, minlength=N_BINS).astype(self.dtype)
        self.hist[0::2] += np.bincount(bins, weights=neg, minlength=N_BINS).astype(self.dtype)
        rows = np.flatnonzero(self.split[bins])
        if len(rows):
            self._add_within(*_within(self.anchors, self.first_anchor, scores[rows], bins[rows], pos[rows], neg[rows]))

    def totals(self) -> tuple[np.ndarray, ...]:
        """(scores, pos, neg, anchors, pos_above, neg_above): one representative score per
        bin in use with its positives and negatives (each (bins,)), and the exact counts
        above each anchor (each (anchors,)); ``ScoreCounts.from_counter`` wraps them."""
        neg_all, pos_all = self.hist[0::2], self.hist[1::2]
        used = np.flatnonzero(neg_all + pos_all)
        return _totals(self.anchors, self.anchor_bins, used, pos_all[used].copy(), neg_all[used].copy(),
                       (self.within_pos, self.within_neg))


def _totals(anchors: np.ndarray, anchor_bins: np.ndarray, used: np.ndarray, pos: np.ndarray, neg: np.ndarray,
            within: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, ...]:
    """``BinCounter.totals()`` from the bins in use ``used`` (ascending, each (bins,) with
    its ``pos`` and ``neg``) and the difference arrays ``within`` ((anchors + 1,) each) of
    the rows sharing a bin with an anchor: above each anchor, the counts of the bins above
    its bin and of its own bin's rows above it."""
    after = [np.append(np.cumsum(c[::-1])[::-1], 0) for c in (pos, neg)]  # in the used bins from each on
    past = np.searchsorted(used, anchor_bins, side="right")  # the first used bin above each anchor's
    pos_above, neg_above = (a[past] + np.cumsum(w)[:-1].astype(a.dtype, copy=False) for a, w in zip(after, within))
    return representatives(used), pos, neg, anchors, pos_above, neg_above


def _layout_of(anchors: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    values = np.frombuffer(anchors, dtype=np.float64)
    anchor_bins = bins_of(values).astype(np.int64)
    split = np.zeros(N_BINS, dtype=bool)  # the bins that hold an anchor
    split[anchor_bins] = True
    first_anchor = np.zeros(N_BINS, dtype=np.int64)
    # the first anchor of each bin that holds one (anchors are ascending, so are their bins)
    starts = np.flatnonzero(np.diff(anchor_bins, prepend=-1))
    first_anchor[anchor_bins[starts]] = starts
    for array in (values, anchor_bins, split, first_anchor):
        array.flags.writeable = False
    return values, anchor_bins, split, first_anchor


def _layout(anchors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(anchors ascending and distinct, each one's bin, (N_BINS,) whether a bin holds an
    anchor, (N_BINS,) the first anchor of each bin that holds one), made once per set of
    anchors (every class and slice of a report shares one)."""
    return _layout_of(np.unique(np.asarray(anchors, dtype=np.float64)).tobytes())


def _within(anchors: np.ndarray, first_anchor: np.ndarray, values: np.ndarray, bins: np.ndarray,
            pos: np.ndarray, neg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Difference arrays ((anchors + 1,) each, positives and negatives) of the rows
    ``values`` in bins ``bins`` that hold an anchor: each row is above the anchors of its
    bin that lie strictly below it."""
    start = first_anchor[bins]
    stop = np.searchsorted(anchors, values, side="left")  # anchors strictly below
    size = len(anchors) + 1
    return tuple(np.bincount(start, weights=w, minlength=size) - np.bincount(stop, weights=w, minlength=size)
                 for w in (pos, neg))


def _rows_within(anchors: np.ndarray, split: np.ndarray, first_anchor: np.ndarray, y_true: np.ndarray,
                 y_score: np.ndarray, bins: np.ndarray, weight: np.ndarray | None
                 ) -> tuple[np.ndarray, np.ndarray] | None:
    """``_within`` of the rows (y_true, y_score, their ``bins``, weight: (rows,)) that share
    a bin with an anchor (``split``), counted once or by their weight; None when none does."""
    rows = np.flatnonzero(split[bins])
    if not len(rows):
        return None
    truth = y_true[rows]
    pos, neg = (truth, ~truth) if weight is None else (np.where(truth, weight[rows], 0.0),
                                                        np.where(truth, 0.0, weight[rows]))
    return _within(anchors, first_anchor, y_score[rows].astype(np.float64), bins[rows], pos, neg)


def chunk_totals(anchors: np.ndarray, y_true: np.ndarray, y_score: np.ndarray,
                 weight: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """What ``BinCounter(anchors, weighted=weight is not None)`` given this one chunk
    gives as ``totals()``, without its dense arrays: the cost follows the rows and the
    span of their bins, so that many small groups of rows (slices) are cheap. ``y_true``
    bool, ``y_score`` in [0, 1], ``weight`` float64 or None, all (rows,)."""
    anchors, anchor_bins, split, first_anchor = _layout(anchors)
    dtype = np.int64 if weight is None else np.float64
    bins = bins_of(y_score)
    nothing = (np.zeros(len(anchors) + 1), np.zeros(len(anchors) + 1))
    if len(bins) == 0:
        return _totals(anchors, anchor_bins, np.empty(0, dtype=np.int64), np.empty(0, dtype=dtype),
                       np.empty(0, dtype=dtype), nothing)
    low = int(bins.min())
    key = np.left_shift(bins - low, 1)
    key |= y_true
    span = int(bins.max()) - low + 1
    hist = np.bincount(key, weights=weight, minlength=2 * span)  # as long as the bins in use span
    neg_all, pos_all = hist[0::2], hist[1::2]
    used = np.flatnonzero(neg_all + pos_all)
    within = _rows_within(anchors, split, first_anchor, y_true, y_score, bins, weight)
    return _totals(anchors, anchor_bins, used + low, pos_all[used].astype(dtype), neg_all[used].astype(dtype),
                   nothing if within is None else within)


TABLE_EDGES = 16      # fewer edges: searching each score is as fast as the table
TABLE_ROWS = 1 << 16  # fewer scores in one call: searched (the table is made by the first larger call)
TABLE_SPAN = 1 << 18  # the most float32 bins a table spans (512 KB): wider, every score is searched


class EdgeLookup:
    """``np.searchsorted(edges, y_score, side="left")`` (the edges below each score) for
    many chunks of scores against the same ascending ``edges``, through each score's
    float32 bin (monotone in the score): a bin that holds no edge has one answer for all
    its scores, read from a table; only the rows of the few bins that hold an edge are
    searched. The table spans the bins from the first edge's to the last's; each entry is
    the edges in bins below it, times two, plus one when its bin holds an edge. It is made
    once, by the first call of at least ``TABLE_ROWS`` scores, and only for at least
    ``TABLE_EDGES`` edges spanning at most ``TABLE_SPAN`` bins (many classes of few edges
    each must not hold a table each); otherwise every score is searched."""

    def __init__(self, edges: np.ndarray) -> None:
        self.edges = np.asarray(edges, dtype=np.float64)
        self.low = 0
        self.table: np.ndarray | None = None
        self.tabled = len(self.edges) >= TABLE_EDGES  # worth a table, until found too wide

    def _make(self) -> None:
        edge_bins = bins_of(self.edges).astype(np.int64)
        self.low = int(edge_bins[0]) - 1  # slot 0: every bin below the first edge's (and -0.0)
        span = int(edge_bins[-1]) - self.low + 2  # the last slot: every bin above the last edge's
        if span > TABLE_SPAN:
            self.tabled = False
            return
        per_bin = np.bincount(edge_bins - self.low, minlength=span)
        dtype = np.uint16 if len(self.edges) < 1 << 15 else np.int64
        self.table = ((np.cumsum(per_bin) - per_bin) * 2 + (per_bin > 0)).astype(dtype)

    def __call__(self, y_score: np.ndarray) -> np.ndarray:
        """(rows,) the edges strictly below each of ``y_score`` ((rows,) in [0, 1])."""
        if self.tabled and self.table is None and len(y_score) >= TABLE_ROWS:
            self._make()
        if self.table is None:
            return np.searchsorted(self.edges, y_score, side="left")
        single = y_score if y_score.dtype == np.float32 else y_score.astype(np.float32)
        slot = np.right_shift(single.view(np.int32), SHIFT)  # -0.0 lands below every slot: no edge is below it
        slot -= np.int32(self.low)
        packed = np.take(self.table, slot, mode="clip")
        split = np.flatnonzero(packed & 1)
        which = packed >> 1
        if len(split):
            which[split] = np.searchsorted(self.edges, y_score[split], side="left")
        return which
