"""Examples behind each confusion-matrix cell, most confident first, capped.

Unlike the metrics, this looks at the examples themselves (it lists them), so it takes
``Examples`` rather than ``Statistics``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from reportgen.inputs import Inputs
from reportgen.stats import predicted_classes
from reportgen.validate import Examples

MULTILABEL_CANDIDATES = 5000
OTHER_PER_CELL = 5  # examples kept for each cell of a compact matrix's "other" row and column


def select_examples(
    ex: Examples, thresholds: tuple[float, ...], per_cell: int, total: int, inputs: Inputs | None = None,
    shown: list[int] | None = None,
) -> dict[str, Any]:
    """The ``selection`` section: for each non-empty cell, its count and capped examples.

    ``thresholds`` holds each class's decision threshold. ``shown``: the classes a compact
    confusion matrix shows (its ``shown.index``); every other class is drawn in one "other"
    row and column, and each cell of that row and column keeps its OTHER_PER_CELL most
    confident examples beyond the ``total`` budget (listed in the real cells they belong to),
    so that a click on it in the page lists some.
    """
    cuts = np.asarray(thresholds, dtype=np.float64)
    reserved: dict[int, np.ndarray] = {}
    if ex.y_multi is not None:
        picks = _multilabel_picks(ex, cuts, per_cell)
    else:
        predicted = predicted_classes(ex, cuts)
        if ex.has_scores:
            confidence = ex.y_score[np.arange(ex.n_examples), predicted]
        else:  # no confidence to rank by: each cell lists its examples in the predictions file's order
            confidence = 1.0 - np.arange(ex.n_examples) / (ex.n_examples + 1.0)
        picks = _group(ex.y_true, predicted, confidence, len(ex.classes), per_cell)
        if shown is not None:
            reserved = _other_rows(ex.y_true, predicted, confidence, len(ex.classes), shown)
    picks.sort(key=lambda p: (p[0] == p[1], -len(p[2])))  # mistakes first, then bigger cells
    cells, budget = [], total
    k = len(ex.classes)
    for actual, predicted, rows, count in picks:
        kept = rows[: max(budget, 0)]
        budget -= len(kept)
        extra = reserved.get(actual * k + predicted)
        rows = kept if extra is None else rows[np.isin(rows, np.union1d(kept, extra))]
        cells.append({
            "actual": ex.classes[actual],
            "predicted": ex.classes[predicted],
            "count": int(count),
            "examples": [_example(ex, inputs, r, actual, predicted) for r in rows],
        })
    return {"threshold": float(cuts.max()) if cuts.min() == cuts.max() else None,
            "max_per_cell": per_cell, "max_total": total, "cells": cells}


def _group(actual: np.ndarray, predicted: np.ndarray, confidence: np.ndarray, k: int, per_cell: int) -> list:
    cell = actual * k + predicted
    order = np.argsort(cell + (1.0 - confidence) * 0.5)  # by cell, most confident first
    sorted_cells = cell[order]
    starts = np.flatnonzero(np.diff(sorted_cells, prepend=-1))
    ends = np.append(starts[1:], len(order))
    picks = []
    for start, end in zip(starts, ends):
        c = int(sorted_cells[start])
        picks.append((c // k, c % k, order[start : min(end, start + per_cell)], end - start))
    return picks


def _other_rows(actual: np.ndarray, predicted: np.ndarray, confidence: np.ndarray, k: int,
                shown: list[int]) -> dict[int, np.ndarray]:
    """Rows kept for the "other" row and column: in each cell of the folded matrix with an
    "other" side, its OTHER_PER_CELL most confident rows; by real cell (actual * k + predicted).

    actual, predicted, confidence: (n,). Returns {cell: (m,) row indices}."""
    group = np.full(k, len(shown), dtype=np.int64)
    group[np.asarray(shown, dtype=np.int64)] = np.arange(len(shown))
    ga, gp = group[actual], group[predicted]
    candidates = np.flatnonzero((ga == len(shown)) | (gp == len(shown)))
    if not len(candidates):
        return {}
    folded = ga[candidates] * (len(shown) + 1) + gp[candidates]
    order = np.lexsort((-confidence[candidates], folded))  # by folded cell, most confident first
    rows, cells = candidates[order], folded[order]
    starts = np.flatnonzero(np.diff(cells, prepend=-1))
    rank = np.arange(len(rows)) - np.repeat(starts, np.diff(np.append(starts, len(rows))))
    kept = np.sort(rows[rank < OTHER_PER_CELL])
    real = actual[kept] * k + predicted[kept]
    order = np.argsort(real, kind="stable")
    kept, real = kept[order], real[order]
    bounds = np.flatnonzero(np.diff(real, prepend=-1))
    return {int(real[b]): kept[b:e] for b, e in zip(bounds, np.append(bounds[1:], len(kept)))}


def _multilabel_picks(ex: Examples, cuts: np.ndarray, per_cell: int) -> list:
    picks = []
    decided = predicted_classes(ex, cuts) if ex.has_predictions else None
    for j in range(len(ex.classes)):
        chosen = ex.y_score[:, j] > cuts[j] if decided is None else decided[:, j]
        rows = np.flatnonzero(chosen)
        if not ex.has_scores:  # no confidence to rank by: the predictions file's order
            rows = rows[:MULTILABEL_CANDIDATES]
        elif len(rows) > MULTILABEL_CANDIDATES:
            top = np.argpartition(-ex.y_score[rows, j], MULTILABEL_CANDIDATES)[:MULTILABEL_CANDIDATES]
            rows = rows[top]
        if ex.has_scores:
            rows = rows[np.argsort(-ex.y_score[rows, j], kind="stable")]
        counts = np.count_nonzero(ex.y_multi[chosen], axis=0)
        truth = ex.y_multi[rows]
        for i in np.flatnonzero(counts):
            members = rows[truth[:, i]][:per_cell]
            picks.append((int(i), j, members, int(counts[i])))
    return picks


def _example(ex: Examples, inputs: Inputs | None, row: int, actual: int, predicted: int) -> dict[str, Any]:
    item_id = ex.ids[int(row)].as_py()
    found = inputs.get(item_id) if inputs is not None else {}
    return {
        "id": item_id,
        "p_actual": round(float(ex.y_score[row, actual]), 4) if ex.has_scores else None,
        "p_predicted": round(float(ex.y_score[row, predicted]), 4) if ex.has_scores else None,
        **{key: value for key, value in found.items() if value},  # text, image, overlay when given
    }
