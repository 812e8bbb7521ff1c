"""Slices: metrics for every value (or crossed values) of metadata columns, and which
slices are significantly worse than the rest after Benjamini-Hochberg correction.

Each slice's metrics come from its own Statistics; its test and intervals need the
examples themselves.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from reportgen.analysis import bootstrap
from reportgen.analysis.churn import counts as churn_counts
from reportgen.errors import InputError
from reportgen.io import read_table
from reportgen.metrics import evaluate_statistics
from reportgen.options import Options
from reportgen.stats import from_examples, predicted_classes
from reportgen.validate import Examples

HEADLINE = ("accuracy", "macro_f1", "roc_auc_macro", "log_loss")
MISSING = "(missing)"
GRID_CAP = 50  # slices (largest first) that carry a threshold grid for the page's slider
SLICE_RESAMPLES = 200


@dataclass(frozen=True)
class SliceOptions:
    specs: tuple[tuple[str, ...], ...]
    bins: int = 5
    min_size: int = 30
    fdr: float = 0.05


def parse_specs(texts: list[str]) -> tuple[tuple[str, ...], ...]:
    """``--slice-by a`` and ``--slice-by a,b`` (crossed); a crossing named twice counts once."""
    seen, specs = set(), []
    for text in texts:
        spec = tuple(c.strip() for c in text.split(",") if c.strip())
        if spec and frozenset(spec) not in seen:
            seen.add(frozenset(spec))
            specs.append(spec)
    return tuple(sorted(specs, key=len))


def metadata_columns(path: str, ex: Examples, opts: Options, wanted: set[str]) -> dict[str, pa.Array]:
    """The metadata columns named in the slices, aligned with the examples' rows."""
    table = read_table(path, string_columns=(opts.id_column,))
    if opts.id_column not in table.column_names:
        raise InputError(f"no id column {opts.id_column!r}", file=path)
    for column in sorted(wanted):
        if column not in table.column_names:
            raise InputError(f"no slice column {column!r} (columns: {', '.join(table.column_names[:8])})", file=path)
    ids = pc.cast(table.column(opts.id_column).combine_chunks(), pa.string())
    where = pc.index_in(ex.ids, value_set=ids)
    if where.null_count and not opts.allow_partial:
        shown = ", ".join(repr(v) for v in ex.ids.filter(where.is_null())[:3].to_pylist())
        raise InputError(f"{where.null_count} ids have no metadata (e.g. {shown}); use --allow-partial", file=path)
    return {c: table.column(c).combine_chunks().take(where) for c in wanted}


def slice_section(
    ex: Examples,
    columns: dict[str, pa.Array],
    settings: SliceOptions,
    opts: Options,
    thresholds: np.ndarray,
    old_right: np.ndarray | None = None,
) -> dict[str, Any]:
    """The ``slices`` list, flagged first, and what the page needs to say about it."""
    score = _per_example_correctness(ex, thresholds)
    weight = np.ones(ex.n_examples) if ex.weight is None else ex.weight
    coded = {c: _codes(values, settings.bins) for c, values in columns.items()}
    found, seen = [], set()
    for spec in settings.specs:
        for value, rows in _groups([coded[c] for c in spec]):
            key = hashlib.sha1(rows.tobytes()).hexdigest()
            if key in seen:
                continue
            seen.add(key)
            found.append(_slice(ex, spec, value, rows, score, weight, settings, opts, thresholds, old_right))
    _benjamini_hochberg(found, settings.fdr)
    found.sort(key=lambda s: (not s["flagged"], s["gap"] if s["flagged"] else -s["n_examples"]))
    _keep_grids(found)
    return {
        "slices": found,
        "slice_settings": {"fdr": settings.fdr, "min_size": settings.min_size, "bins": settings.bins,
                           "grid_cap": GRID_CAP, "test": "per-example correctness, slice vs rest, one-sided"},
    }


def _per_example_correctness(ex: Examples, thresholds: np.ndarray) -> np.ndarray:
    predicted = predicted_classes(ex, thresholds)
    if ex.y_multi is None:
        return (predicted == ex.y_true).astype(np.float64)
    return (predicted == ex.y_multi).mean(axis=1)


def _codes(values: pa.Array, bins: int) -> tuple[np.ndarray, list[str]]:
    """(code per row, label per code); numbers with many values become quantile bins."""
    kind = values.type
    numeric = pa.types.is_integer(kind) or pa.types.is_floating(kind)
    if numeric and len(pc.unique(values.drop_null())) > bins:
        return _quantile_bins(values, bins)
    text = pc.fill_null(pc.cast(values, pa.string()), MISSING)
    encoded = pc.dictionary_encode(text)
    labels = encoded.dictionary.to_pylist()
    order = np.argsort(np.array(labels, dtype=object), kind="stable")
    rank = np.empty(len(labels), dtype=np.int64)
    rank[order] = np.arange(len(labels))
    return rank[encoded.indices.to_numpy(zero_copy_only=False)], [labels[i] for i in order]


def _quantile_bins(values: pa.Array, bins: int) -> tuple[np.ndarray, list[str]]:
    data = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
    present = data[~np.isnan(data)]
    edges = np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, data, side="right") - 1, 0, len(edges) - 2)
    labels = [f"[{_num(a)}, {_num(b)}{']' if i == len(edges) - 2 else ')'}" for i, (a, b) in enumerate(zip(edges[:-1], edges[1:]))]
    missing = np.isnan(data)
    if missing.any():
        which = np.where(missing, len(labels), which)
        labels.append(MISSING)
    return which, labels


def _num(x: float) -> str:
    return f"{x:.4g}"


def _groups(coded: list[tuple[np.ndarray, list[str]]]):
    key = np.zeros(len(coded[0][0]), dtype=np.int64)
    for codes, labels in coded:
        key = key * len(labels) + codes
    order = np.argsort(key, kind="stable")
    sorted_keys = key[order]
    starts = np.flatnonzero(np.diff(sorted_keys, prepend=-1))
    for start, end in zip(starts, np.append(starts[1:], len(order))):
        value, rest = [], int(sorted_keys[start])
        for codes, labels in reversed(coded):
            value.append(labels[rest % len(labels)])
            rest //= len(labels)
        yield list(reversed(value)), np.sort(order[start:end])


def _slice(ex, spec, value, rows, score, weight, settings, opts, thresholds, old_right) -> dict[str, Any]:
    part = ex.subset(rows)
    stats = from_examples(part, opts.threshold, opts.class_thresholds, grid=opts.grid)
    evaluation = evaluate_statistics(stats, opts.grid, (), max_curve_points=2)
    summary = {m: evaluation.summary[m] for m in HEADLINE}
    at = evaluation.per_class
    entry: dict[str, Any] = {
        "by": list(spec),
        "value": value,
        "n_examples": part.n_examples,
        "summary": summary,
        "counts": {k: sum(c["at_threshold"][k] for c in at) for k in ("tp", "fp", "fn")},
        "intervals": None,
        "tested": part.n_examples >= settings.min_size and part.n_examples < ex.n_examples,
        "flagged": False,
        "p_value": None,
        "q_value": None,
        "gap": None,
        "gap_interval": None,
        "_grid": _summed_grid(evaluation.threshold_grid),
    }
    if old_right is not None:
        entry["churn"] = churn_counts(score[rows] == 1.0 if ex.y_multi is None else _exact(ex, rows, thresholds),
                                      old_right[rows], None if ex.weight is None else ex.weight[rows])
    if entry["tested"]:
        entry.update(_test(score, weight, rows))
        entry["intervals"] = _intervals(part, stats, summary, opts, thresholds)
    return entry


def _summed_grid(grid: dict[str, Any] | None) -> dict[str, list[int | float]] | None:
    """TP, FP and FN summed over the classes at each grid threshold (none without scores)."""
    if grid is None:
        return None
    return {k: [sum(v) for v in zip(*(g[k] for g in grid["classes"].values()))] for k in ("tp", "fp", "fn")}


def _exact(ex, rows, thresholds):
    predicted = predicted_classes(ex.subset(rows), thresholds)
    return np.all(predicted == ex.y_multi[rows], axis=1)


def _test(score: np.ndarray, weight: np.ndarray, rows: np.ndarray) -> dict[str, Any]:
    """Welch-style z-test of mean correctness, slice against the rest (one-sided: worse).
    Weighted examples: weighted means, and variances over Kish's effective sizes (the
    ordinary test when every weight is 1)."""
    inside = np.zeros(len(score), dtype=bool)
    inside[rows] = True
    (mean_a, var_a), (mean_b, var_b) = _weighted_moments(score[inside], weight[inside]), \
        _weighted_moments(score[~inside], weight[~inside])
    gap = float(mean_a - mean_b)
    se = math.sqrt(var_a + var_b) if np.isfinite(var_a) and np.isfinite(var_b) else 0.0
    if se == 0:
        p = 0.0 if gap < 0 else 1.0
    else:
        p = 0.5 * math.erfc(-(gap / se) / math.sqrt(2.0))
    return {"gap": gap, "gap_interval": [gap - 1.96 * se, gap + 1.96 * se], "p_value": float(p)}


def _weighted_moments(values: np.ndarray, weight: np.ndarray) -> tuple[float, float]:
    """(weighted mean, variance of that mean): the sample variance over the effective size
    (sum w)^2 / sum w^2; the variance is NaN below two effective examples."""
    total = float(weight.sum())
    if total == 0:
        return float("nan"), float("nan")
    mean = float(np.dot(weight, values) / total)
    size = total * total / float(np.dot(weight, weight))
    if size <= 1:
        return mean, float("nan")
    variance = float(np.dot(weight, (values - mean) ** 2) / total) * size / (size - 1)
    return mean, variance / size


def _intervals(part: Examples, stats, summary, opts: Options, thresholds) -> dict[str, Any] | None:
    if not opts.n_bootstrap:
        return None
    plan = bootstrap.plan(min(opts.n_bootstrap, SLICE_RESAMPLES), opts.seed, len(part.classes))
    reps = bootstrap.replicates_of(part, plan, thresholds, stats.per_class, (opts.at_precision, opts.at_recall))
    return {m: bootstrap.interval(reps.values[m], _shift(summary[m], reps.full_binned[m])) for m in HEADLINE}


def _shift(exact: float | None, binned: float) -> float:
    return float(exact - binned) if exact is not None and np.isfinite(binned) else 0.0


def _benjamini_hochberg(found: list[dict[str, Any]], fdr: float) -> None:
    tested = [s for s in found if s["tested"]]
    if not tested:
        return
    p = np.array([s["p_value"] for s in tested])
    order = np.argsort(p, kind="stable")
    ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    q_values = np.empty(len(p))
    q_values[order] = np.minimum(q, 1.0)
    for s, qv in zip(tested, q_values):
        s["q_value"] = float(qv)
        s["flagged"] = bool(qv <= fdr and s["gap"] < 0)


def _keep_grids(found: list[dict[str, Any]]) -> None:
    by_size = sorted(range(len(found)), key=lambda i: -found[i]["n_examples"])[:GRID_CAP]
    keep = set(by_size)
    for i, s in enumerate(found):
        grid = s.pop("_grid")
        if i in keep and grid is not None:
            s["grid"] = grid
