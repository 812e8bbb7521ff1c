"""Context for the page's analysis sections: splits, history, slices, mistakes, churn.

Only JSON-ready values and rendered static SVG cross into the template.
"""
from __future__ import annotations

from typing import Any

from reportgen.analysis.mistakes import PER_CONFUSION
from reportgen.report.figures import label_only

SLICE_ROWS = 200  # slices listed in the table (flagged ones always first)


def analysis_context(report: dict[str, Any], figures: dict[str, Any]) -> dict[str, Any]:
    """What ``_analysis.html.j2`` needs; ``figures`` holds the static charts (see ``figures``)."""
    context: dict[str, Any] = {}
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
        }
    context["label_only"] = label_only(report)
    context["per_confusion"] = PER_CONFUSION
    for key in ("top_confusions", "confident_mistakes", "label_issues", "churn"):
        if report.get(key):
            context[key] = report[key]
    return context
