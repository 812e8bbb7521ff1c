"""A model against its baseline (and other models): deltas, paired bootstrap intervals
and matched operating points."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from reportgen import registry
from reportgen.analysis import bootstrap
from reportgen.evaluation import Evaluation
from reportgen.stats import Statistics

HEADLINE = ("accuracy", "macro_precision", "macro_recall", "macro_f1", "roc_auc_macro", "log_loss")
POSITIVE = ("precision", "recall", "f1")  # a binary task's positive class, at the threshold
EXACT = ("subset_accuracy",)  # a multilabel task's exact match
CLASS_METRICS = ("precision", "recall", "f1", "roc_auc", "average_precision")
OVERLAY_CLASSES = 12  # baseline curves per class are kept up to this many classes


@dataclass(frozen=True, eq=False)
class Model:
    """One model of a report: its name, statistics and evaluation."""

    name: str
    stats: Statistics
    evaluation: Evaluation


def compare_evaluations(name: str, main: Evaluation, others: list[tuple[str, Evaluation]]) -> dict[str, Any]:
    """Extra report sections: models, baseline and deltas, from each model's name and
    evaluation (the first of ``others`` is the baseline)."""
    sections: dict[str, Any] = {}
    if not others:
        return sections
    sections["models"] = [_model_row(name, main, "model")] + [
        _model_row(other, evaluation, "baseline" if i == 0 else "compare") for i, (other, evaluation) in enumerate(others)
    ]
    baseline_name, baseline = others[0]
    sections["baseline"] = {
        "name": baseline_name,
        "summary": baseline.summary,
        "per_class": baseline.per_class,
        "macro_curves": baseline.extras.get("macro_curves"),
    }
    if len(main.classes) <= OVERLAY_CLASSES:
        sections["baseline"]["curves"] = baseline.curves
    sections["deltas"] = _deltas(main, baseline)
    return sections


def _model_row(name: str, evaluation: Evaluation, role: str) -> dict[str, Any]:
    return {"name": name, "role": role, "summary": evaluation.summary}


def _deltas(new: Evaluation, old: Evaluation) -> dict[str, Any]:
    summary = {
        key: _minus(value, old.summary.get(key))
        for key, value in new.summary.items()
        if not isinstance(value, dict)
    }
    summary["top_k_accuracy"] = {
        k: _minus(v, old.summary["top_k_accuracy"].get(k)) for k, v in new.summary["top_k_accuracy"].items()
    }
    per_class = {
        a["class"]: {m: _minus(a[m], b[m]) for m in CLASS_METRICS} for a, b in zip(new.per_class, old.per_class)
    }
    return {"summary": summary, "per_class": per_class}


def _minus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else float(a - b)


def interval_sections(
    main: Model, baseline: Model | None, sums: bootstrap.Bootstrap, resampling: bootstrap.Resampling,
    targets: tuple[float, float],
) -> dict[str, Any]:
    """Paired bootstrap sections, intervals and operating_points, from ``sums`` (the
    group sums of the model and then the baseline, every chunk added). Every interval is
    ``bootstrap.interval``'s: BCa, carried to the exact value, inside the metric's range."""
    classes = main.stats.classes
    headline = HEADLINE + {"binary": POSITIVE, "multilabel": EXACT}.get(main.stats.task, ())
    new = bootstrap.replicate(sums.sums[0], resampling, targets)
    points = _points(main, targets, headline)
    auc = bootstrap.interval(new.draws("roc_auc"), points["roc_auc"], registry.value_range("roc_auc"))
    intervals: dict[str, Any] = {
        "summary": {m: _interval(new, points, m) for m in headline},
        "roc_auc": dict(zip(classes, auc)),
        "n_resamples": resampling.n_resamples,
        "seed": resampling.seed,
        "groups": resampling.n_groups,
        "method": "bca",
    }
    out: dict[str, Any] = {"intervals": intervals}
    old = old_points = None
    if baseline is not None:
        old = bootstrap.replicate(sums.sums[1], resampling, targets)
        old_points = _points(baseline, targets, headline)
        intervals["deltas"] = {m: _delta_interval(new, old, points, old_points, m) for m in headline}
        intervals["baseline"] = {m: _interval(old, old_points, m) for m in headline}
    if not main.stats.has_scores:  # operating points move a threshold over scores
        return out
    ops = {"target_precision": targets[0], "target_recall": targets[1], "model": main.name}
    ops["per_class"] = _ops_table(main, new, points, old, old_points)
    if baseline is not None:
        ops["baseline"] = baseline.name
    ops["macro"] = _ops_macro(ops["per_class"])
    out["operating_points"] = ops
    return out


def _points(model: Model, targets, headline: tuple[str, ...]) -> dict[str, Any]:
    """Exact whole-sample values: the points the binned intervals are carried to."""
    summary = model.evaluation.summary
    auc = np.array([np.nan if c["roc_auc"] is None else c["roc_auc"] for c in model.evaluation.per_class])
    at_precision, at_recall = zip(*(_exact_points(c, targets) for c in model.stats.per_class))
    return {
        **{m: np.nan if summary[m] is None else summary[m] for m in headline},
        "roc_auc": auc,
        "recall_at_precision": np.array(at_precision),
        "precision_at_recall": np.array(at_recall),
    }


def _exact_points(counts, targets) -> tuple[float, float]:
    if len(counts.scores) == 0:  # no scores (a label-only model): no operating point
        return float("nan"), float("nan")
    a, b = bootstrap.operating_points(counts.pos[None].astype(float), counts.neg[None].astype(float), targets)
    return float(a[0]), float(b[0])


def _interval(reps: bootstrap.Replicates, points, key) -> list[float] | None:
    return bootstrap.interval(reps.draws(key), points[key], registry.value_range(key))[0]


def _delta_intervals(new, old, new_points, old_points, key) -> list[list[float] | None]:
    """The paired interval of the change in ``key`` (of a per-class key, one per class)."""
    draws = new.draws(key).minus(old.draws(key))
    return bootstrap.interval(draws, new_points[key] - old_points[key], registry.delta_range(key))


def _delta_interval(new, old, new_points, old_points, key) -> list[float] | None:
    return _delta_intervals(new, old, new_points, old_points, key)[0]


def _ops_table(main: Model, new, points, old=None, old_points=None) -> dict[str, Any]:
    keys = ("recall_at_precision", "precision_at_recall")
    found = {key: bootstrap.interval(new.draws(key), points[key], registry.value_range(key)) for key in keys}
    changes = {key: _delta_intervals(new, old, points, old_points, key) for key in keys} if old is not None else {}
    table = {}
    for j, name in enumerate(main.stats.classes):
        entry = {}
        for key in keys:
            value = _finite(points[key][j])
            item = {"value": value, "interval": found[key][j]}
            if old is not None:
                base = _finite(old_points[key][j])
                item.update(
                    baseline=base,
                    delta=None if value is None or base is None else value - base,
                    delta_interval=changes[key][j],
                )
            entry[key] = item
        table[name] = entry
    return table


def _ops_macro(per_class: dict[str, Any]) -> dict[str, Any]:
    macro = {}
    for key in ("recall_at_precision", "precision_at_recall"):
        items = [entry[key] for entry in per_class.values()]
        macro[key] = {field: _mean([i.get(field) for i in items]) for field in ("value", "baseline", "delta")}
    return macro


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _mean(values: list) -> float | None:
    numbers = [v for v in values if v is not None]
    return float(np.mean(numbers)) if numbers else None

