"""What the page's decisions section shows: the gains table and KS, the net-benefit and
expected-cost charts, and the editable cost table (``templates/_decisions.html.j2``); and
the sentences the Markdown summary and the email say of them (``decision_lines``)."""
from __future__ import annotations

from typing import Any, Callable

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


def _plain(text: str) -> str:
    return text


def decision_lines(report: dict[str, Any], name: Callable[[str], str] = _plain,
                   strong: Callable[[str], str] = _plain) -> list[str]:
    """One sentence each for KS and lift, net benefit and expected cost (the least-cost
    threshold, and the cost-minimising decisions), when the report has them: the Markdown
    summary's lines and the email's. ``name`` escapes user text (a class name); ``strong``
    marks each sentence's subject (Markdown: bold)."""
    return [line for line in (_gains_line(report.get("gains"), report.get("positive_class"), name, strong),
                              _benefit_line(report.get("net_benefit"), report.get("threshold"), strong),
                              _cost_line(report.get("costs"), strong)) if line]


def _gains_line(gains: dict[str, Any] | None, positive: str | None, name: Callable[[str], str],
                strong: Callable[[str], str]) -> str:
    if not gains:
        return ""
    if "bins" in gains:
        ks, top = gains["ks"], (gains["bins"] or [None])[0]
        if ks["statistic"] is None or top is None:
            return ""
        at = f" at score ≥ {ks['threshold']:.4g}" if ks["threshold"] is not None else ""
        return (f"{strong('KS')} {ks['statistic']:.3f}{at} ({name(positive)} positive); the top "
                f"{100 * top['cumulative_share']:.0f}% of scores: lift {top['lift']:.2f}, "
                f"{100 * top['cumulative_capture_rate']:.1f}% of the positives")
    known = [(g["ks"]["statistic"], c) for c, g in gains["per_class"].items() if g["ks"]["statistic"] is not None]
    if not known:
        return ""
    (low, worst), (high, best) = min(known), max(known)
    return f"{strong('KS')} (one-vs-rest) from {low:.3f} ({name(worst)}) to {high:.3f} ({name(best)})"


def _benefit_line(benefit: dict[str, Any] | None, threshold: float | None, strong: Callable[[str], str]) -> str:
    if not benefit:
        return ""
    if "model" in benefit:
        useful = [t for t, m, a in zip(benefit["thresholds"], benefit["model"], benefit["treat_all"]) if m > max(a, 0.0)]
        if not useful:
            return f"{strong('Net benefit')}: the model beats neither treat all nor treat none at any threshold probability"
        return (f"{strong('Net benefit')} above treat all and treat none at {len(useful)} of {len(benefit['thresholds'])} "
                f"threshold probabilities, from {useful[0]:.2f} to {useful[-1]:.2f}")
    curves = benefit["per_class"].values()
    if threshold is None or not curves:
        return ""
    at = next(iter(curves))["thresholds"].index(threshold) if threshold in next(iter(curves))["thresholds"] else None
    if at is None:
        return ""
    ahead = sum(c["model"][at] > max(c["treat_all"][at], 0.0) for c in curves)
    return (f"{strong('Net benefit')} (one-vs-rest) at threshold probability {threshold:g}: above treat all and "
            f"treat none for {ahead} of {len(curves)} classes")


def _cost_line(costs: dict[str, Any] | None, strong: Callable[[str], str]) -> str:
    if not costs:
        return ""
    spent = costs["at_threshold"]
    where = (f"at the threshold {spent['threshold']:g}" if spent["threshold"] is not None
             else "at the highest score's class" if costs.get("matrix") is not None and costs.get("binary") is None
             and costs.get("per_class") is None else "at the model's own labels")
    line = f"{strong('Expected cost')} {spent['expected_cost']:.4g} per example {where}"
    if costs.get("best"):
        best = costs["best"]
        line += f"; least on the grid {best['expected_cost']:.4g} at {best['threshold']:.2f}"
        if best.get("interval"):
            line += f" (95% interval of that threshold {best['interval'][0]:.2f} to {best['interval'][1]:.2f})"
    bayes = costs.get("bayes")
    if bayes and bayes.get("expected_cost") is not None:
        line += (f"; deciding each example by least expected cost: {bayes['expected_cost']:.4g} per example, "
                 f"accuracy {100 * bayes['accuracy']:.1f}%, {100 * bayes['changed_share']:.1f}% of decisions change")
    return line
