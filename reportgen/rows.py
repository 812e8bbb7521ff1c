"""Row-wise array kernels shared by validation, statistics and the engines.

Every function works on whole columns (numpy, no Python loop over rows); a matrix is
rows × classes.
"""
from __future__ import annotations

import numpy as np

EPS = float(np.finfo(np.float64).eps)  # probabilities clipped to [EPS, 1 - EPS] in the log loss, as scikit-learn


def pick(matrix: np.ndarray, columns: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """(m,) ``matrix[rows[i], columns[i]]`` (every row in turn when ``rows`` is None): one
    gather from the flat data of a column-major matrix (two-array indexing is slower)."""
    n = matrix.shape[0]
    at = np.arange(n) if rows is None else np.asarray(rows)
    if not matrix.flags.f_contiguous:
        return matrix[at, columns]
    return np.take(matrix.reshape(-1, order="F"), np.asarray(columns, dtype=np.int64) * n + at)


def argmax_columns(columns: list[np.ndarray]) -> np.ndarray:
    """Row-wise argmax over separate (rows,) columns (of any one float type), first maximum
    wins: each row's maximum, then the first column holding it (the columns taken from the
    last, so the first one found equal is written last). Returns (rows,) int64."""
    best = columns[0].copy()
    for column in columns[1:]:
        np.maximum(best, column, out=best)
    index = np.zeros(len(best), dtype=np.int64)
    holds = np.empty(len(best), dtype=bool)
    for j in range(len(columns) - 1, -1, -1):
        np.equal(columns[j], best, out=holds)
        np.copyto(index, j, where=holds)
    return index


def binary_scores(p: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The positive class's scores ``p`` (rows,) as the rows × 2 matrix ``[1 - p, p]`` of a
    binary task (into ``out`` when given; ``p`` may already be its second column)."""
    y_score = np.empty((len(p), 2), dtype=np.float64, order="F") if out is None else out
    np.subtract(1.0, p, out=y_score[:, 0])
    y_score[:, 1] = p
    return y_score


def softmax_rows(matrix: np.ndarray) -> np.ndarray:
    """Softmax of each row of a rows × classes matrix of logits, in place (column by
    column, stable: the row's maximum is subtracted first). Returns ``matrix``."""
    columns = [matrix[:, j] for j in range(matrix.shape[1])]
    top = columns[0].copy()
    for column in columns[1:]:
        np.maximum(top, column, out=top)
    total = np.zeros_like(top)
    for column in columns:
        np.subtract(column, top, out=column)
        np.exp(column, out=column)
        total += column
    for column in columns:
        np.divide(column, total, out=column)
    return matrix


def sigmoid(values: np.ndarray) -> np.ndarray:
    """The logistic function of logits, in place, for any shape (stable for both signs:
    exp of minus the absolute value only). Returns ``values``."""
    negative = values < 0
    np.negative(np.abs(values, out=values), out=values)  # -|x|
    np.exp(values, out=values)                            # e^-|x|, in (0, 1]
    # x >= 0: 1 / (1 + e^-x); x < 0: e^x / (1 + e^x)
    ratio = values / (1.0 + values)
    np.divide(1.0, 1.0 + values, out=values)
    np.copyto(values, ratio, where=negative)
    return values


def log_loss_rows(task: str, y_score: np.ndarray, y_true: np.ndarray | None, y_multi: np.ndarray | None
                  ) -> np.ndarray:
    """(rows,) cross-entropy of each row of ``y_score`` (rows × classes): multiclass rows
    renormalised, probabilities clipped to [EPS, 1 - EPS] as scikit-learn; binary, the
    true class's score; multilabel (``y_multi`` (rows, classes) bool) rows sum their
    cells' binary losses. ``y_true`` (rows,) the class of each single-label row."""
    n = len(y_score)
    if task == "multiclass":
        totals = y_score.sum(axis=1)
        p_true = pick(y_score, y_true) / np.where(totals > 0, totals, 1.0)
        return -np.log(np.clip(p_true, EPS, 1 - EPS))
    if task == "binary":
        p = np.where(y_true == 1, y_score[:, 1], y_score[:, 0])
        return -np.log(np.clip(p, EPS, 1 - EPS))
    loss = np.zeros(n)
    for j in range(y_score.shape[1]):
        s = y_score[:, j]
        loss -= np.log(np.clip(np.where(y_multi[:, j], s, 1.0 - s), EPS, 1 - EPS))
    return loss


def classes_above(columns: list[np.ndarray], y_true: np.ndarray) -> np.ndarray:
    """(rows,) int16: how many classes rank above each row's true class ``y_true`` (rows,)
    among the score ``columns`` (each (rows,)), ties broken as scikit-learn's top-k
    accuracy (a tied class of higher index ranks above). Counts the classes scoring above
    the true class; only rows where another class ties with it (rare) are ranked again."""
    n = len(y_true)
    true_score = np.empty(n, dtype=columns[0].dtype)
    for j, column in enumerate(columns):
        np.copyto(true_score, column, where=y_true == j)
    above = np.zeros(n, dtype=np.int16)
    level = np.zeros(n, dtype=np.int16)
    flag = np.empty(n, dtype=bool)
    for column in columns:
        np.greater(column, true_score, out=flag)
        above += flag
        np.equal(column, true_score, out=flag)
        level += flag
    tied = np.flatnonzero(level > 1)  # another class has exactly the true class's score
    if len(tied):
        y = y_true[tied]
        for j, column in enumerate(columns):
            above[tied] += (column[tied] == true_score[tied]) & (j > y)
    return above
