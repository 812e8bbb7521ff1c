"""Mistakes worth reading: top confusions, confident mistakes and likely label errors.

Example lists look at the examples themselves, so these take ``Examples``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

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
    """Every wrong single-label prediction, most confident in the wrong class first.

    Columns ``actual``, ``predicted``, ``score``; None for multilabel.
    """
    if ex.y_multi is not None:
        return None
    predicted = predicted_classes(ex, thresholds)
    wrong = np.flatnonzero(predicted != ex.y_true)
    score = ex.y_score[wrong, predicted[wrong]]
    return Ranked(ex.ids, ex.classes, wrong, -score,
                  {"actual": ex.y_true[wrong], "predicted": predicted[wrong], "score": score})


def label_issues(ex: Examples) -> Ranked | None:
    """Every likely label error, most likely first, as in confident learning.

    Each class's threshold is the mean score the model gives it on the examples labeled
    with it. An example is a candidate when the model's top class is not its given label,
    or when another class reaches its own threshold; the suggested class is the likeliest
    class reaching its threshold (else the top class). Candidates are ranked by the given
    label's score relative to that label's threshold, lowest first. Only meaningful for
    out-of-sample scores.

    Columns ``given``, ``suggested``, ``self_confidence``, ``suggested_score``; None for
    multilabel.
    """
    if ex.y_multi is not None:
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
