"""Confusion and probability matrices at any number of classes: which classes a compact
matrix shows, how the rest fold into one "other" row and column, and the non-zero cells of
either form (dense or sparse) for the readers of a report.
"""
from __future__ import annotations

from typing import Any

import numpy as np

MATRIX_LIMIT = 40  # past this many classes the matrices take their compact forms
TOP_SCORED = 5     # compact probability matrix: best-scored classes kept per actual class


def shown_classes(confusion: np.ndarray, size: int) -> np.ndarray:
    """The ``size`` classes with the most errors (off-diagonal row plus column sums),
    in class order; ties go to the lower class index.

    confusion: (k, k) counts, rows actual. Returns (size,) ascending class indices.
    """
    diagonal = np.diag(confusion)
    errors = confusion.sum(axis=0) + confusion.sum(axis=1) - 2 * diagonal
    ranked = np.lexsort((np.arange(len(errors)), -errors))
    return np.sort(ranked[:size])


def top_scored(sums: np.ndarray, top: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``sums`` ((m, k)): its ``top`` largest columns, best first (ties to the
    lower index), and their values; both (m, top)."""
    order = np.argsort(-sums, axis=1, kind="stable")[:, :top]
    return order, np.take_along_axis(sums, order, axis=1)


def fold(matrix: np.ndarray, index: np.ndarray) -> np.ndarray:
    """The rows and columns of ``index``, then one "other" row and column summing the rest.

    matrix: (k, k); index: (K,) distinct class indices. Returns (K + 1, K + 1); its total
    equals the matrix's.
    """
    shown = matrix[index]
    rows = np.vstack([shown, matrix.sum(axis=0, keepdims=True) - shown.sum(axis=0, keepdims=True)])
    kept = rows[:, index]
    return np.hstack([kept, rows.sum(axis=1, keepdims=True) - kept.sum(axis=1, keepdims=True)])


def confusion_cells(matrix: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(actual, predicted, count) of every non-zero cell of a report's confusion matrix,
    row-major, from its dense or its sparse form; each array of shape (cells,). Counts are
    integers, or floats (sums of weights) when the report is weighted."""
    sparse = matrix.get("sparse")
    if sparse is not None:
        return (np.asarray(sparse["actual"], dtype=np.int64), np.asarray(sparse["predicted"], dtype=np.int64),
                _numbers(sparse["count"]))
    counts = _numbers(matrix["counts"]).reshape(len(matrix["classes"]), -1)
    actual, predicted = np.nonzero(counts)
    return actual, predicted, counts[actual, predicted]


def _numbers(values) -> np.ndarray:
    """JSON counts as an array: int64 when every one is an integer, else float64."""
    out = np.asarray(values)
    return out.astype(np.int64) if out.dtype.kind in "iub" or out.size == 0 else out.astype(np.float64)


def other_label(count: int) -> str:
    """The name of the "other" row and column of a compact matrix."""
    return f"other ({count:,} classes)"


def displayed(matrix: dict[str, Any], key: str) -> tuple[list[str], list[list[Any]]]:
    """The class names and rows a matrix is drawn with: the dense ``matrix[key]`` with
    every class, or the compact form's shown classes plus "other" (``key`` is ``counts``
    or ``normalized`` of a confusion matrix, ``mean_score`` of a probability matrix)."""
    shown = matrix.get("shown")
    if shown is None:
        return list(matrix["classes"]), matrix[key]
    names = [matrix["classes"][i] for i in shown["index"]]
    other = len(matrix["classes"]) - len(names)
    return names + [other_label(other)], shown[key]
