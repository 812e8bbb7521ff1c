"""The page's figures: every chart's Vega-Lite spec and static SVG, from the chart view.

The chart view is the part of a report the charts read. It is complete as soon as the
metrics are, before the bootstrap and the per-example analyses, so the figures can be
made meanwhile in another process (``reportgen.report.render_worker``). Chart building
(altair) and rendering (vl-convert) are imported only when figures are made here.
"""
from __future__ import annotations

from typing import Any

from reportgen.report.view import MANY_CLASSES

WIDE_MATRIX = MANY_CLASSES  # beyond this many rows a matrix chart takes the page's width, at its own size

CHART_KEYS = (
    "task", "classes", "threshold", "n_examples", "summary", "per_class", "curves", "macro_curves",
    "threshold_grid", "confusion_matrix", "probability_matrix", "calibration", "baseline", "advice",
    "advice_overall", "splits", "history", "inputs", "positive_class", "net_benefit", "costs",
)


# Keys the examples' pass completes after the metrics (the least-cost threshold's interval,
# the Bayes decision, net benefit's band): only the decisions' figures read them.
LATE_KEYS = ("net_benefit", "costs")


def chart_view(report: dict[str, Any]) -> dict[str, Any]:
    """The keys of a report that the figures are made from (absent ones as None)."""
    return {key: report.get(key) for key in CHART_KEYS}


def build_figures(view: dict[str, Any]) -> dict[str, Any]:
    """Every figure of the page, JSON-ready: ``charts`` (id, title, note, hint: what only the
    live chart does, wide: a matrix shown at its own size across the page, spec as script
    JSON text, svg), ``splits_svg``, ``history_svgs`` (metric, svg) and ``decisions`` (id,
    title, spec, svg: the decisions section's charts, their data in their spec)."""
    from reportgen.report import charts, vega
    from reportgen.report.embed import script_json

    data = charts.datasets(view, view["threshold"])
    made = [
        {"id": key, "title": title, "note": charts.chart_note(view, key), "hint": charts.chart_hint(view, key),
         "wide": key in charts.MATRIX_CHARTS and charts.matrix_size(view) > WIDE_MATRIX, "spec": script_json(spec),
         "svg": vega.scoped_ids(vega.to_svg(charts.with_data(spec, data, view["threshold"])), key)}
        for key, title, spec in charts.iter_chart_specs(view)
    ]
    splits, history = view.get("splits"), view.get("history")
    return {
        "charts": made,
        "splits_svg": vega.scoped_ids(vega.to_svg(charts.split_chart(splits).to_dict(validate=False)), "splits")
        if splits else None,
        "decisions": decision_figures(view),
        "history_svgs": [{"metric": m, "svg": vega.scoped_ids(vega.to_svg(c.to_dict(validate=False)), f"history-{i}")}
                         for i, (m, c) in enumerate(charts.history_charts(history))] if history else [],
    }


def decision_figures(view: dict[str, Any]) -> list[dict[str, Any]]:
    """The decisions section's figures (id, title, spec, svg), the only ones drawn from
    ``LATE_KEYS``."""
    from reportgen.report import charts, vega
    from reportgen.report.embed import script_json

    return [_figure(charts, vega, script_json, view["threshold"], key, title, chart, data)
            for key, title, chart, data in charts.decision_charts(view)]


def _figure(charts, vega, script_json, threshold: float, key: str, title: str, chart,
            data: dict[str, list]) -> dict[str, Any]:
    """One figure whose data travels in its spec (inline, or its own ``datasets``): id, title,
    spec (script JSON) and static svg."""
    spec = chart.to_dict(validate=False)
    spec["config"] = {**charts.CONFIG, **spec.get("config", {})}
    if data:
        spec["datasets"] = data
    static = charts.with_data(spec, {}, threshold)
    return {"id": key, "title": title, "spec": script_json(spec),
            "svg": vega.scoped_ids(vega.to_svg(static), key)}


def fairness_figure(title: str, groups: list[str], rows: list[dict[str, Any]], threshold: float) -> dict[str, Any]:
    """The fairness chart, made once the report is complete (after the other figures): id,
    title, spec (script JSON, its rows in it) and static svg; ``groups``: the groups' labels
    in order, ``rows``: its ``fairness_rows``."""
    from reportgen.report import charts, vega
    from reportgen.report.embed import script_json

    return _figure(charts, vega, script_json, threshold, "fairness", title, charts.fairness_chart(groups),
                   {"fairness_rows": rows})
