"""What the page's decisions section shows: the gains table and KS, the net-benefit and
expected-cost charts, and the editable cost table (``templates/_decisions.html.j2``)."""
from __future__ import annotations

from typing import Any

from reportgen.costs import BAYES_CLASSES
from reportgen.report.view import MANY_CLASSES

CELLS = ("tp", "fp", "fn", "tn")
CELL_NAMES = {"tp": "true positive", "fp": "false positive", "fn": "false negative", "tn": "true negative"}
NOTES = {
    "net-benefit": "The benefit of acting on the model at each threshold probability pt, in true positives per "
                   "example, after charging each false positive pt/(1 − pt) of a true positive (Vickers & Elkin). "
                   "The model is worth using where its line is above both treat all (dotted) and treat none (0). "
                   "Positive = score above pt. With a baseline (dashed), the shading is the 95% paired bootstrap "
                   "interval of the model's difference from it, drawn from the baseline: where it clears the dashed "
                   "line, the model's gain is beyond chance.",
    "expected-cost": "The mean cost per example of the decisions at each threshold (positive = score above it) under "
                     "the costs below; the dotted rule marks the threshold of least cost, the solid one the current "
                     "threshold.",
}


def decisions_context(report: dict[str, Any], figures: dict[str, Any]) -> dict[str, Any] | None:
    """The section's context, or None when the report has neither gains nor costs."""
    gains, costs = report.get("gains"), report.get("costs")
    if gains is None and costs is None:
        return None
    context: dict[str, Any] = {
        "charts": [{**f, "note": NOTES[f["id"]]} for f in figures.get("decisions", [])],
        "net_benefit_per_class": report.get("net_benefit") is not None and "per_class" in report["net_benefit"],
    }
    if gains is not None and "bins" in gains:
        context["gains"] = {**gains, "class": report.get("positive_class")}
    elif gains is not None:
        context["class_gains"] = [{"class": name, "ks": g["ks"], "top": g["bins"][0] if g["bins"] else None}
                                  for name, g in gains["per_class"].items()]
        context["classes_left_out"] = len(report["classes"]) - len(gains["per_class"])
    if costs is not None:
        context["costs"] = _costs(report, costs)
    return context


def _cost_note(report: dict[str, Any], costs: dict[str, Any]) -> str | None:
    """What the cost figures leave out, and why."""
    notes = []
    if costs.get("best") is not None and costs["best"].get("interval") is None:
        notes.append("The least-cost threshold has no bootstrap interval (built without a bootstrap"
                     + (", or past 40 classes)." if report["task"] == "multilabel" else ")."))
    if report["task"] == "multiclass" and costs.get("bayes") is None:
        notes.append(f"The cost-minimising decision per example is not computed ({'no scores' if report.get('threshold_grid') is None else 'past ' + str(BAYES_CLASSES) + ' classes'}).")
    return " ".join(notes) or None


def _cost_edit_note(costs: dict[str, Any]) -> str | None:
    """What editing a cost does to the figures built with the report's costs (the page
    script's doing: shown only where scripts run)."""
    interval = bool(costs.get("best") and costs["best"].get("interval"))
    bayes = bool(costs.get("bayes"))
    if not (interval or bayes):
        return None
    what = ("The interval and the cost-minimising decision are" if interval and bayes
            else "The interval is" if interval else "The cost-minimising decision is")
    return f"{what} for the costs the report was built with; editing a cost hides {'them' if interval and bayes else 'it'}."


def _costs(report: dict[str, Any], costs: dict[str, Any]) -> dict[str, Any]:
    """The cost table's rows (one number input per cost) and the figures the JSON was built with."""
    task = report["task"]
    if task == "binary":
        rows = [{"class": "", "cells": [(c, costs["binary"][c]) for c in CELLS]}]
    elif task == "multilabel":
        rows = [{"class": name, "cells": [(c, cells["costs"][c]) for c in CELLS]}
                for name, cells in costs["per_class"].items()]
    else:
        rows = []
    matrix = costs.get("matrix") if task == "multiclass" and len(report["classes"]) <= MANY_CLASSES else None
    return {"task": task, "rows": rows, "matrix": matrix, "classes": report["classes"], "cell_names": CELL_NAMES,
            "best": costs.get("best"), "at_threshold": costs["at_threshold"], "bayes": costs.get("bayes"),
            "note": _cost_note(report, costs),
            "edit_note": _cost_edit_note(costs),
            "recomputes": ("the curve and the least-cost threshold" if costs.get("curve") is not None
                           else "the cost of the highest-score decisions"),
            "editable": costs.get("curve") is not None or (matrix is not None
                                                            and report["confusion_matrix"].get("counts") is not None)}
