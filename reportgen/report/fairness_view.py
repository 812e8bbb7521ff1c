"""What the page's fairness section shows (``templates/_fairness.html.j2``): each group's
rates with their intervals, the disparities across each column's groups, the chart of each
rate by group, and the per-group thresholds that would equalize a chosen rate."""
from __future__ import annotations

from typing import Any, Iterator


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
CHART_RATES = {"selection_rate": "Selection rate", "tpr": "True-positive rate", "fpr": "False-positive rate",
               "precision": "Precision"}  # the chart's panels (the page script's RATE_TITLES)
EQUALISED_NAMES = {"tpr": "true-positive rate (equal opportunity)", "fpr": "false-positive rate",
                   "selection_rate": "selection rate (demographic parity)"}


def group_label(by: list[str], value: list[str]) -> str:
    """``sex=F`` or ``sex=F · band=a``."""
    return " · ".join(f"{b}={v}" for b, v in zip(by, value))


def fairness_context(report: dict[str, Any]) -> dict[str, Any] | None:
    """The section's context, or None without ``--group-by`` (``chart``: what the page's
    ``fairness_figure`` draws)."""
    section = report.get("fairness")
    if not section:
        return None
    if section["class"] is not None:
        name, part = section["class"], section
    else:
        name, part = next(iter(section["per_class"].items()))
    groups = [{**g, "label": group_label(g["by"], g["value"]), "index": i} for i, g in enumerate(part["groups"])]
    gaps = [{**d, "label": " × ".join(d["by"]), "class": n} for n, _, d in disparities(report)]
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
        "chart": {"title": "Each rate by group, with its interval", "groups": [g["label"] for g in groups],
                  "rows": chart_rows(part, report)},
        "task": report["task"],
        "weighted": bool((report.get("inputs") or {}).get("weighted")),
    }


def chart_rows(part: dict[str, Any], report: dict[str, Any]) -> list[dict[str, Any]]:
    """The chart's rows at the report's threshold (the page script's ``fairnessRows`` makes
    the same at any threshold of the grid)."""
    rows = []
    for rate, title in CHART_RATES.items():
        for g in part["groups"]:
            if g[rate] is None:
                continue
            low, high = (g["intervals"] or {}).get(rate) or (None, None)
            rows.append({"rate": title, "group": group_label(g["by"], g["value"]), "value": g[rate], "low": low,
                         "high": high, "overall": part["overall"][rate], "small": g["small"]})
    return rows


SUMMARY_DISPARITIES = ("equalized_odds_difference", "demographic_parity_difference", "demographic_parity_ratio")


def fairness_parts(section: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(class, part) of every class compared: one, or each under ``per_class``."""
    if section["class"] is not None:
        return [(section["class"], section)]
    return list(section["per_class"].items())


def disparities(report: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(class, part, disparity) of every column grouped by, class by class (the parts of
    ``fairness_parts``); nothing without ``--group-by``."""
    section = report.get("fairness")
    if not section:
        return
    for cls, part in fairness_parts(section):
        for d in part["disparities"]:
            yield cls, part, d


def summary_lines(report: dict[str, Any], name=lambda text: text) -> list[str]:
    """One line per class compared and column grouped by (Markdown and email): the
    equalized odds and demographic parity differences and the demographic parity ratio
    with their intervals, and the groups too small to compare (``name``: escapes user text)."""
    section, lines = report.get("fairness"), []
    for cls, part, d in disparities(report):
        values = []
        for key in SUMMARY_DISPARITIES:
            value, interval = d[key]["value"], d[key]["interval"]
            text = "—" if value is None else f"{value:.3f}"
            if interval:
                text += f" (95% {interval[0]:.3f} to {interval[1]:.3f})"
            values.append(f"{DISPARITY_NAMES[key]} {text}")
        small = [g for g in part["groups"] if g["by"] == d["by"] and g["small"]]
        note = ""
        if small:
            shown = ", ".join(f"{name(group_label(g['by'], g['value']))}: {g['n_examples']}" for g in small[:5])
            more = f" and {len(small) - 5} more" if len(small) > 5 else ""
            note = (f"; {len(small)} {'group' if len(small) == 1 else 'groups'} under {section['min_group_size']} "
                    f"examples left out ({shown}{more})")
        where = f" at threshold {report['threshold']:g}" if section["decisions"] == "threshold" else ""
        lines.append(f"Fairness of {name(cls)}{where} across {name(' × '.join(d['by']))} "
                     f"({d['groups_compared']} groups): " + ", ".join(values) + note)
    return lines


def card_metrics(report: dict[str, Any]) -> list[tuple[str, str, float]]:
    """(metric type, name, value) of every defined disparity, for the model card's
    ``model-index`` (type: the disparity's key; name says across what and for which class)."""
    return [(key, f"{words[0].upper() + words[1:]} across {' × '.join(d['by'])} ({cls})", d[key]["value"])
            for cls, _, d in disparities(report)
            for key, words in DISPARITY_NAMES.items() if d[key]["value"] is not None]
