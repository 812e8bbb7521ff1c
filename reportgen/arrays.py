"""NumPy arrays and lists, as scikit-learn's metrics take them, turned into the Arrow tables
that ``evaluate`` reads: ids "0".."n-1", one label column, one score column per class.

Every step is a whole-array operation (no Python loop over rows); the only loops run over
the distinct labels, to name them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from reportgen.errors import InputError

LABELS, SCORES, PREDICTIONS = "y_true", "y_score", "y_pred"
ID, LABEL, WEIGHT = "id", "label", "weight"
PREDICTED = "predicted"  # Options.prediction_column's default
SEP = "\x1f"  # joins a multilabel row's class names; no sensible class name holds it


@dataclass(frozen=True)
class Tables:
    """The inputs of ``evaluate`` made from arrays.

    ``labels``: id, label (or labels) and, when weighted, weight; ``scores``: id and one
    column per class (``None`` without scores); ``predictions``: id and predicted (``None``
    without them); ``options``: the column options that name these tables' columns.
    """

    labels: pa.Table
    scores: pa.Table | None
    predictions: pa.Table | None
    options: dict[str, Any]


def tables(y_true, y_score=None, *, y_pred=None, classes: Sequence[str] | None = None, sample_weight=None,
           positive_class: str | None = None, multilabel: bool | None = None) -> Tables:
    """Arrow tables for ``evaluate`` from scikit-learn-shaped arrays.

    ``y_true``: (n,) labels, or (n, k) 0/1 for multilabel. ``y_score``: (n,) the positive
    class's score (binary), or (n, k) one column per class, named by ``classes`` (default:
    the sorted distinct labels, as scikit-learn's ``unique_labels``; "0".."k-1" for
    multilabel). ``y_pred``: the predicted labels, shaped as ``y_true``. ``sample_weight``:
    (n,) weights. ``multilabel``, when given, must agree with the shape of ``y_true``.
    """
    truth = _array(y_true, LABELS)
    if truth.ndim not in (1, 2) or len(truth) == 0:
        raise InputError(f"expected shape (n,) or (n, k) with n >= 1, got {truth.shape}", file=LABELS)
    if multilabel is not None and bool(multilabel) != (truth.ndim == 2):
        raise InputError(f"multilabel={multilabel} needs y_true of shape (n, k) 0/1, got {truth.shape}", file=LABELS)
    n = len(truth)
    score = None if y_score is None else _array(y_score, SCORES)
    pred = None if y_pred is None else _array(y_pred, PREDICTIONS)
    if score is None and pred is None:
        raise InputError("usage: give y_score, y_pred or both")
    for name, other in ((SCORES, score), (PREDICTIONS, pred)):
        if other is not None and len(other) != n:
            raise InputError(f"has {len(other)} rows, y_true has {n}", file=name)
    weight = None if sample_weight is None else _weights(sample_weight, n)
    if truth.ndim == 2:
        return _multilabel(truth, score, pred, classes, weight)
    return _single_label(truth, score, pred, classes, weight, positive_class)


def _single_label(truth, score, pred, classes, weight, positive_class) -> Tables:
    if pred is not None and pred.ndim != 1:
        raise InputError(f"expected shape (n,) like y_true, got {pred.shape}", file=PREDICTIONS)
    uniques, codes = _unique(truth if pred is None else _concat(truth, pred), len(truth))
    names = pa.array([_name(v) for v in uniques.tolist()], pa.string())
    binary = score is not None and score.ndim == 1
    columns = _names(classes if classes is not None else
                     _binary_pair(uniques, names.to_pylist()) if binary else names.to_pylist())
    ident = _id_name(columns)
    ids = _ids(len(truth))
    options: dict[str, Any] = {"id_column": ident, "label_column": LABEL, "multilabel": False}
    score_table = None
    if score is not None:
        if binary:
            if len(columns) != 2:
                raise InputError(f"a 1-d y_score is the positive class's score (binary), but there are "
                                 f"{len(columns)} classes ({_preview(columns)})", file=SCORES)
            _check_known(names.to_pylist(), codes[: len(truth)], columns)
            positive = positive_class if positive_class is not None else columns[1]
            if positive not in columns:
                raise InputError(f"positive_class {positive!r} is not one of the classes ({_preview(columns)})")
            # One column, as a file of id,score: validation derives the negative class's scores
            # (and reads logits as logits); the negative is the other label.
            score_table = _score_table(ident, ids, [_numbers(score)], [positive])
            options["positive_class"] = positive
            options["score_columns"] = (positive,)
        else:
            score_table = _score_table(ident, ids, _columns(score, columns), columns)
            options["score_columns"] = tuple(columns)
    predictions = None
    if pred is not None:
        predicted = pc.take(names, pa.array(codes[len(truth):]))
        predictions = pa.table({ident: ids, PREDICTED: predicted})
    labels = pc.take(names, pa.array(codes[: len(truth)]))
    return _tables(ident, ids, LABEL, labels, weight, score_table, predictions, options)


def _multilabel(truth, score, pred, classes, weight) -> Tables:
    k = truth.shape[1]
    columns = _names(classes if classes is not None else [str(j) for j in range(k)])
    if len(columns) != k:
        raise InputError(f"has {k} columns but {len(columns)} classes are named", file=LABELS)
    if any(SEP in c for c in columns):
        raise InputError("a class name holds the character U+001F")
    ident = _id_name(columns)
    ids = _ids(len(truth))
    options: dict[str, Any] = {"id_column": ident, "label_column": "labels", "multilabel": True, "label_sep": SEP}
    score_table = None
    if score is not None:
        score_table = _score_table(ident, ids, _columns(score, columns), columns)
        options["score_columns"] = tuple(columns)
    predictions = None
    if pred is not None:
        if pred.shape != truth.shape:
            raise InputError(f"expected shape {truth.shape} like y_true, got {pred.shape}", file=PREDICTIONS)
        predictions = pa.table({ident: ids, PREDICTED: _joined(_indicator(pred, PREDICTIONS), columns)})
    labels = _joined(_indicator(truth, LABELS), columns)
    return _tables(ident, ids, "labels", labels, weight, score_table, predictions, options)


def _tables(ident, ids, column, labels, weight, scores, predictions, options) -> Tables:
    table = {ident: ids, column: labels}
    if weight is not None:
        table[WEIGHT] = weight
        options["weight_column"] = WEIGHT
    return Tables(pa.table(table), scores, predictions, options)


def _ids(n: int) -> pa.Array:
    return pc.cast(pa.array(np.arange(n)), pa.string())


def _id_name(columns: list[str]) -> str:
    """"id", or a name that no class has."""
    ident = ID
    while ident in columns:
        ident = "_" + ident
    return ident


def _array(values, name: str) -> np.ndarray:
    try:
        out = np.asarray(values)
    except (TypeError, ValueError) as err:
        raise InputError(f"not an array: {err}", file=name) from None
    if out.dtype.kind == "O" and out.ndim == 1 and len(out) and isinstance(out[0], (list, tuple, np.ndarray)):
        raise InputError("rows of different lengths", file=name)
    return out


def _concat(truth: np.ndarray, pred: np.ndarray) -> np.ndarray:
    if (truth.dtype.kind in "USO") != (pred.dtype.kind in "USO"):
        raise InputError("y_true and y_pred mix text and number labels")
    return np.concatenate([truth, pred])


def _unique(values: np.ndarray, n_truth: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct labels and each row's position among them (missing values refused;
    rows from ``n_truth`` on are y_pred's)."""
    kind = values.dtype.kind
    missing = np.isnan(values) if kind == "f" else np.equal(values, None) if kind == "O" else None
    if missing is not None and missing.any():
        row = int(np.argmax(missing))
        file, row = (LABELS, row) if row < n_truth else (PREDICTIONS, row - n_truth)
        raise InputError("missing label", file=file, row_id=str(row))
    if kind == "f" and np.array_equal(values, np.floor(values)):
        values = values.astype(np.int64)  # 1.0 is the label "1", as in a CSV file
    try:
        return np.unique(values, return_inverse=True)
    except TypeError:
        raise InputError("labels mix types (e.g. text and numbers)", file=LABELS) from None


def _name(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _binary_pair(uniques: np.ndarray, names: list[str]) -> list[str]:
    """(negative, positive) of a binary task: the greater label is positive, as in scikit-learn."""
    if len(names) == 2:
        return names
    if len(names) == 1:
        value = uniques.tolist()[0]
        if isinstance(value, bool):
            return ["False", "True"]
        if isinstance(value, int) and value in (0, 1):
            return ["0", "1"]
        raise InputError(f"every label is {names[0]!r}: name both classes with classes=(negative, positive)",
                         file=LABELS)
    raise InputError(f"a 1-d y_score is the positive class's score (binary), but y_true has {len(names)} "
                     f"classes ({_preview(names)})", file=SCORES)


def _check_known(names: list[str], codes: np.ndarray, columns: list[str]) -> None:
    """Every label of ``y_true`` is one of ``columns`` (the first row of an unknown one is named)."""
    known = set(columns)
    unknown = np.isin(codes, [code for code, name in enumerate(names) if name not in known])
    if unknown.any():
        row = int(np.argmax(unknown))
        raise InputError(f"label {names[codes[row]]!r} is not one of the classes ({_preview(columns)})",
                         file=LABELS, row_id=str(row))


def _names(classes: Sequence[Any]) -> list[str]:
    names = [_name(c) for c in classes]
    if len(set(names)) != len(names):
        raise InputError(f"classes repeat a name ({_preview(names)})")
    if not names:
        raise InputError("classes is empty")
    return names


def _numbers(score: np.ndarray) -> np.ndarray:
    if score.dtype.kind not in "biuf":
        raise InputError(f"scores must be numbers, not {score.dtype}", file=SCORES)
    return score.astype(np.float64, copy=False)


def _columns(score: np.ndarray, columns: list[str]) -> list[np.ndarray]:
    if score.ndim != 2:
        raise InputError(f"expected shape (n,) or (n, k), got {score.shape}", file=SCORES)
    if score.shape[1] != len(columns):
        raise InputError(f"has {score.shape[1]} columns but there are {len(columns)} classes "
                         f"({_preview(columns)}); name the columns with classes=", file=SCORES)
    matrix = _numbers(score)
    return [matrix[:, j] for j in range(matrix.shape[1])]


def _score_table(ident: str, ids: pa.Array, columns: list[np.ndarray], names: list[str]) -> pa.Table:
    """id plus one float64 column per class."""
    return pa.Table.from_arrays([ids, *map(pa.array, columns)], names=[ident, *names])


def _indicator(values: np.ndarray, name: str) -> np.ndarray:
    """A 0/1 (or bool) matrix as bool."""
    if values.ndim != 2 or values.dtype.kind not in "biuf":
        raise InputError(f"multilabel needs an (n, k) 0/1 matrix, got shape {values.shape} of {values.dtype}",
                         file=name)
    bad = (values != 0) & (values != 1)
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raise InputError(f"value {values[row, column].item()!r} is not 0 or 1", file=name, column=str(column),
                         row_id=str(row))
    return values.astype(bool)


def _joined(indicator: np.ndarray, columns: list[str]) -> pa.Array:
    """Each row's class names joined by SEP (an empty string for a row without any)."""
    rows, cols = np.nonzero(indicator)
    offsets = np.zeros(len(indicator) + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows, minlength=len(indicator)), out=offsets[1:])
    values = pc.take(pa.array(columns, pa.string()), pa.array(cols))
    return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), values), SEP)


def _weights(weight, n: int) -> pa.Array:
    w = _array(weight, "sample_weight")
    if w.shape != (n,) or w.dtype.kind not in "biuf":
        raise InputError(f"expected {n} numbers, got shape {w.shape} of {w.dtype}", file="sample_weight")
    return pa.array(w.astype(np.float64))


def _preview(names: Sequence[str]) -> str:
    shown = ", ".join(repr(n) for n in list(names)[:6])
    return shown + (", ..." if len(names) > 6 else "")
