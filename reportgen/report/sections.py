"""Context for the page's analysis sections: splits, history, slices, mistakes, churn;
and the rows of the matched operating points table.

Only JSON-ready values and rendered static SVG cross into the template.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from reportgen import registry
from reportgen.report.view import label_only
from reportgen.report.templating import any_input

SLICE_ROWS = 200  # slices listed in the table (flagged ones always first)
CLASS_ROWS = 60  # per-class rows of the churn and operating-points tables in the HTML; past it, the worst


def analysis_context(report: dict[str, Any], figures: dict[str, Any]) -> dict[str, Any]:
    """What ``_analysis.html.j2`` needs; ``figures`` holds the static charts (see ``figures``)."""
    context: dict[str, Any] = {"metrics": headline_keys(report)}
    splits = report.get("splits")
    if splits:
        context["splits"] = {**splits, "svg": figures["splits_svg"]}
    history = report.get("history")
    if history:
        context["history"] = {**history, "charts": figures["history_svgs"]}
    slices = report.get("slices")
    if slices is not None:
        context["slices"] = {
            "rows": [{**s, "index": i} for i, s in enumerate(slices[:SLICE_ROWS])],
            "flagged": [s for s in slices if s["flagged"]],
            "total": len(slices),
            "settings": report.get("slice_settings", {}),
            "counted": _slice_counts_note(report),
        }
    context["label_only"] = label_only(report)
    for key in ("top_confusions", "confident_mistakes", "label_issues", "churn"):
        if report.get(key):
            context[key] = report[key]
    if report.get("churn"):
        context["churn_classes"] = churn_classes(report["churn"]["per_class"])
    context.update(list_context(report))
    return context


def _bounded(per_class: dict[str, Any], badness: np.ndarray) -> dict[str, Any]:
    """Every (class, entry) of ``per_class`` in its order up to CLASS_ROWS classes; past
    that the CLASS_ROWS with the highest ``badness`` (shape (classes,); NaN: none, last),
    highest first, ties in class order; ``left_out``: how many classes are not listed."""
    items = list(per_class.items())
    if len(items) <= CLASS_ROWS:
        return {"rows": items, "left_out": 0, "total": len(items)}
    order = np.argsort(-np.nan_to_num(badness, nan=-np.inf), kind="stable")[:CLASS_ROWS]
    return {"rows": [items[j] for j in order.tolist()], "left_out": len(items) - CLASS_ROWS, "total": len(items)}


def churn_classes(per_class: dict[str, Any]) -> dict[str, Any]:
    """The per-class churn table's rows: past CLASS_ROWS classes, those with the most
    broken examples (newly wrong), most first."""
    return _bounded(per_class, np.array([c["broken"] for c in per_class.values()], dtype=np.float64))


def operating_point_classes(operating_points: dict[str, Any]) -> dict[str, Any]:
    """The matched operating points table's rows: past CLASS_ROWS classes, those with the
    worst change against the baseline (the lower of a class's changes in recall at the
    target precision and precision at the target recall), worst first; classes with
    neither change defined come last."""
    per_class = operating_points["per_class"]
    changes = np.array([[np.nan if e[key].get("delta") is None else e[key]["delta"]
                         for key in ("recall_at_precision", "precision_at_recall")] for e in per_class.values()],
                       dtype=np.float64).reshape(len(per_class), 2)
    fall = np.full(len(per_class), np.nan)
    defined = ~np.isnan(changes).all(axis=1)
    fall[defined] = -np.nanmin(changes[defined], axis=1)
    return _bounded(per_class, fall)


def headline_keys(report: dict[str, Any]) -> tuple[str, ...]:
    """The summary keys the splits and slices tables show."""
    return ("accuracy", registry.f1_key(report["task"]), "roc_auc_macro", "log_loss")


def list_context(report: dict[str, Any]) -> dict[str, Any]:
    """What the example lists show beyond their items: the positive class whose score a
    binary list adds (None otherwise), what the broken examples are sorted by (``score``,
    ``decisiveness``, ``confusion`` or ``id``), each list's total and whether any item has
    an input (no "input" column otherwise)."""
    lists = {"label_issues": report.get("label_issues") or [],
             "confident_mistakes": report.get("confident_mistakes") or [],
             "broken_examples": (report.get("churn") or {}).get("broken_examples") or []}
    broken = lists["broken_examples"]
    if not broken:
        broken_order = None
    elif "decisiveness" in broken[0]:
        broken_order = "decisiveness"
    elif broken[0].get("score") is not None:
        broken_order = "score"
    else:
        broken_order = "confusion" if "actual" in broken[0] else "id"
    return {
        "positive": report.get("positive_class") if report["task"] == "binary" else None,
        "broken_order": broken_order,
        "totals": {"label_issues": report.get("label_issues_total"),
                   "confident_mistakes": report.get("confident_mistakes_total")},
        "with_inputs": {name: any_input(items) for name, items in lists.items()},
    }


def _slice_counts_note(report: dict[str, Any]) -> str:
    """What a slice's TP, FP and FN count (analysis.slices: ``_slice_counts``)."""
    decisions = "from the model's predicted labels" if label_only(report) else "at the threshold"
    if report["task"] == "binary":
        return f"TP, FP and FN are the positive class's ({report['positive_class']}), {decisions}"
    if report["task"] == "multilabel":
        return f"TP, FP and FN are summed over the labels, each label decided on its own {decisions}"
    return f"TP, FP and FN are one-vs-rest {decisions}, summed over the classes"
