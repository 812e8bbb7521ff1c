"""Charts of the analysis sections (splits, training history); specs only, no HTML."""
from __future__ import annotations

from typing import Any

import altair as alt

PALETTE = ["#0b5cad", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9"]


def split_chart(splits: dict[str, Any]) -> alt.Chart:
    """Per-split accuracy, macro F1 and ROC AUC, with the mean across splits."""
    metrics = [m for m in ("accuracy", "macro_f1", "roc_auc_macro") if splits["mean"].get(m) is not None]
    rows = [
        {"split": name, "metric": m, "value": part["summary"][m]}
        for name, part in splits["per_split"].items()
        for m in metrics
        if part["summary"][m] is not None
    ]
    means = [{"metric": m, "mean": splits["mean"][m]} for m in metrics]
    points = (
        alt.Chart(alt.Data(values=rows))
        .mark_point(filled=True, size=70)
        .encode(
            x=alt.X("split:N", title=splits["column"], sort=splits["names"]),
            y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
            color=alt.Color("metric:N", scale=alt.Scale(range=PALETTE), legend=alt.Legend(title=None, orient="bottom")),
            shape=alt.Shape("metric:N", legend=None),
            tooltip=["split:N", "metric:N", alt.Tooltip("value:Q", format=".4f")],
        )
    )
    rule = (
        alt.Chart(alt.Data(values=means))
        .mark_rule(strokeDash=[4, 3])
        .encode(y="mean:Q", color=alt.Color("metric:N", scale=alt.Scale(range=PALETTE), legend=None),
                tooltip=["metric:N", alt.Tooltip("mean:Q", format=".4f", title="mean across splits")])
    )
    return (points + rule).properties(width=520, height=220, title="Metrics per split (dashed: mean)")


def history_charts(history: dict[str, Any]) -> list[tuple[str, alt.Chart]]:
    """One chart per metric: a line per split, a rule at the best validation step."""
    charts = []
    for metric in history["metrics"]:
        rows = [
            {"step": step, "value": value, "split": split}
            for split, series in history["series"][metric].items()
            for step, value in zip(series["steps"], series["values"])
        ]
        lines = (
            alt.Chart(alt.Data(values=rows))
            .mark_line(point=alt.OverlayMarkDef(size=18))
            .encode(
                x=alt.X("step:Q", title=history["step_column"]),
                y=alt.Y("value:Q", title=metric, scale=alt.Scale(zero=False)),
                color=alt.Color("split:N", scale=alt.Scale(range=PALETTE), legend=alt.Legend(title=None, orient="bottom")),
                strokeDash=alt.StrokeDash("split:N", legend=None),
                tooltip=["split:N", "step:Q", alt.Tooltip("value:Q", format=".4f")],
            )
        )
        layers = [lines]
        if history.get("best_step") is not None:
            best = alt.Chart(alt.Data(values=[{"step": history["best_step"], "label": "best validation step"}]))
            layers.append(best.mark_rule(color="#57606a", strokeDash=[2, 2]).encode(x="step:Q", tooltip=["label:N", "step:Q"]))
        start = (history.get("overfitting") or {}).get("start_step")
        if start is not None:
            over = alt.Chart(alt.Data(values=[{"step": start, "label": "overfitting starts"}]))
            layers.append(over.mark_rule(color="#a40e26").encode(x="step:Q", tooltip=["label:N", "step:Q"]))
        charts.append((metric, alt.layer(*layers).properties(width=360, height=200, title=metric)))
    return charts
