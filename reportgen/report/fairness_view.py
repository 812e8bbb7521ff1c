"""What the page's fairness section shows (``templates/_fairness.html.j2``): each group's
rates with their intervals, the disparities across each column's groups, the chart of each
rate by group, and the per-group thresholds that would equalize a chosen rate."""
from __future__ import annotations

from typing import Any

from reportgen.report import charts
from reportgen.report.figures import figure

RATE_NAMES = {"base_rate": "base rate", "selection_rate": "selection rate", "tpr": "TPR (recall)", "fpr": "FPR",
              "fnr": "FNR", "precision": "precision", "accuracy": "accuracy", "roc_auc": "ROC AUC"}
DISPARITY_NAMES = {
    "demographic_parity_difference": "demographic parity difference",
    "demographic_parity_ratio": "demographic parity ratio",
    "equalized_odds_difference": "equalized odds difference",
    "equal_opportunity_difference": "equal opportunity difference",
    "predictive_parity_difference": "predictive parity difference",
    "auc_gap": "ROC AUC gap",
}
EQUALISED_NAMES = {"tpr": "true-positive rate (equal opportunity)", "fpr": "false-positive rate",
                   "selection_rate": "selection rate (demographic parity)"}


def group_label(by: list[str], value: list[str]) -> str:
    """``sex=F`` or ``sex=F · band=a``."""
    return " · ".join(f"{b}={v}" for b, v in zip(by, value))


def fairness_context(report: dict[str, Any]) -> dict[str, Any] | None:
    """The section's context, or None without ``--group-by``."""
    section = report.get("fairness")
    if not section:
        return None
    if section["class"] is not None:
        name, part = section["class"], section
    else:
        name, part = next(iter(section["per_class"].items()))
    groups = [{**g, "label": group_label(g["by"], g["value"]), "index": i} for i, g in enumerate(part["groups"])]
    gaps = [{**d, "label": " × ".join(d["by"]), "class": n}
            for n, p in ([(name, part)] if section["class"] is not None else section["per_class"].items())
            for d in p["disparities"]]
    rows = chart_rows(part, report)
    figured = figure("fairness", "Each rate by group, with its interval", charts.fairness_chart([g["label"] for g in groups]),
                     {"fairness_rows": rows}, report["threshold"])
    return {
        "class": name,
        "per_class": section["class"] is None,
        "classes": list(section.get("per_class") or [name]),
        "min_size": section["min_group_size"],
        "small": [g for g in groups if g["small"]],
        "groups": groups,
        "gaps": gaps,
        "overall": part["overall"],
        "rates": RATE_NAMES,
        "disparities": DISPARITY_NAMES,
        "equalised": EQUALISED_NAMES,
        "n_resamples": section["n_resamples"],
        "own_labels": section["decisions"] == "model labels",
        "sliding": any("grid" in g for g in groups) and section["decisions"] == "threshold",
        "figure": figured,
        "task": report["task"],
        "weighted": bool((report.get("inputs") or {}).get("weighted")),
    }


def chart_rows(part: dict[str, Any], report: dict[str, Any]) -> list[dict[str, Any]]:
    """The chart's rows at the report's threshold (the page script's ``fairnessRows`` makes
    the same at any threshold of the grid)."""
    rows = []
    for rate, title in charts.FAIRNESS_RATES.items():
        for g in part["groups"]:
            if g[rate] is None:
                continue
            low, high = (g["intervals"] or {}).get(rate) or (None, None)
            rows.append({"rate": title, "group": group_label(g["by"], g["value"]), "value": g[rate], "low": low,
                         "high": high, "overall": part["overall"][rate], "small": g["small"]})
    return rows
