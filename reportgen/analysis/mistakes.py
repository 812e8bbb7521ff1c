"""Mistakes worth reading: top confusions, confident mistakes and likely label errors.

Example lists look at the examples themselves, so these take ``Examples``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

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


def confident_mistakes(ex: Examples, thresholds: np.ndarray) -> pa.Table | None:
    """Every wrong single-label prediction, most confident in the wrong class first.

    Columns ``rank``, ``id``, ``actual``, ``predicted``, ``score``; None for multilabel.
    """
    if ex.y_multi is not None:
        return None
    predicted = predicted_classes(ex, thresholds)
    wrong = np.flatnonzero(predicted != ex.y_true)
    score = ex.y_score[wrong, predicted[wrong]]
    ranking = np.argsort(-score, kind="stable")
    order = wrong[ranking]
    return ranked_table(ex, order, actual=ex.y_true[order], predicted=predicted[order], score=score[ranking])


def label_issues(ex: Examples) -> pa.Table | None:
    """Every likely label error, most likely first, as in confident learning.

    Each class's threshold is the mean score the model gives it on the examples labeled
    with it. An example is a candidate when the model's top class is not its given label,
    or when another class reaches its own threshold; the suggested class is the likeliest
    class reaching its threshold (else the top class). Candidates are ranked by the given
    label's score relative to that label's threshold, lowest first. Only meaningful for
    out-of-sample scores.

    Columns ``rank``, ``id``, ``given``, ``suggested``, ``self_confidence``,
    ``suggested_score``; None for multilabel.
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
    cut = threshold[ex.y_true[candidate]]
    relative = np.divide(own[candidate], cut, out=np.zeros(len(candidate)), where=cut > 0)
    order = candidate[np.argsort(relative, kind="stable")]
    return ranked_table(
        ex, order, given=ex.y_true[order], suggested=suggested[order], self_confidence=own[order],
        suggested_score=ex.y_score[order, suggested[order]],
    )


def ranked_table(ex: Examples, order: np.ndarray, **columns: np.ndarray) -> pa.Table:
    """A ranked example list: ``order`` (candidate rows, best first) with their ids;
    integer ``columns`` become class names, float ones stay numbers."""
    names = pa.array(ex.classes, pa.string())
    data = {"rank": pa.array(np.arange(1, len(order) + 1)), "id": ex.ids.take(pa.array(order, pa.int64()))}
    for key, values in columns.items():
        if np.issubdtype(values.dtype, np.integer):
            data[key] = names.take(pa.array(values, pa.int64()))
        else:
            data[key] = pa.array(values, pa.float64())
    return pa.table(data)


def listed(table: pa.Table | None, limit: int, inputs: Inputs | None = None) -> list[dict[str, Any]]:
    """The first ``limit`` entries of a ranked list as JSON items (with their inputs),
    without the rank."""
    if table is None:
        return []
    items = table.slice(0, limit).drop_columns(["rank"]).to_pylist()
    return [{**item, **_inputs(inputs, item["id"])} for item in items]


def _inputs(inputs: Inputs | None, item_id: str) -> dict[str, Any]:
    return {} if inputs is None else inputs.get(item_id)
