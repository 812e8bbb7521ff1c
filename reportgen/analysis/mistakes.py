"""Mistakes worth reading: top confusions, confident mistakes and likely label errors.

Example lists look at the examples themselves, so these take ``Examples``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from reportgen.analysis.lists import Ranked
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


def confident_mistakes(ex: Examples, thresholds: np.ndarray) -> Ranked | None:
    """Every wrong single-label prediction, most confident in the wrong class first
    (without scores: the most common confusion first, then in id order; ``score`` is null).

    Columns ``actual``, ``predicted``, ``score``; None for multilabel.
    """
    if ex.y_multi is not None:
        return None
    predicted = predicted_classes(ex, thresholds)
    wrong = np.flatnonzero(predicted != ex.y_true)
    if not ex.has_scores:
        return Ranked(ex.ids, ex.classes, wrong, confusion_key(ex, predicted, wrong),
                      {"actual": ex.y_true[wrong], "predicted": predicted[wrong],
                       "score": np.full(len(wrong), np.nan)})
    score = ex.y_score[wrong, predicted[wrong]]
    return Ranked(ex.ids, ex.classes, wrong, -score,
                  {"actual": ex.y_true[wrong], "predicted": predicted[wrong], "score": score})


def confusion_key(ex: Examples, predicted: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """(m,) rank keys of the single-label mistakes at ``rows`` when there are no scores: by
    how common their confusion (actual, predicted) is, most common first (ties: the
    confusion's cell order), then by id."""
    k = len(ex.classes)
    cell = ex.y_true[rows] * k + predicted[rows]
    sizes = np.bincount(cell, minlength=k * k)
    place = np.empty(k * k, dtype=np.int64)
    place[np.lexsort((np.arange(k * k), -sizes))] = np.arange(k * k)  # cells, most common first
    by_id = np.empty(len(rows), dtype=np.int64)
    by_id[pc.sort_indices(ex.ids.take(pa.array(rows, pa.int64()))).to_numpy(zero_copy_only=False)] = \
        np.arange(len(rows))
    return place[cell] * max(len(rows), 1) + by_id


def label_issues(ex: Examples) -> Ranked | None:
    """Every likely label error, most likely first, as in confident learning.

    Each class's threshold is the mean score the model gives it on the examples labeled
    with it. An example is a candidate when the model's top class is not its given label,
    or when another class reaches its own threshold; the suggested class is the likeliest
    class reaching its threshold (else the top class). Candidates are ranked by the given
    label's score relative to that label's threshold, lowest first. Only meaningful for
    out-of-sample scores.

    Columns ``given``, ``suggested``, ``self_confidence``, ``suggested_score``; None for
    multilabel and without scores.
    """
    if ex.y_multi is not None or not ex.has_scores:
        return None
    k = len(ex.classes)
    rows = np.arange(ex.n_examples)
    counts = np.bincount(ex.y_true, minlength=k)
    own = ex.y_score[rows, ex.y_true]
    own_sums = np.bincount(ex.y_true, weights=own, minlength=k)
    threshold = np.where(counts > 0, own_sums / np.maximum(counts, 1), np.inf)
    best = np.full(ex.n_examples, -1.0)  # score of the likeliest other class at its threshold
    suggested = ex.argmax.copy()
    for j in range(k):  # one pass per class over a column: no rows × classes temporaries
        score = ex.y_score[:, j]
        better = (score >= threshold[j]) & (ex.y_true != j) & (score > best)
        suggested[better] = j
        best[better] = score[better]
    candidate = np.flatnonzero((best >= 0) | (ex.argmax != ex.y_true))
    given, other = ex.y_true[candidate], suggested[candidate]
    cut = threshold[given]
    relative = np.divide(own[candidate], cut, out=np.zeros(len(candidate)), where=cut > 0)
    return Ranked(ex.ids, ex.classes, candidate, relative, {
        "given": given, "suggested": other, "self_confidence": own[candidate],
        "suggested_score": ex.y_score[candidate, other]})
