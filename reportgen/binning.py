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
        self.anchors = np.unique(np.asarray(anchors, dtype=np.float64))
        self.dtype = np.float64 if weighted else np.int64  # sums of weights, or row counts
        self.hist = np.zeros(2 * N_BINS, dtype=self.dtype)  # index: bin * 2 + is_positive
        anchor_bins = bins_of(self.anchors).astype(np.int64)
        self.anchor_bins = anchor_bins
        self.split = np.zeros(N_BINS, dtype=bool)
        self.split[anchor_bins] = True
        self.first_anchor = np.zeros(N_BINS, dtype=np.int64)
        # the first anchor of each bin that holds one (anchors are ascending, so are their bins)
        starts = np.flatnonzero(np.diff(anchor_bins, prepend=-1))
        self.first_anchor[anchor_bins[starts]] = starts
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
        rows = np.flatnonzero(self.split[bins])
        if len(rows):
            truth = y_true[rows]
            pos, neg = (truth, ~truth) if weight is None else (np.where(truth, weight[rows], 0.0),
                                                                np.where(truth, 0.0, weight[rows]))
            self._add_within(y_score[rows].astype(np.float64), bins[rows], pos, neg)

    def _add_within(self, values: np.ndarray, bins: np.ndarray, pos: np.ndarray, neg: np.ndarray) -> None:
        """Rows sharing a bin with an anchor: each is above the anchors of its bin below it.
        ``pos`` and ``neg`` say how many positives and negatives each row stands for."""
        start = self.first_anchor[bins]
        stop = np.searchsorted(self.anchors, values, side="left")  # anchors strictly below
        size = len(self.within_pos)
        for weights, target in ((pos, self.within_pos), (neg, self.within_neg)):
            target += np.bincount(start, weights=weights, minlength=size).astype(self.dtype)
            target -= np.bincount(stop, weights=weights, minlength=size).astype(self.dtype)

    def add_counts(self, scores: np.ndarray, pos: np.ndarray, neg: np.ndarray) -> None:
        """Fold exact counts (distinct scores with their positives and negatives) in."""
        bins = bins_of(scores).astype(np.intp)
        self.hist[1::2] += np.bincount(bins, weights=pos, minlength=N_BINS).astype(self.dtype)
        self.hist[0::2] += np.bincount(bins, weights=neg, minlength=N_BINS).astype(self.dtype)
        rows = np.flatnonzero(self.split[bins])
        if len(rows):
            self._add_within(scores[rows], bins[rows], pos[rows], neg[rows])

    def totals(self) -> tuple[np.ndarray, ...]:
        """(scores, pos, neg, anchors, pos_above, neg_above): one representative score per
        bin in use with its positives and negatives (each (bins,)), and the exact counts
        above each anchor (each (anchors,)); ``ScoreCounts.from_counter`` wraps them."""
        neg_all, pos_all = self.hist[0::2], self.hist[1::2]
        used = np.flatnonzero(neg_all + pos_all)
        pos_above = _above_bins(pos_all, self.anchor_bins) + np.cumsum(self.within_pos)[:-1]
        neg_above = _above_bins(neg_all, self.anchor_bins) + np.cumsum(self.within_neg)[:-1]
        return representatives(used), pos_all[used].copy(), neg_all[used].copy(), self.anchors, pos_above, neg_above


def _above_bins(per_bin: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """Totals in the bins strictly above each of ``bins``."""
    after = np.cumsum(per_bin[::-1])[::-1]  # after[b] = total in bins >= b
    after = np.append(after, 0)
    return after[bins + 1]
