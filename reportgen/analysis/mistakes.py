"""Mistakes worth reading: top confusions, confident mistakes and likely label errors.

Example lists look at the examples themselves, so these take ``Examples``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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
    """Wrong single-label predictions, most confident in the wrong class first (without
    scores: the most common confusion first, then in id order; ``score`` is null)."""
    if ex.y_multi is not None:
        return []
    predicted = predicted_classes(ex, thresholds)
    wrong = np.flatnonzero(predicted != ex.y_true)
    if not ex.has_scores:
        order = mistakes_by_confusion(ex, predicted, wrong, limit)
    else:
        score = ex.y_score[wrong, predicted[wrong]]
        order = wrong[np.argsort(-score, kind="stable")][:limit]
    return [
        {
            "id": ex.ids[int(r)].as_py(),
            "actual": ex.classes[ex.y_true[r]],
            "predicted": ex.classes[predicted[r]],
            "score": float(ex.y_score[r, predicted[r]]) if ex.has_scores else None,
            **_inputs(ex, inputs, r),
        }
        for r in order
    ]


def mistakes_by_confusion(ex: Examples, predicted: np.ndarray, wrong: np.ndarray, limit: int) -> np.ndarray:
    """The first ``limit`` of the rows ``wrong`` (single-label mistakes) ordered by how
    common their confusion (actual, predicted) is, most common first, then by id. Only
    the ids of the few confusions listed are sorted."""
    k = len(ex.classes)
    cell = ex.y_true[wrong] * k + predicted[wrong]
    sizes = np.bincount(cell, minlength=k * k)
    ranked = np.lexsort((np.arange(k * k), -sizes))  # cells, most common first (ties: cell order)
    shown = min(int(np.searchsorted(np.cumsum(sizes[ranked]), limit)) + 1,  # the cells that fill the list
                int(np.count_nonzero(sizes)))
    place = np.full(k * k, k * k, dtype=np.int64)
    place[ranked[:shown]] = np.arange(shown)
    listed = np.flatnonzero(place[cell] < shown)
    listed = listed[np.argsort(place[cell[listed]], kind="stable")]
    groups = np.split(listed, np.flatnonzero(np.diff(place[cell[listed]])) + 1)
    out: list[np.ndarray] = []
    for group in groups:  # at most ``limit`` confusions
        rows = wrong[group]
        out.append(rows[pc.sort_indices(ex.ids.take(pa.array(rows))).to_numpy(zero_copy_only=False)])
    return np.concatenate(out)[:limit] if out else wrong[:0]


def label_issues(ex: Examples, limit: int, inputs: Inputs | None = None) -> list[dict[str, Any]]:
    """Likely label errors, as in confident learning.

    Each class's threshold is the mean score the model gives it on the examples labeled
    with it. An example is suspect when another class reaches its own threshold (the
    likeliest such class is suggested); suspects are ranked by how far the given label's
    score falls below that label's threshold. Only meaningful for out-of-sample scores.
    """
    if ex.y_multi is not None or not ex.has_scores:
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
