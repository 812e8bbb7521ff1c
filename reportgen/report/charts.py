"""Every chart spec of reportgen, one function per chart, one palette (altair; no HTML here).

The report page's charts come first, then the analysis sections' (splits, training
history), the index's release history and the generative report's loss histogram.

Every chart reads named datasets (``datasets(report)`` builds them from the report; the
page's script builds the same ones from the embedded report data, so the data is not
repeated in each spec). Class names only ever appear as data values, never inside an
expression. Two parameters are shared: ``threshold`` (the slider) and ``highlight`` (the
class picked by the reader, "" for none).
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Callable, Iterator

import altair as alt
import numpy as np

from reportgen.matrices import confusion_cells, displayed
from reportgen.ratios import precision_recall_f1
from reportgen.report.fairness_view import CHART_RATES
from reportgen.report.view import MANY_CLASSES, decided, label_only, many, offered

MACRO = "macro average"
WIDTH, HEIGHT = 340, 300  # WIDTH: a fluid chart's plot when rendered statically (fits a phone unscaled)
# Colour-blind safe: Okabe-Ito without its pale yellow (too faint on white), then Paul Tol's darker hues.
PALETTE = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#997700",
           "#882255", "#44aa99", "#332288", "#aa4499"]
METRICS = ["precision", "recall", "f1"]
# Colour and dash both tell the metrics apart, so the chart survives greyscale printing.
METRIC_COLORS = alt.Scale(domain=METRICS, range=["#0072b2", "#d55e00", "#009e73"])
METRIC_DASHES = alt.Scale(domain=METRICS, range=[[6, 3], [2, 2], [1, 0]])
FLUID = "container"  # curve charts take their card's width in the browser (WIDTH when rendered statically)


def _threshold() -> alt.Parameter:
    return alt.param(name="threshold", value=0.5)


def _highlight() -> alt.Parameter:
    return alt.param(name="highlight", value="")


DIM = "highlight == '' || datum['class'] == highlight"  # a test: true keeps a mark at full strength


def roc_chart(report: dict[str, Any]) -> alt.Chart:
    return _curve_chart(report, "roc_curves", "fpr", "tpr", "False positive rate", "True positive rate")


def pr_chart(report: dict[str, Any]) -> alt.Chart:
    return _curve_chart(report, "pr_curves", "recall", "precision", "Recall", "Precision")


def _curve_color() -> alt.Color:
    """Colour by curve label (the class and its area); the legend follows the report's class order."""
    return alt.Color("label:N", title=None, sort=alt.EncodingSortField("order", op="min"), scale=alt.Scale(range=PALETTE),
                     legend=alt.Legend(orient="bottom", columns=2, labelLimit=240, symbolType="stroke"))


def _curve_chart(report, dataset: str, x: str, y: str, x_title: str, y_title: str) -> alt.Chart:
    show = "datum.macro || datum['class'] == highlight" if many(report) else "true"
    lines = (
        alt.Chart(alt.NamedData(dataset))
        .transform_filter(show)
        .transform_flatten([x, y])
        .mark_line(interpolate="linear")
        .encode(
            x=alt.X(f"{x}:Q", title=x_title, scale=alt.Scale(domain=[0, 1])),
            y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(domain=[0, 1])),
            color=_curve_color(),
            strokeDash=alt.StrokeDash("model_label:N", title=None, sort=alt.EncodingSortField("model_order", op="min"),
                                      legend=alt.Legend(orient="top", direction="vertical", labelLimit=320)
                                      if report.get("baseline") else None),
            detail="key:N",
            strokeWidth=alt.condition("datum.macro", alt.value(3), alt.value(1.75)),
            opacity=alt.value(1) if many(report) else alt.condition(DIM, alt.value(1), alt.value(0.15)),
            tooltip=[alt.Tooltip("label:N", title="curve"), alt.Tooltip(f"{x}:Q", format=".3f"),
                     alt.Tooltip(f"{y}:Q", format=".3f")],
        )
    )
    reference = {"roc_curves": [{"a": 0, "b": 0}, {"a": 1, "b": 1}]}.get(dataset)
    layers = [lines]
    if reference:
        diagonal = alt.Chart(alt.Data(values=reference)).mark_line(color="#8c959f", strokeDash=[4, 4]).encode(
            x="a:Q", y="b:Q", tooltip=alt.value("chance"))
        layers.insert(0, diagonal)
    points = (
        alt.Chart(alt.NamedData("points"))
        .transform_filter(show)
        .transform_calculate(label=f"datum.{dataset.split('_')[0]}_label")
        .mark_point(filled=True, size=70, stroke="#ffffff", strokeWidth=1.5, aria=False)  # empty until a pick: no role
        .encode(
            x=f"{x}:Q", y=f"{y}:Q",
            color=_curve_color(),
            opacity=alt.value(1) if many(report) else alt.condition(DIM, alt.value(1), alt.value(0.15)),
            tooltip=[alt.Tooltip("class:N"), alt.Tooltip("threshold:Q", title="at threshold", format=".2f"),
                     alt.Tooltip(f"{x}:Q", format=".3f"), alt.Tooltip(f"{y}:Q", format=".3f")],
        )
    )
    layers.append(points)
    return alt.layer(*layers).add_params(_highlight()).properties(width=FLUID, height=HEIGHT)


def threshold_chart(report: dict[str, Any]) -> alt.Chart:
    """Macro precision, recall and F1 against the threshold (and the picked class's).

    Reads ``threshold_rows``: one row per threshold and metric, ``class`` "" for the macro
    average (the ratios are computed once from the grid's counts, see ``_threshold_rows``)."""
    base = alt.Chart(alt.NamedData("threshold_rows"))
    x = alt.X("t:Q", title="Threshold", scale=alt.Scale(domain=[0, 1]))
    y = alt.Y("value:Q", title=None, scale=alt.Scale(domain=[0, 1]))
    binary = report["task"] == "binary"
    legend = alt.Legend(orient="bottom", title=None, symbolStrokeWidth=2.5, symbolSize=300)
    color = alt.Color("metric:N", scale=METRIC_COLORS, legend=legend)
    dash = alt.StrokeDash("metric:N", scale=METRIC_DASHES, legend=legend)  # merged with colour into one legend
    macro = (
        base.transform_filter("datum['class'] == ''")
        .mark_line()
        .encode(x=x, y=y, color=color, strokeDash=dash,
                strokeWidth=alt.condition("highlight == ''", alt.value(2.25), alt.value(1.25)),
                opacity=alt.condition("highlight == ''", alt.value(1), alt.value(0.4)),
                tooltip=[alt.Tooltip("metric:N"), alt.Tooltip("t:Q", title="threshold", format=".2f"),
                         alt.Tooltip("value:Q", title="positive class" if binary else "macro average",
                                     format=".3f")])
    )
    picked = (
        base.transform_filter("highlight != '' && datum['class'] == highlight")
        .mark_line(strokeWidth=2.25)
        .encode(x=x, y=y, color=color, strokeDash=dash,
                tooltip=[alt.Tooltip("class:N"), alt.Tooltip("metric:N"),
                         alt.Tooltip("t:Q", title="threshold", format=".2f"), alt.Tooltip("value:Q", format=".3f")])
    )
    rule = (
        alt.Chart(alt.Data(values=[{"name": "threshold"}]))
        .transform_calculate(t="threshold")
        .mark_rule(color="#57606a", strokeWidth=1.5)
        .encode(x="t:Q", tooltip=[alt.Tooltip("t:Q", title="current threshold", format=".2f")])
    )
    advice = alt.Chart(alt.NamedData("advice_marks")).transform_filter(
        "highlight == '' ? datum['class'] == '' : datum['class'] == highlight")
    tooltip = [alt.Tooltip("what:N", title="suggested"), alt.Tooltip("scope:N", title="for"),
               alt.Tooltip("threshold:Q", format=".2f")]
    advice_rules = advice.mark_rule(color="#6e7781", strokeDash=[2, 3]).encode(x="threshold:Q", tooltip=tooltip)
    # Each rule's label reads upward beside it, inside the plot: right of a rule in the left half,
    # left of one in the right half, in the lane (height) that keeps it off its neighbours' (``_lanes``).
    # (rotated text: dx runs along the label, dy across it; the glyphs sit on the dy side of the baseline)
    # A white halo under each label keeps it legible where it crosses a curve.
    labels = [advice.transform_filter(f"datum.side == '{side}'").mark_text(
        angle=270, align="left", baseline="alphabetic", dx=4, dy=dy, fontSize=11, **paint).encode(
        x="threshold:Q", y=alt.Y("lane_at:Q", title=None), text="what:N", tooltip=tooltip)
        for paint in ({"color": "#ffffff", "stroke": "#ffffff", "strokeWidth": 3, "aria": False}, {"color": "#57606a"})
        for side, dy in (("right", 12), ("left", -3))]
    return (alt.layer(macro, picked, advice_rules, *labels, rule).add_params(_threshold(), _highlight())
            .properties(width=FLUID, height=HEIGHT))


# Matrix axes follow the order fields of the rows (class names stay data, never in the spec).
_ORDER_ACTUAL = alt.EncodingSortField("row", op="min")
_ORDER_PREDICTED = alt.EncodingSortField("col", op="min")


def confusion_chart(report: dict[str, Any]) -> alt.Chart:
    multilabel = report["task"] == "multilabel"
    # A compact matrix opens on shares: its "other" corner holds most examples and would pale every other cell.
    compact = report["confusion_matrix"].get("shown") is not None
    normalize = alt.param(name="normalize", value=compact, bind=alt.binding_checkbox(name="show shares of each row "))
    size = _cell_size(matrix_size(report))
    base = alt.Chart(alt.NamedData("confusion")).transform_calculate(
        value="normalize ? datum.share : datum.count")
    rect = base.mark_rect().encode(
        x=alt.X("predicted:N", sort=_ORDER_PREDICTED, axis=_matrix_axis(report),
                title=_matrix_title(report, "label predicted at threshold" if multilabel and not decided(report)
                                    else "label predicted" if multilabel else "predicted")),
        y=alt.Y("actual:N", sort=_ORDER_ACTUAL, axis=_matrix_axis(report),
                title=_matrix_title(report, "label of the example" if multilabel else "actual")),
        color=alt.Color("value:Q", scale=alt.Scale(scheme="blues"), title=None, legend=alt.Legend(orient="right")),
        opacity=alt.condition("highlight == '' || datum.actual == highlight || datum.predicted == highlight",
                              alt.value(1), alt.value(0.35)),
        tooltip=[alt.Tooltip("actual:N", title="label" if multilabel else "actual"),
                 alt.Tooltip("predicted:N", title="label predicted" if multilabel else "predicted"),
                 alt.Tooltip("count:Q", title="examples"),
                 alt.Tooltip("share:Q", title="share of row", format=".1%")],
    )
    layers = [rect]
    if matrix_size(report) <= MANY_CLASSES:
        layers.append(base.mark_text(fontSize=11).encode(
            x=alt.X("predicted:N", sort=_ORDER_PREDICTED), y=alt.Y("actual:N", sort=_ORDER_ACTUAL),
            text=alt.Text("label:N"),
            # white on the darker half of the colour scale, whichever view (counts or shares) is shown
            color=alt.condition("datum.value - datum.low > 0.5 * (datum.top - datum.low)", alt.value("white"),
                                alt.value("#1b1f24")),
            tooltip=["actual:N", "predicted:N", alt.Tooltip("count:Q", title="examples")],
        ).transform_joinaggregate(low="min(value)", top="max(value)")
         .transform_calculate(label="normalize ? format(datum.share, '.0%') : format(datum.count, ',')"))
    return (alt.layer(*layers).add_params(normalize, _highlight())
            .properties(width=size, height=size))


def probability_chart(report: dict[str, Any]) -> alt.Chart:
    multilabel = report["task"] == "multilabel"
    size = _cell_size(matrix_size(report))
    rect = alt.Chart(alt.NamedData("probability")).mark_rect().encode(
        x=alt.X("class:N", sort=_ORDER_PREDICTED, title=_matrix_title(report, "label scored" if multilabel
                                                                       else "class scored"),
                axis=_matrix_axis(report)),
        y=alt.Y("actual:N", sort=_ORDER_ACTUAL, title=_matrix_title(report, "label of the example" if multilabel
                                                                     else "actual class"),
                axis=_matrix_axis(report)),
        color=alt.Color("mean:Q", scale=alt.Scale(scheme="purples", domain=[0, 1]), title="mean score"),
        tooltip=["actual:N", alt.Tooltip("class:N", title="class scored"), alt.Tooltip("mean:Q", format=".3f")],
    )
    return rect.properties(width=size, height=size)


def counts_chart(report: dict[str, Any]) -> alt.Chart:
    """Grouped bars per class; beyond a dozen classes, one point per class (labeled × predicted)."""
    if many(report):
        return _counts_scatter(report)
    return (
        alt.Chart(alt.NamedData("counts"))
        .mark_bar()
        .encode(
            x=alt.X("class:N", sort=report["classes"], title=None, axis=alt.Axis(labelLimit=90)),
            xOffset=alt.XOffset("kind:N", sort=["labeled", "predicted"]),
            y=alt.Y("count:Q", title="examples"),
            color=alt.Color("kind:N", scale=alt.Scale(domain=["labeled", "predicted"], range=["#0072b2", "#e69f00"]),
                            title=None, legend=alt.Legend(orient="bottom")),
            opacity=alt.condition(DIM, alt.value(1), alt.value(0.25)),
            tooltip=["class:N", "kind:N", alt.Tooltip("count:Q", format=",")],
        )
        .add_params(_highlight())
        .properties(width=FLUID, height=240)
    )


COUNTS_BY_CLASS = 200  # beyond, the scatter draws one point per distinct (labeled, predicted) pair


def _counts_scatter(report: dict[str, Any]) -> alt.Chart:
    tooltip = ["class:N", alt.Tooltip("labeled:Q", format=","), alt.Tooltip("predicted:Q", format=",")]
    points = alt.Chart(alt.NamedData("counts")).transform_pivot("kind", value="count", groupby=["class"])
    size, opacity = alt.value(55), alt.condition(DIM, alt.value(0.85), alt.value(0.15))
    if len(report["classes"]) > COUNTS_BY_CLASS:  # classes sharing counts share a point (its area: how many)
        points = points.transform_aggregate(classes="count()", groupby=["labeled", "predicted"])
        tooltip = [alt.Tooltip("labeled:Q", format=","), alt.Tooltip("predicted:Q", format=","),
                   alt.Tooltip("classes:Q", format=",", title="classes")]
        size = alt.Size("classes:Q", title="classes", scale=alt.Scale(range=[30, 400]),
                        legend=alt.Legend(orient="bottom", columns=4))  # fits a phone
        opacity = alt.value(0.7)
    points = (
        points.mark_circle(color="#0072b2")
        .encode(x=alt.X("labeled:Q", title="labeled examples", scale=alt.Scale(zero=False, nice=True)),
                y=alt.Y("predicted:Q", title="predicted examples", scale=alt.Scale(zero=False, nice=True)),
                size=size, opacity=opacity, tooltip=tooltip)
    )
    diagonal = (  # from the smallest count to the largest: where predicted equals labeled
        alt.Chart(alt.NamedData("counts"))
        .transform_aggregate(low="min(count)", top="max(count)")
        .transform_fold(["low", "top"], as_=["end", "v"])
        .mark_line(color="#8c959f", strokeDash=[4, 4])
        .encode(x="v:Q", y="v:Q", tooltip=alt.value("predicted as often as labeled"))
    )
    return alt.layer(diagonal, points).add_params(_highlight()).properties(width=FLUID, height=HEIGHT)


def _matrix_axis(report: dict[str, Any]) -> alt.Axis:
    """Class names on a matrix's axes while they fit (10 px text on cells of 10 px and more);
    beyond that, they are in the tooltips."""
    cell = _cell_size(matrix_size(report)) // matrix_size(report)
    if cell >= 10:
        return alt.Axis(labelLimit=120, labelFontSize=10 if cell < 13 else 12)
    return alt.Axis(labels=False, ticks=False)


def _matrix_title(report: dict[str, Any], title: str) -> str:
    return title if _cell_size(matrix_size(report)) // matrix_size(report) >= 10 else f"{title} (names in tooltips)"


def calibration_chart(report: dict[str, Any]) -> alt.Chart:
    diagonal = alt.Chart(alt.Data(values=[{"a": 0, "b": 0}, {"a": 1, "b": 1}])).mark_line(
        color="#8c959f", strokeDash=[4, 4]).encode(x="a:Q", y="b:Q", tooltip=alt.value("perfect calibration"))
    base = alt.Chart(alt.NamedData("calibration")).transform_filter("datum.count > 0")
    x = alt.X("mean_score:Q", title=_calibration_axis(report), scale=alt.Scale(domain=[0, 1]))
    y = alt.Y("fraction_positive:Q", title="observed frequency", scale=alt.Scale(domain=[0, 1]))
    tooltip = [alt.Tooltip("lower:Q", format=".2f", title="bin from"), alt.Tooltip("upper:Q", format=".2f", title="to"),
               alt.Tooltip("count:Q", format=",", title="examples"), alt.Tooltip("mean_score:Q", format=".3f"),
               alt.Tooltip("fraction_positive:Q", format=".3f", title="observed")]
    line = base.mark_line(color="#0072b2").encode(x=x, y=y, tooltip=tooltip)
    dots = base.mark_circle(color="#0072b2", opacity=0.9).encode(
        x=x, y=y, size=alt.Size("count:Q", title="examples", legend=alt.Legend(orient="bottom", columns=4)), tooltip=tooltip)
    return alt.layer(diagonal, line, dots).properties(width=FLUID, height=HEIGHT)


def _calibration_axis(report: dict[str, Any]) -> str:
    return {"binary": "mean predicted probability", "multiclass": "mean top-class confidence",
            "multilabel": "mean predicted probability (all labels)"}[report["task"]]


def _cell_size(k: int) -> int:
    """Side of a matrix chart of ``k`` rows: a whole number of pixels per cell (crisp, lean SVG)."""
    return k * max(2, round(max(220, min(420, 26 * k)) / k))


MATRIX_CHARTS = frozenset({"confusion", "probability"})


def matrix_size(report: dict[str, Any]) -> int:
    """Rows (and columns) drawn in the matrix charts: every class, or the shown ones and "other"."""
    return len(displayed(report["confusion_matrix"], "counts")[0])


CHARTS: list[tuple[str, str, Callable[[dict[str, Any]], alt.Chart]]] = [
    ("roc", "ROC curves", roc_chart),
    ("pr", "Precision-recall curves", pr_chart),
    ("threshold", "Metrics against the threshold", threshold_chart),
    ("confusion", "Confusion matrix", confusion_chart),
    ("probability", "Average predicted probability", probability_chart),
    ("counts", "Labeled and predicted per class", counts_chart),
    ("calibration", "Reliability diagram", calibration_chart),
]


def chart_note(report: dict[str, Any], key: str) -> str:
    """One plain sentence under a chart's title: how to read it, true of the static chart
    too (what only the live chart does is in ``chart_hint``)."""
    task, k = report["task"], len(report["classes"])
    curves = f"With {k:,} classes only the macro average is drawn. " if many(report) else ""
    shown = (report.get("confusion_matrix") or {}).get("shown")
    top = (f"The {len(shown['index'])} classes with the most errors (as actual or predicted) and one row and column "
           f"for the other {shown['other']['classes']:,}, in colour only (every value is in the report data). "
           ) if shown else ""
    notes = {
        "roc": curves + ("The positive class; the dot is its operating point at the current threshold. "
                         if task == "binary" else "One-vs-rest. " if many(report)
                         else "One-vs-rest; each dot is a class at the current threshold. ")
                       + "The dashed diagonal is chance.",
        "pr": curves + ("Precision as recall grows; the dot is the current threshold. " if task == "binary"
                        else "Precision as recall grows. " if many(report)
                        else "Precision as recall grows; each dot is a class at the current threshold. ")
                     + "A rare class starts low: compare AP with its prevalence.",
        "threshold": ("Positive-class precision, recall and F1 at every threshold. "
                      if task == "binary" else
                      "Macro averages of each label's precision, recall and F1. "
                      if task == "multilabel" else
                      "Macro averages of one-vs-rest precision, recall and F1. ")
                     + "The solid rule is the current threshold, dotted ones the suggested thresholds.",
        "confusion": (f"A cell counts the examples that carry the row's label and on which the column's label is "
                      f"predicted{'' if decided(report) else ' (score above the threshold)'}; an example counts in "
                      "several cells. On the diagonal these are each label's true positives; off it, labels that "
                      "occur together, not confusion: the column's label may be right on those examples too. Misses "
                      "and false alarms per label are in the tables above. " if task == "multilabel"
                      else "Rows: actual class; columns: predicted class. ")
                     + top,
        "probability": ("Mean score given to each label (columns) on the examples that carry each label (rows); "
                        "labels that occur together raise cells off the diagonal. " if task == "multilabel" else
                        "Mean score given to each class (columns) on the examples of each actual class (rows); "
                        "a strong diagonal means confident, well separated classes. ")
                       + ("The last row averages the other actual classes, the last column sums the scores of the "
                          "other classes. " if shown else ""),
        "counts": ("Each point is a class; on the dashed line it is predicted as often as it is labeled. "
                   if many(report) and k <= COUNTS_BY_CLASS else
                   "Each point is the classes with the same labeled and predicted counts (its size: how many); on "
                   "the dashed line a class is predicted as often as it is labeled. " if many(report) else "A gap between the bars means the class is over- or under-predicted. ")
                  + _predicted_rule(report),
        "calibration": "Observed frequency against mean score in each bin (dot size: examples). On the diagonal the "
                       "scores are honest probabilities; below it the model is over-confident.",
    }
    return notes[key].strip()


def chart_hint(report: dict[str, Any], key: str) -> str:
    """What the live chart adds (the page shows it once its script runs): tooltips, a click
    on a cell, the picked class. Worded for a mouse and a touch screen alike."""
    pick = f"Pick a {'label' if report['task'] == 'multilabel' else 'class'} (Highlight class, above) to draw its "
    hints = {
        "roc": pick + "curve and operating point." if many(report) else "Tap or hover a curve for its values.",
        "pr": pick + "curve and operating point." if many(report) else "Tap or hover a curve for its values.",
        "threshold": pick + "own lines." if report["task"] != "binary" else "Tap or hover a line for its values.",
        "confusion": "Tap or click a cell to list its examples below and see its values.",
        "probability": "Tap or hover a cell for its value.",
        "counts": "Tap or hover a mark for its counts.",
        "calibration": "Tap or hover a dot for its bin.",
    }
    return hints[key]


def _predicted_rule(report: dict[str, Any]) -> str:
    if decided(report) and (label_only(report) or report["task"] != "multilabel"):
        return "Predicted = the model's own predicted label."
    return "Predicted = highest score." if report["task"] == "multiclass" else "Predicted = score above the threshold."


CONFIG = {  # text sizes readable on a phone
    "axis": {"labelFontSize": 11, "titleFontSize": 12, "titleFontWeight": 600},
    "legend": {"labelFontSize": 12, "titleFontSize": 12, "labelLimit": 240},
}
# A static chart is scaled down to its card on a phone (to about 0.85 at 390 px): its text
# starts larger so that it stays at 10 px or more there.
STATIC_CONFIG = {
    "axis": {"labelFontSize": 12, "titleFontSize": 12, "titleFontWeight": 600},
    "legend": {"labelFontSize": 12, "titleFontSize": 12, "labelLimit": 240},
}


SCORE_CHARTS = frozenset({"roc", "pr", "threshold", "probability", "calibration"})  # drawn from the scores


# A multilabel example has several labels: its matrix counts labels that occur together.
TASK_TITLES = {("multilabel", "confusion"): "Labels and predicted labels (co-occurrence)"}


def charts_of(report: dict[str, Any]) -> list[tuple[str, str, Callable[[dict[str, Any]], alt.Chart]]]:
    """The charts a report can draw: a label-only report has none of the score charts."""
    return [c for c in CHARTS if not (label_only(report) and c[0] in SCORE_CHARTS)]


def iter_chart_specs(report: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(id, title, Vega-Lite spec without data values) for every chart of the page, one by one."""
    for key, title, build in charts_of(report):
        title = TASK_TITLES.get((report["task"], key), title)
        spec = build(report).to_dict(validate=False)
        spec["config"] = {**CONFIG, **spec.get("config", {})}
        yield key, title, spec



def with_data(spec: dict[str, Any], data: dict[str, list], threshold: float) -> dict[str, Any]:
    """A spec with its named datasets filled in and the threshold set (for static rendering)."""
    out = dict(spec)
    if out.get("width") == FLUID:
        out["width"] = WIDTH
    text = json.dumps(spec)
    used = {name: rows for name, rows in data.items() if f'"name": {json.dumps(name)}' in text}  # only its own
    out["datasets"] = {**spec.get("datasets", {}), **used}
    out["config"] = {**spec.get("config", {}), **STATIC_CONFIG, "aria": False}  # the figure is described once, not per mark
    out["params"] = [
        {**p, "value": threshold} if p.get("name") == "threshold" else p for p in spec.get("params", [])
    ]
    return out


def email_charts(report: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """ROC, PR and confusion matrix, data filled in, for PNG rendering."""
    data = datasets(report, report["threshold"])
    return [
        (key, title, {**with_data(build(report).to_dict(validate=False), data, report["threshold"]), "title": title})
        for key, title, build in charts_of(report)
        if key in ("roc", "pr", "confusion")
    ]


# ---------------------------------------------------------------- datasets
# templates/report.js mirrors these builders (its `datasets`); past MANY_CLASSES the page adds
# the picked class's curves, point and threshold lines, which the static charts never show.


def datasets(report: dict[str, Any], threshold: float) -> dict[str, list]:
    if label_only(report):
        return {"confusion": _confusion(report), "counts": _counts(report, 0)}
    at = report["threshold_grid"]["thresholds"].index(threshold)
    return {
        "roc_curves": _curves(report, "roc", "fpr", "tpr", "AUC"),
        "pr_curves": _curves(report, "pr", "recall", "precision", "AP"),
        "points": _points(report, at),
        "threshold_rows": _threshold_rows(report),
        "advice_marks": _advice_marks(report),
        "confusion": _confusion(report),
        "probability": _probability(report),
        "counts": _counts(report, at),
        "calibration": list(report["calibration"]["bins"]),
    }


def _classes_shown(report: dict[str, Any]) -> list[int]:
    """Binary reports draw the positive class only; past MANY_CLASSES no class is drawn
    until the reader picks one (in the page)."""
    if many(report):
        return []
    return [1] if report["task"] == "binary" else list(range(len(report["classes"])))


NO_CURVE = "no curve to draw"


def _curves(report, kind: str, x: str, y: str, short: str) -> list[dict[str, Any]]:
    model = _curves_of_model(report, kind, x, y, short)
    rows = model + _baseline_curves(report, model, kind, x, y)
    for r in rows:  # the dash legend names each model with its own area (the baseline's too)
        r["model_order"], r["model_label"] = _model_label(report, kind, short, r["model"] != "model")
    if not any(r["macro"] or not many(report) for r in rows):
        # A colour legend with nothing in it makes Vega's layout infinitely tall: one entry says why
        # (a single point draws no line).
        rows.append({"class": "", "label": NO_CURVE, "order": len(report["classes"]) + 1, "model": "model",
                     "model_order": 0, "model_label": "model", "key": "none", "macro": True, x: [0], y: [0]})
    return rows


def _model_label(report, kind: str, short: str, baseline: bool) -> tuple[int, str]:
    """(order, legend entry) of the model or the baseline in a curve chart's dash legend:
    its name and its area, macro-averaged beyond binary (``model (macro AUC 0.953)``)."""
    source = report["baseline"] if baseline else report
    name = source["name"] if baseline else "model"
    value = source["summary"]["roc_auc_macro" if kind == "roc" else "average_precision_macro"]
    area = short if report["task"] == "binary" else f"macro {short}"
    return int(baseline), name if value is None else f"{name} ({area} {value:.3f})"


AREAS = {"roc": "roc_auc", "pr": "average_precision"}


def _curves_of_model(report, kind: str, x: str, y: str, short: str) -> list[dict[str, Any]]:
    area = AREAS[kind]
    rows = []
    for j in _classes_shown(report):
        name = report["classes"][j]
        curve = report["curves"][name][kind]
        if curve is None:
            continue
        label = _labeled(name, short, report["per_class"][j][area])
        rows.append({"class": name, "label": label, "order": j, "model": "model", "key": f"model:{name}",
                     "macro": False, x: curve[x], y: curve[y]})
    macro = (report.get("macro_curves") or {}).get(kind)
    if macro and (many(report) or report["task"] != "binary"):
        summary = report["summary"]["roc_auc_macro" if kind == "roc" else "average_precision_macro"]
        rows.append({"class": MACRO, "label": _labeled(MACRO, short, summary), "order": len(report["classes"]), "model": "model",
                     "key": "macro:model", "macro": True, x: macro[x], y: macro[y]})
    return rows


def _baseline_curves(report, model: list[dict[str, Any]], kind, x, y) -> list[dict[str, Any]]:
    """The baseline's curves share their class's colour (label) and differ by dash."""
    baseline = report.get("baseline")
    if not baseline:
        return []
    name = baseline["name"]
    labels = {r["class"]: r["label"] for r in model}
    rows = []
    curves = baseline.get("curves")
    if curves and not many(report):
        for j in _classes_shown(report):
            cls = report["classes"][j]
            curve = curves[cls][kind]
            if curve is not None:
                rows.append({"class": cls, "label": labels.get(cls, cls), "order": j, "model": name,
                             "key": f"base:{cls}", "macro": False, x: curve[x], y: curve[y]})
    elif baseline.get("macro_curves") and baseline["macro_curves"].get(kind):
        macro = baseline["macro_curves"][kind]
        rows.append({"class": MACRO, "label": labels.get(MACRO, MACRO), "order": len(report["classes"]),
                     "model": name, "key": "macro:base", "macro": True, x: macro[x], y: macro[y]})
    return rows


def _labeled(name: str, short: str, value: float | None) -> str:
    """A curve's legend entry: the class and its area (AUC or AP) when it has one."""
    return name if value is None else f"{name} ({short} {value:.3f})"


def _points(report: dict[str, Any], at: int) -> list[dict[str, Any]]:
    rows = []
    threshold = report["threshold_grid"]["thresholds"][at]
    for j in _classes_shown(report):
        name = report["classes"][j]
        g = report["threshold_grid"]["classes"][name]
        tp, fp, fn, tn = g["tp"][at], g["fp"][at], g["fn"][at], g["tn"][at]
        if tp + fn == 0 or fp + tn == 0:
            continue
        labels = {
            f"{kind}_label": _labeled(name, short, value)
            for kind, short, value in (("roc", "AUC", report["per_class"][j]["roc_auc"]),
                                       ("pr", "AP", report["per_class"][j]["average_precision"]))
        }
        rows.append({
            "class": name, **labels, "order": j, "threshold": threshold,
            "fpr": fp / (fp + tn), "tpr": tp / (tp + fn), "recall": tp / (tp + fn),
            "precision": tp / (tp + fp) if tp + fp else 1.0,
        })
    return rows


def _threshold_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Precision, recall and F1 at every grid threshold: the macro average over the classes
    (class "", the positive class's own for binary) and each class drawn (none past MANY_CLASSES)."""
    grid = report["threshold_grid"]
    names = [report["classes"][1]] if report["task"] == "binary" else report["classes"]
    tp, fp, fn = (np.array([grid["classes"][n][key] for n in names], dtype=np.float64) for key in ("tp", "fp", "fn"))
    per = precision_recall_f1(tp, fp, fn)  # each (classes, thresholds)
    macro = [np.add.reduce(m, axis=0) / len(names) for m in per]  # summed class by class, as the page does
    t = grid["thresholds"]
    rows = [{"class": "", "t": t[i], "metric": metric, "value": float(values[i])}
            for metric, values in zip(METRICS, macro) for i in range(len(t))]
    for j in _classes_shown(report):
        row = names.index(report["classes"][j])
        rows += [{"class": report["classes"][j], "t": t[i], "metric": metric, "value": float(values[row, i])}
                 for metric, values in zip(METRICS, per) for i in range(len(t))]
    return rows


ADVICE_LABELS = {"max_f1": "best F1", "target_precision": "precision ≥ {target}", "target_recall": "recall ≥ {target}"}


def _advice_marks(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Suggested thresholds: the overall ones (class "") and, beyond binary, each class's."""
    def marks(advice: dict[str, Any], cls: str, scope: str) -> list[dict[str, Any]]:
        return [{"class": cls, "scope": scope, "what": ADVICE_LABELS[k].format(target=v.get("target")),
                 "threshold": v["threshold"]} for k, v in advice.items() if k in ADVICE_LABELS and offered(k, v)]

    rows = marks(report.get("advice_overall") or {}, "", "all classes")
    if report["task"] != "binary":
        for name, advice in (report.get("advice") or {}).items():
            rows += marks(advice or {}, name, name)
    return _lanes(rows)


LABEL_WIDTH = 0.06  # a rule label's width in threshold units: 10 px text and its gap on a 330 px chart
LANES = 3  # heights a rule label may start at (a class has at most three suggested thresholds)


def _lanes(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each advice mark's label placement: ``side`` of its rule ("right" in the left half of the
    axis, so no label sits on the axis) and ``lane_at``, the height (0, 1/3, 2/3 of the axis)
    of the lowest lane where it overlaps no label of the same class drawn before it (by
    threshold). The page script's ``lanes`` does the same."""
    placed: dict[str, list[tuple[int, float, float]]] = {}
    for row in sorted(rows, key=lambda r: (r["class"], r["threshold"])):
        t = row["threshold"]
        right = t < 0.5
        low, high = (t, t + LABEL_WIDTH) if right else (t - LABEL_WIDTH, t)
        taken = placed.setdefault(row["class"], [])
        lane = next(k for k in range(LANES + 1)
                    if k == LANES or not any(k == j and low < b and a < high for j, a, b in taken))
        taken.append((lane, low, high))
        row["side"], row["lane_at"] = ("right" if right else "left"), min(lane, LANES - 1) / LANES
    return rows


def matrix_labels(report: dict[str, Any]) -> tuple[list[str], list[bool]]:
    """The matrix charts' row (and column) labels, and which of them stands for "other"."""
    names = displayed(report["confusion_matrix"], "counts")[0]
    compact = report["confusion_matrix"].get("shown") is not None
    return names, [compact and i == len(names) - 1 for i in range(len(names))]


def _cells(report: dict[str, Any], values: list[list], **extra: list[list]) -> list[dict[str, Any]]:
    labels, other = matrix_labels(report)
    return [
        {"actual": labels[i], "predicted": labels[j], "row": i, "col": j, "actual_other": other[i],
         "predicted_other": other[j], "count": value, **{k: v[i][j] for k, v in extra.items()}}
        for i, row in enumerate(values)
        for j, value in enumerate(row)
    ]


def _confusion(report: dict[str, Any]) -> list[dict[str, Any]]:
    matrix = report["confusion_matrix"]
    return _cells(report, displayed(matrix, "counts")[1], share=displayed(matrix, "normalized")[1])


def _probability(report: dict[str, Any]) -> list[dict[str, Any]]:
    values = displayed(report["probability_matrix"], "mean_score")[1]
    return [{"actual": c["actual"], "class": c["predicted"], "row": c["row"], "col": c["col"],
             "actual_other": c["actual_other"], "predicted_other": c["predicted_other"], "mean": c["count"]}
            for c in _cells(report, values) if c["count"] is not None]


def predicted_argmax(report: dict[str, Any]) -> list[int]:
    """Examples predicted as each class (the confusion matrix's column sums, dense or sparse)."""
    _, predicted, count = confusion_cells(report["confusion_matrix"])
    out = np.zeros(len(report["classes"]), dtype=count.dtype)  # sums of weights when weighted
    np.add.at(out, predicted, count)
    return out.tolist()


def _counts(report: dict[str, Any], at: int) -> list[dict[str, Any]]:
    rows = []
    argmax = predicted_argmax(report) if report["task"] == "multiclass" or decided(report) else None
    single_decided = decided(report) and report["task"] != "multilabel"
    for j, entry in enumerate(report["per_class"]):
        name = entry["class"]
        if label_only(report):  # the decisions are the counts (no threshold)
            predicted = entry["at_threshold"]["total_predicted"]
        elif report["task"] == "multiclass" or single_decided:
            predicted = argmax[j]
        elif report["task"] == "binary":
            predicted = _binary_predicted(report, j, at)
        else:
            g = report["threshold_grid"]["classes"][name]
            predicted = g["tp"][at] + g["fp"][at]
        rows.append({"class": name, "kind": "labeled", "count": entry["support"]})
        rows.append({"class": name, "kind": "predicted", "count": predicted})
    return rows


def _binary_predicted(report: dict[str, Any], j: int, at: int) -> int:
    """Binary decision: positive when p > t, so the negative class gets the rest."""
    g = report["threshold_grid"]["classes"][report["classes"][1]]
    positive = g["tp"][at] + g["fp"][at]
    return positive if j == 1 else report["n_examples"] - positive


# The decisions section: net benefit and expected cost (binary, or multilabel's total cost).

CURVE_COLORS = {"model": PALETTE[0], "baseline": PALETTE[1], "treat all": "#57606a", "treat none": "#8c959f"}
CURVE_DASHES = {"model": [1, 0], "baseline": [6, 3], "treat all": [2, 2], "treat none": [1, 0]}

def net_benefit_chart(section: dict[str, Any], class_name: str | None) -> alt.Chart:
    """Net benefit against the threshold probability: the model, the baseline (dashed), treat
    all and treat none (0), from one ``net_benefit`` entry; the y axis is cut below at −0.05
    (treat all falls without bound as pt nears 1) and the current threshold is a rule."""
    curves = [("model", section["model"]), ("treat all", section["treat_all"]),
              ("treat none", [0.0] * len(section["thresholds"]))]
    if section.get("baseline") is not None:
        curves.insert(1, ("baseline", section["baseline"]))
    rows = [{"pt": t, "net_benefit": v, "curve": name}
            for name, values in curves for t, v in zip(section["thresholds"], values)]
    names = [name for name, _ in curves]
    top = max([*section["model"], *section["treat_all"], *(section.get("baseline") or []), 0.01])
    legend = alt.Legend(orient="bottom", title=None, symbolType="stroke")  # colour and dash merged into one legend
    color = alt.Color("curve:N", sort=names, scale=alt.Scale(domain=names, range=[CURVE_COLORS[n] for n in names]),
                      legend=legend)
    dash = alt.StrokeDash("curve:N", sort=names, legend=legend,
                          scale=alt.Scale(domain=names, range=[CURVE_DASHES[n] for n in names]))
    lines = (alt.Chart(alt.Data(values=rows)).mark_line(clip=True)
             .encode(x=alt.X("pt:Q", title=f"Threshold probability{' (' + class_name + ')' if class_name else ''}",
                             scale=alt.Scale(domain=[0, 1])),
                     y=alt.Y("net_benefit:Q", title="Net benefit", scale=alt.Scale(domain=[-0.05, top * 1.05])),
                     color=color, strokeDash=dash,
                     tooltip=[alt.Tooltip("curve:N"), alt.Tooltip("pt:Q", title="threshold", format=".2f"),
                              alt.Tooltip("net_benefit:Q", title="net benefit", format=".4f")]))
    layers = [lines, _current_threshold()]
    band = _difference_band(section)
    if band is not None:
        layers.insert(0, band)
    return alt.layer(*layers).add_params(_threshold()).properties(width=FLUID, height=HEIGHT)


def _difference_band(section: dict[str, Any]) -> alt.Chart | None:
    """The baseline's curve plus the paired 95% interval of model − baseline at each pt,
    shaded: it holds the model's line, and clears the dashed baseline where the model's
    gain is beyond chance (None without the interval)."""
    bands, base = section.get("difference_interval"), section.get("baseline")
    if not bands or base is None:
        return None
    rows = [{"pt": t, "low": b + band[0], "high": b + band[1], "diff_low": band[0], "diff_high": band[1]}
            for t, b, band in zip(section["thresholds"], base, bands) if band is not None]
    return (alt.Chart(alt.Data(values=rows)).mark_area(color=CURVE_COLORS["model"], opacity=0.15, clip=True)
            .encode(x="pt:Q", y="low:Q", y2="high:Q",
                    tooltip=[alt.Tooltip("pt:Q", title="threshold", format=".2f"),
                             alt.Tooltip("diff_low:Q", title="model − baseline, 95% from", format=".4f"),
                             alt.Tooltip("diff_high:Q", title="to", format=".4f")]))


def cost_chart() -> alt.Chart:
    """Expected cost per example at every grid threshold (``cost_rows``: t, cost), the
    least-cost threshold marked (``cost_best``: dotted rule and point) and the current
    threshold a solid rule. The page's cost table replaces both datasets when edited."""
    line = (alt.Chart(alt.NamedData("cost_rows")).mark_line(color=PALETTE[0])
            .encode(x=alt.X("t:Q", title="Threshold", scale=alt.Scale(domain=[0, 1])),
                    y=alt.Y("cost:Q", title="Expected cost per example", scale=alt.Scale(zero=False)),
                    tooltip=[alt.Tooltip("t:Q", title="threshold", format=".2f"),
                             alt.Tooltip("cost:Q", title="expected cost", format=".4g")]))
    marked = alt.Chart(alt.NamedData("cost_best"))
    tooltip = [alt.Tooltip("what:N", title=""), alt.Tooltip("t:Q", title="threshold", format=".2f"),
               alt.Tooltip("cost:Q", title="expected cost", format=".4g")]
    best_rule = marked.mark_rule(color=PALETTE[1], strokeDash=[2, 3]).encode(x="t:Q", tooltip=tooltip)
    best_point = marked.mark_point(color=PALETTE[1], filled=True, size=70).encode(x="t:Q", y="cost:Q", tooltip=tooltip)
    return (alt.layer(line, best_rule, best_point, _current_threshold()).add_params(_threshold())
            .properties(width=FLUID, height=HEIGHT))


def cost_datasets(costs: dict[str, Any]) -> dict[str, list]:
    """The cost chart's datasets (the page script's ``costDatasets`` builds the same)."""
    curve, best = costs["curve"], costs["best"]
    return {"cost_rows": [{"t": t, "cost": c} for t, c in zip(curve["thresholds"], curve["expected_cost"])],
            "cost_best": [{"t": best["threshold"], "cost": best["expected_cost"], "what": "least cost"}]}


def _current_threshold() -> alt.Chart:
    """A rule at the slider's threshold (the ``threshold`` parameter)."""
    return (alt.Chart(alt.Data(values=[{"name": "threshold"}])).transform_calculate(t="threshold")
            .mark_rule(color="#57606a", strokeWidth=1.5)
            .encode(x="t:Q", tooltip=[alt.Tooltip("t:Q", title="current threshold", format=".2f")]))


def decision_charts(report: dict[str, Any]) -> list[tuple[str, str, alt.Chart, dict[str, list]]]:
    """(id, title, chart, its datasets) of the decisions section: the positive class's net
    benefit (binary) and the expected cost curve (binary; multilabel: summed over the classes)."""
    made = []
    benefit = report.get("net_benefit")
    if benefit is not None and "model" in benefit:
        made.append(("net-benefit", "Net benefit (decision curve)",
                     net_benefit_chart(benefit, report.get("positive_class")), {}))
    costs = report.get("costs")
    if costs is not None and costs.get("curve") is not None:
        made.append(("expected-cost", "Expected cost per example", cost_chart(), cost_datasets(costs)))
    return made


# The analysis sections: splits and training history.

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


# The index of releases.

# Axis label formats for a time axis, by the span of the data: (longest span in seconds, format).
TIME_FORMATS = (
    (120, "%H:%M:%S"),
    (12 * 3600, "%H:%M"),
    (4 * 86400, "%b %d %H:%M"),
    (120 * 86400, "%b %d"),
    (3 * 365 * 86400, "%b %Y"),
)


def time_format(span_seconds: float) -> str:
    """The Vega time format that tells apart the ticks of a time axis spanning ``span_seconds``."""
    for longest, fmt in TIME_FORMATS:
        if span_seconds <= longest:
            return fmt
    return "%Y"


def release_history_chart(rows: list[dict[str, Any]], title: str) -> alt.Chart:
    """The index: one headline metric across the releases of one dataset and task (rows:
    release, generated_at as ISO 8601 in UTC, value). The time axis is labelled for the span
    of the data, from seconds to years."""
    times = [datetime.fromisoformat(r["generated_at"]) for r in rows]
    fmt = time_format((max(times) - min(times)).total_seconds())
    axis = alt.Axis(format=fmt, tickCount=3, labelOverlap=True, labelSeparation=8, labelFlush=True)  # a utc scale formats in UTC
    return (
        alt.Chart(alt.Data(values=rows), title=alt.Title(title, anchor="start", fontSize=13))
        .mark_line(point=True, color=PALETTE[0])
        .encode(
            x=alt.X("generated_at:T", title="generated (UTC)", scale=alt.Scale(type="utc"), axis=axis),
            y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False), axis=alt.Axis(tickCount=4)),
            tooltip=["release:N", alt.Tooltip("generated_at:T", format="%Y-%m-%d %H:%M:%S"),
                     alt.Tooltip("value:Q", format=".4f")],
        )
        .properties(width=180, height=110)
        .configure(aria=False)  # a static figure, described once by its container
    )


# The generative report.

def loss_histogram(report: dict[str, Any]) -> alt.Chart:
    hist = report["examples"]["loss_histogram"]
    rows = [
        {"low": lo, "high": hi, "examples": n}
        for lo, hi, n in zip(hist["edges"][:-1], hist["edges"][1:], hist["counts"])
    ]
    return (
        alt.Chart(alt.Data(values=rows), title="Loss per example (nats per token)")
        .mark_bar(color=PALETTE[0])
        .encode(
            x=alt.X("low:Q", bin="binned", title="mean loss of the example"),
            x2="high:Q",
            y=alt.Y("examples:Q", title="examples"),
            tooltip=[alt.Tooltip("low:Q", format=".3f"), alt.Tooltip("high:Q", format=".3f"), "examples:Q"],
        )
        .properties(width=560, height=220)
    )


# The fairness section: each rate by group, with its interval and the whole data's value.

def fairness_chart(groups: list[str]) -> alt.Chart:
    """One panel per rate (``fairness_rows``: rate, group, value, low, high, overall,
    small): each group's rate (a point; hollow when the group is too small to compare) with
    its interval (a line), and the whole data's rate (a dashed rule). The page script
    replaces the rows when the threshold moves (intervals are the report threshold's)."""
    y = alt.Y("group:N", title=None, sort=groups)
    x = alt.X("value:Q", title=None, scale=alt.Scale(domain=[0, 1]))
    tooltip = [alt.Tooltip("group:N"), alt.Tooltip("rate:N"), alt.Tooltip("value:Q", format=".3f"),
               alt.Tooltip("low:Q", title="interval from", format=".3f"),
               alt.Tooltip("high:Q", title="interval to", format=".3f"), alt.Tooltip("overall:Q", format=".3f")]
    span = alt.Chart().mark_rule(color=PALETTE[0]).encode(x=alt.X("low:Q"), x2="high:Q", y=y)
    point = alt.Chart().mark_point(color=PALETTE[0], size=60).encode(
        x=x, y=y, fill=alt.condition("datum.small", alt.value("white"), alt.value(PALETTE[0])), tooltip=tooltip)
    overall = alt.Chart().mark_rule(color="#57606a", strokeDash=[4, 3]).encode(x=alt.X("overall:Q"))
    height = max(40, 18 * len(groups))
    return (alt.layer(span, point, overall, data=alt.NamedData("fairness_rows")).properties(width=150, height=height)
            .facet(facet=alt.Facet("rate:N", title=None, sort=list(CHART_RATES.values())), columns=2))
