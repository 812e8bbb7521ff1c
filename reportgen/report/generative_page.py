"""The generative report's page: static (no scripts needed), in the report's style."""
from __future__ import annotations

from typing import Any

from reportgen import registry
from reportgen.report.charts import loss_histogram
from reportgen.report.embed import data_island
from reportgen.report.templating import render_template, template_folder

TILES = ("token_accuracy", "loss", "perplexity", "uniform_loss")  # registry keys


def render_generative(report: dict[str, Any]) -> str:
    from reportgen.report.vega import to_svg

    meta = report.get("meta", {})
    return render_template(
        "generative.html.j2",
        report=report,
        meta=meta,
        tiles=_tiles(report),
        histogram_svg=to_svg(loss_histogram(report).to_dict(validate=False)),
        css=_stylesheet(),
        data_json=data_island(report),
    )


def _tiles(report: dict[str, Any]) -> list[dict[str, Any]]:
    summary, deltas = report["summary"], (report.get("deltas") or {}).get("summary", {})
    tiles = []
    for key in TILES:
        value, delta, metric = summary.get(key), deltas.get(key), registry.METRICS[key]
        tiles.append({"key": key, "label": metric.label, "value": value, "delta": delta,
                      "better": registry.improvement(key, delta), "help": metric.help,
                      "percent": metric.format == "ratio"})
    return tiles


def _stylesheet() -> str:
    path = template_folder() / "report.css"
    return path.read_text("utf-8") if path.is_file() else ""
