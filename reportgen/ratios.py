"""Counts to ratios, once for every score: 0/0 is 0 (scikit-learn's ``zero_division=0``).

As scikit-learn's ``_prf_divide`` serves every precision, recall and F1 it reports, these
serve the metrics, the bootstrap replicates and the threshold advice alike.
"""
from __future__ import annotations

import numpy as np


def divide(numerator, denominator) -> np.ndarray:
    """``numerator / denominator`` elementwise (any matching shapes), 0 where the
    denominator is 0."""
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den != 0)


def precision_recall_f1(tp, fp, fn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision tp/(tp+fp), recall tp/(tp+fn) and F1 2tp/(2tp+fp+fn), each of the
    counts' (broadcast) shape."""
    tp, fp, fn = (np.asarray(v, dtype=np.float64) for v in (tp, fp, fn))
    return divide(tp, tp + fp), divide(tp, tp + fn), divide(2 * tp, 2 * tp + fp + fn)
