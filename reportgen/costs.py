"""What each decision costs: read from a file or a Python value, checked once, and matched
to a report's task and classes.

Three forms (see README, "Costs"):

* ``binary`` — one cost per cell of a two-class decision: ``{"tp", "fp", "fn", "tn"}``
  (``--cost-fp X --cost-fn Y``; a file with columns ``tp,fp,fn,tn`` and one row). ``fp``
  and ``fn`` are required, ``tp`` and ``tn`` default to 0. For a multilabel report the
  same costs apply to every class.
* ``per_class`` — multilabel: one such row per class (a file with a ``class`` column).
* ``matrix`` — multiclass (or binary): ``{actual: {predicted: cost}}`` covering every
  class (a file whose first column names the actual class and whose other columns are
  the predicted classes).

A cost may be negative (a benefit); expected cost is then the negative of a net value.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from reportgen import io
from reportgen.errors import InputError

CELLS = ("tp", "fp", "fn", "tn")
REQUIRED = ("fp", "fn")
KINDS = ("binary", "per_class", "matrix")
BAYES_CLASSES = 200  # a multiclass report's Bayes decision is computed up to this many classes (k² multiply-adds per row)


@dataclass(frozen=True)
class Costs:
    """Costs as given, checked to be finite numbers. ``values``: ``binary`` {cell: cost};
    ``per_class`` {class: {cell: cost}}; ``matrix`` {actual: {predicted: cost}}.
    ``source`` names where they came from (a file, or ``costs=``) in messages."""

    kind: str
    values: Mapping[str, Any]
    source: str


def costs_option(value: "Costs | Mapping | str | os.PathLike[str] | None") -> Costs | None:
    """The ``costs=`` option as ``Costs``: a path is read (``read_costs``), a mapping checked."""
    if value is None or isinstance(value, Costs):
        return value
    if isinstance(value, (str, os.PathLike)):
        return read_costs(value)
    if isinstance(value, Mapping):
        return from_mapping(value, "costs=")
    raise InputError(f"usage: costs= {value!r} is not a mapping or a file")


def from_mapping(values: Mapping, source: str) -> Costs:
    """``{"fp": 1, "fn": 5}`` (binary), ``{class: {"fp": .., "fn": ..}}`` (per class) or
    ``{actual: {predicted: cost}}`` (a matrix), told apart by their keys."""
    if not values:
        raise InputError("no costs given", file=source)
    if not any(isinstance(v, Mapping) for v in values.values()):
        return Costs("binary", _cells(values, source, ""), source)
    if not all(isinstance(v, Mapping) for v in values.values()):
        raise InputError("costs mix numbers and rows", file=source)
    if all(set(v) <= set(CELLS) for v in values.values()):
        return Costs("per_class", {str(c): _cells(v, source, f"class {c!r}: ") for c, v in values.items()}, source)
    matrix = {str(a): {str(p): _number(cost, source, f"cost of actual {a!r}, predicted {p!r}")
                       for p, cost in row.items()} for a, row in values.items()}
    return Costs("matrix", matrix, source)


def read_costs(path: str | os.PathLike[str]) -> Costs:
    """A costs file (CSV, TSV, JSON Lines or Parquet): ``tp,fp,fn,tn`` with one row, ``class``
    and those columns with a row per class, or a matrix (first column the actual class,
    one column per predicted class)."""
    name = str(path)
    table = io.read_table(path, string_columns=("class",))
    columns = table.column_names
    rows = table.to_pylist()
    if "class" in columns:
        extra = sorted(set(columns) - {"class", *CELLS})
        if extra:
            raise InputError(f"unknown cost columns {extra} (per-class costs take class,tp,fp,fn,tn)", file=name)
        values = {}
        for row in rows:
            label = str(row.pop("class"))
            if label in values:
                raise InputError(f"class {label!r} is listed twice", file=name)
            values[label] = row
        return from_mapping(values, name)
    if set(columns) & set(REQUIRED):
        if len(rows) != 1:
            raise InputError(f"binary costs take one row of tp,fp,fn,tn ({len(rows)} given)", file=name)
        return from_mapping(rows[0], name)
    first = columns[0]
    values = {}
    for row in rows:
        actual = _name(row.pop(first))
        if actual in values:
            raise InputError(f"actual class {actual!r} is listed twice", file=name)
        values[actual] = row
    if not values or not all(values.values()):
        raise InputError("a cost matrix needs a column per predicted class", file=name)
    return from_mapping(values, name)


def binary_costs(costs: Costs, classes: list[str], positive: int) -> dict[str, float]:
    """{tp, fp, fn, tn} of a binary report (``positive``: the index of the positive class)."""
    if costs.kind == "binary":
        return dict(costs.values)
    if costs.kind == "matrix":
        matrix = cost_matrix(costs, classes)
        negative = 1 - positive
        cells = {"tp": (positive, positive), "fp": (negative, positive), "fn": (positive, negative),
                 "tn": (negative, negative)}
        return {cell: float(matrix[at]) for cell, at in cells.items()}
    raise InputError("per-class costs are for a multilabel report; a binary report takes tp,fp,fn,tn "
                     "or a 2 x 2 cost matrix", file=costs.source)


def class_costs(costs: Costs, classes: list[str]) -> list[dict[str, float]]:
    """Multilabel: {tp, fp, fn, tn} of each class (the same for every class when binary)."""
    if costs.kind == "binary":
        return [dict(costs.values) for _ in classes]
    if costs.kind == "matrix":
        raise InputError("a multilabel report takes costs per class (class,tp,fp,fn,tn), not a matrix",
                         file=costs.source)
    _same_classes(set(costs.values), classes, costs.source, "class")
    return [dict(costs.values[c]) for c in classes]


def cost_matrix(costs: Costs, classes: list[str]) -> np.ndarray:
    """(classes, classes): the cost of deciding column j for an example of class i."""
    if costs.kind != "matrix":
        raise InputError("a multiclass report takes a cost matrix (actual x predicted, with class names)",
                         file=costs.source)
    _same_classes(set(costs.values), classes, costs.source, "actual class")
    for actual, row in costs.values.items():
        _same_classes(set(row), classes, costs.source, "predicted class", f" (row {actual!r})")
    return np.array([[costs.values[a][p] for p in classes] for a in classes], dtype=np.float64)


def _same_classes(given: set[str], classes: list[str], source: str, what: str, where: str = "") -> None:
    missing = [c for c in classes if c not in given]
    unknown = sorted(given - set(classes))
    if unknown:
        raise InputError(f"unknown {what} {unknown[0]!r}{where} (classes: {', '.join(classes[:10])})", file=source)
    if missing:
        raise InputError(f"no cost for {what} {missing[0]!r}{where}", file=source)


def _cells(values: Mapping, source: str, where: str) -> dict[str, float]:
    unknown = sorted(set(map(str, values)) - set(CELLS))
    if unknown:
        raise InputError(f"{where}unknown cost {unknown[0]!r} (known: {', '.join(CELLS)})", file=source)
    missing = [c for c in REQUIRED if values.get(c) is None]
    if missing:
        raise InputError(f"{where}no cost for {missing[0]!r} (give at least fp and fn)", file=source)
    return {cell: _number(values.get(cell, 0.0) if values.get(cell) is not None else 0.0, source,
                          f"{where}cost {cell!r}") for cell in CELLS}


def _number(value: Any, source: str, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{what} {value!r} is not a number", file=source) from None
    if not math.isfinite(number) or isinstance(value, bool):
        raise InputError(f"{what} {value!r} is not a finite number", file=source)
    return number


def _name(value: Any) -> str:
    """A class name read from a cell (a whole float such as 1.0 reads as "1")."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def to_json(costs: Costs, task: str, classes: list[str], positive: int | None) -> dict[str, Any]:
    """The costs the report was built with, as the JSON's ``binary`` / ``matrix`` / ``per_class``."""
    if task == "binary":
        return {"binary": binary_costs(costs, classes, positive), "matrix": None}
    if task == "multilabel":
        return {"binary": None, "matrix": None,
                "per_class": dict(zip(classes, class_costs(costs, classes)))}
    matrix = cost_matrix(costs, classes)
    return {"binary": None, "matrix": {a: dict(zip(classes, row)) for a, row in zip(classes, matrix.tolist())}}
