"""Confusion and probability matrices at any number of classes: which classes a compact
matrix shows, how the rest fold into one "other" row and column, and the non-zero cells of
either form (dense or sparse) for the readers of a report.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

MATRIX_LIMIT = 40  # past this many classes the matrices take their compact forms
TOP_SCORED = 5     # compact probability matrix: best-scored classes kept per actual class


@dataclass(frozen=True, eq=False)
class SparseCounts:
    """A k × k matrix of counts (rows actual, columns predicted) held as its non-zero
    cells: ``cells`` (m,) ascending row-major positions (actual × k + predicted) and
    ``counts`` (m,) int64 row counts, or float64 sums of weights. A confusion of n rows
    has at most n cells whatever k. Answers what the metrics ask of a dense matrix with
    the same names (``diagonal``, ``sum``, ``trace``, ``shape``, ``dtype``); ``fold`` and
    ``nonzero`` below take either form."""

    size: int
    cells: np.ndarray
    counts: np.ndarray

    @classmethod
    def of(cls, size: int, cells: np.ndarray, weights: np.ndarray | None = None) -> "SparseCounts":
        """The counts of ``cells`` ((rows,) positions actual × size + predicted), or
        the sums of their ``weights`` ((rows,)); cells whose count is 0 are dropped."""
        if weights is None:
            found, counts = np.unique(cells, return_counts=True)
            return cls(size, found, counts.astype(np.int64))
        found, inverse = np.unique(cells, return_inverse=True)
        sums = np.bincount(inverse.ravel(), weights=weights, minlength=len(found))
        kept = sums != 0
        return cls(size, found[kept], sums[kept])

    @property
    def shape(self) -> tuple[int, int]:
        return self.size, self.size

    @property
    def dtype(self) -> np.dtype:
        return self.counts.dtype

    def diagonal(self) -> np.ndarray:
        """(k,) the diagonal."""
        out = np.zeros(self.size, dtype=self.counts.dtype)
        actual, predicted = np.divmod(self.cells, self.size)
        on = actual == predicted
        out[actual[on]] = self.counts[on]
        return out

    def trace(self) -> int | float:
        return self.diagonal().sum()

    def sum(self, axis: int | None = None):
        """The total (axis None), the column sums (axis 0) or the row sums (axis 1), (k,)."""
        if axis is None:
            return self.counts.sum()
        index = self.cells // self.size if axis == 1 else self.cells % self.size
        sums = np.bincount(index, weights=self.counts, minlength=self.size)
        return sums if self.counts.dtype.kind == "f" else sums.astype(np.int64)


def nonzero(matrix: "np.ndarray | SparseCounts") -> tuple[np.ndarray, np.ndarray]:
    """(row-major positions, values) of the non-zero cells of a k × k matrix, dense or sparse."""
    if isinstance(matrix, SparseCounts):
        kept = matrix.counts != 0
        return matrix.cells[kept], matrix.counts[kept]
    cells = np.flatnonzero(matrix)
    return cells, matrix.ravel()[cells]


def cost_total(matrix: "np.ndarray | SparseCounts", costs: np.ndarray) -> float:
    """Σ matrix[i, j] × costs[i, j] over the cells of a k × k matrix, dense or sparse
    (``costs``: (k, k)); a sparse one sums its non-zero cells only."""
    if isinstance(matrix, SparseCounts):
        return float(np.sum(matrix.counts * costs.ravel()[matrix.cells]))
    return float(np.sum(matrix * costs))


def shown_classes(confusion: "np.ndarray | SparseCounts", size: int) -> np.ndarray:
    """The ``size`` classes with the most errors (off-diagonal row plus column sums),
    in class order; ties go to the lower class index.

    confusion: (k, k) counts, rows actual, dense or sparse. Returns (size,) ascending class indices.
    """
    diagonal = confusion.diagonal()
    errors = confusion.sum(axis=0) + confusion.sum(axis=1) - 2 * diagonal
    ranked = np.lexsort((np.arange(len(errors)), -errors))
    return np.sort(ranked[:size])


def top_scored(sums: np.ndarray, top: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``sums`` ((m, k), no NaN): its ``top`` largest columns, best first (ties
    to the lower index), and their values; both (m, top). A partition finds each row's
    ``top``-th value; the columns above it and the first columns equal to it are the
    ``top`` chosen, then ordered (no sort of whole rows)."""
    m, k = sums.shape
    top = min(top, k)
    if top == 0 or m == 0:
        return np.zeros((m, top), dtype=np.int64), np.zeros((m, top))
    kth = -np.partition(-sums, top - 1, axis=1)[:, top - 1:top]  # (m, 1)
    above = sums > kth
    tied = sums == kth
    room = top - np.count_nonzero(above, axis=1)[:, None]
    chosen = above | (tied & (np.cumsum(tied, axis=1) <= room))
    columns = np.nonzero(chosen)[1].reshape(m, top)  # ascending within each row
    values = np.take_along_axis(sums, columns, axis=1)
    order = np.argsort(-values, axis=1, kind="stable")
    return np.take_along_axis(columns, order, axis=1), np.take_along_axis(values, order, axis=1)


def fold(matrix: "np.ndarray | SparseCounts", index: np.ndarray) -> np.ndarray:
    """The rows and columns of ``index``, then one "other" row and column summing the rest.

    matrix: (k, k), dense or sparse; index: (K,) distinct class indices. Returns (K + 1,
    K + 1); its total equals the matrix's.
    """
    if isinstance(matrix, SparseCounts):
        size = len(index)
        position = np.full(matrix.size, size)
        position[index] = np.arange(size)
        actual, predicted = np.divmod(matrix.cells, matrix.size)
        flat = position[actual] * (size + 1) + position[predicted]
        out = np.bincount(flat, weights=matrix.counts, minlength=(size + 1) ** 2).reshape(size + 1, size + 1)
        return out if matrix.counts.dtype.kind == "f" else out.astype(np.int64)
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
