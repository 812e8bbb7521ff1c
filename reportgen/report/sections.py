"""Context for the page's analysis sections: splits, history, slices, mistakes, churn.

Only JSON-ready values and rendered static SVG cross into the template.
"""
from __future__ import annotations

from typing import Any

from reportgen.report.analysis_charts import history_charts, split_chart

SLICE_ROWS = 200  # slices listed in the table (flagged ones always first)


def analysis_context(report: dict[str, Any], to_svg) -> dict[str, Any]:
    """What ``_analysis.html.j2`` needs; ``to_svg`` renders a Vega-Lite spec."""
    keys = ("splits", "history", "slices", "top_confusions", "confident_mistakes", "label_issues", "churn")
    context: dict[str, Any] = dict.fromkeys(keys)
    splits = report.get("splits")
    if splits:
        context["splits"] = {**splits, "svg": to_svg(split_chart(splits).to_dict(validate=False))}
    history = report.get("history")
    if history:
        context["history"] = {
            **history,
            "charts": [{"metric": m, "svg": to_svg(c.to_dict(validate=False))} for m, c in history_charts(history)],
        }
    slices = report.get("slices")
    if slices is not None:
        context["slices"] = {
            "rows": [{**s, "index": i} for i, s in enumerate(slices[:SLICE_ROWS])],
            "flagged": [s for s in slices if s["flagged"]],
            "total": len(slices),
            "settings": report.get("slice_settings", {}),
        }
    for key in ("top_confusions", "confident_mistakes", "label_issues", "churn"):
        if report.get(key):
            context[key] = report[key]
    return context
