"""The generative report's page: static (no scripts needed), in the report's style."""
from __future__ import annotations

from typing import Any

from reportgen.report.charts import loss_histogram
from reportgen.report.embed import data_island
from reportgen.report.templating import render_template, template_folder

HELP = {
    "token_accuracy": "Share of positions where the model's top token is the true token.",
    "loss": "Mean negative log-probability of the true token, in nats per token; lower is better.",
    "perplexity": "exp(loss): the model is as unsure as a uniform pick among this many tokens.",
    "uniform_loss": "The loss of guessing uniformly over the vocabulary, ln(vocab size): a loss near it reads as random.",
}
LOWER_IS_BETTER = {"loss", "perplexity"}


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
    for key in ("token_accuracy", "loss", "perplexity", "uniform_loss"):
        value, delta = summary.get(key), deltas.get(key)
        better = None if delta in (None, 0) else (delta < 0 if key in LOWER_IS_BETTER else delta > 0)
        tiles.append({"key": key, "value": value, "delta": delta, "better": better, "help": HELP[key],
                      "percent": key == "token_accuracy"})
    return tiles


def _stylesheet() -> str:
    path = template_folder() / "report.css"
    return path.read_text("utf-8") if path.is_file() else ""
