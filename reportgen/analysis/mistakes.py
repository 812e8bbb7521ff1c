"""Mistakes worth reading: top confusions, confident mistakes and likely label errors.

Example lists look at the examples themselves, so these take ``Examples``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from reportgen.inputs import Inputs
from reportgen.matrices import confusion_cells
from reportgen.stats import predicted_classes
from reportgen.validate import Examples

TOP_CONFUSIONS = 20


def top_confusions(report: dict[str, Any], limit: int = TOP_CONFUSIONS) -> list[dict[str, Any]]:
    """Off-diagonal confusion cells, most examples first (single-label tasks)."""
    if report["task"] == "multilabel":
        return []
    classes = report["classes"]
    actual, predicted, count = confusion_cells(report["confusion_matrix"])
    totals = np.bincount(actual, weights=count, minlength=len(classes))
    off = np.flatnonzero(actual != predicted)
    order = off[np.lexsort((-count[off] / totals[actual[off]], -count[off]))][:limit]
    cells = [
        {"actual": classes[i], "predicted": classes[j], "count": int(n), "share_of_actual": float(n / totals[i])}
        for i, j, n in zip(actual[order].tolist(), predicted[order].tolist(), count[order].tolist())
    ]
    return cells


def confident_mistakes(
    ex: Examples, thresholds: np.ndarray, limit: int, inputs: Inputs | None = None
) -> list[dict[str, Any]]:
    """Wrong single-label predictions, most confident in the wrong class first."""
    if ex.y_multi is not None:
        return []
    predicted = predicted_classes(ex, thresholds)
    wrong = np.flatnonzero(predicted != ex.y_true)
    score = ex.y_score[wrong, predicted[wrong]]
    order = wrong[np.argsort(-score, kind="stable")][:limit]
    return [
        {
            "id": ex.ids[int(r)].as_py(),
            "actual": ex.classes[ex.y_true[r]],
            "predicted": ex.classes[predicted[r]],
            "score": float(ex.y_score[r, predicted[r]]),
            **_inputs(ex, inputs, r),
        }
        for r in order
    ]


def label_issues(ex: Examples, limit: int, inputs: Inputs | None = None) -> list[dict[str, Any]]:
    """Likely label errors, as in confident learning.

    Each class's threshold is the mean score the model gives it on the examples labeled
    with it. An example is suspect when another class reaches its own threshold (the
    likeliest such class is suggested); suspects are ranked by how far the given label's
    score falls below that label's threshold. Only meaningful for out-of-sample scores.
    """
    if ex.y_multi is not None:
        return []
    k = len(ex.classes)
    rows = np.arange(ex.n_examples)
    counts = np.bincount(ex.y_true, minlength=k)
    own = ex.y_score[rows, ex.y_true]
    own_sums = np.bincount(ex.y_true, weights=own, minlength=k)
    threshold = np.where(counts > 0, own_sums / np.maximum(counts, 1), np.inf)
    best = np.full(ex.n_examples, -1.0)  # score of the likeliest other class at its threshold
    suggested = np.zeros(ex.n_examples, dtype=np.int64)
    for j in range(k):  # one pass per class over a column: no rows × classes temporaries
        score = ex.y_score[:, j]
        better = (score >= threshold[j]) & (ex.y_true != j) & (score > best)
        suggested[better] = j
        best[better] = score[better]
    suspect = np.flatnonzero(best >= 0)
    margin = own[suspect] / threshold[ex.y_true[suspect]]
    order = suspect[np.argsort(margin, kind="stable")][:limit]
    return [
        {
            "id": ex.ids[int(r)].as_py(),
            "given": ex.classes[ex.y_true[r]],
            "suggested": ex.classes[suggested[r]],
            "self_confidence": float(own[r]),
            "suggested_score": float(ex.y_score[r, suggested[r]]),
            **_inputs(ex, inputs, r),
        }
        for r in order
    ]


def _inputs(ex: Examples, inputs: Inputs | None, row: int) -> dict[str, Any]:
    if inputs is None:
        return {}
    return inputs.get(ex.ids[int(row)].as_py())
