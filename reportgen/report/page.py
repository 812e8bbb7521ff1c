"""The report page: one self-contained HTML file.

Builds the template's context from the report (JSON-ready values only), renders each
chart's static SVG, and inlines the Vega runtime, the stylesheet and the page script.
The template knows nothing of charts beyond "a spec and its static SVG".
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from reportgen import registry
from reportgen.evidence import headline, verdict_line
from reportgen.numbers import format_ratio
from reportgen.report import vega
from reportgen.report.decisions_view import decisions_context
from reportgen.report.embed import packed_island
from reportgen.report.fairness_view import fairness_context
from reportgen.report.figures import build_figures, chart_view, fairness_figure
from reportgen.report.sections import analysis_context, operating_point_classes
from reportgen.report.templating import count_digits, render_template, template_folder
from reportgen.report.view import decided, label_only, many, offered

# The headline tiles per task (registry keys); a label-only report swaps the last two for LABEL_TILES.
TILES = {
    "multiclass": ("accuracy", "macro_precision", "macro_recall", "macro_f1", "roc_auc_macro", "log_loss"),
    "binary": ("precision", "recall", "f1", "accuracy", "roc_auc_macro", "log_loss"),  # the positive class first
    "multilabel": ("subset_accuracy", "accuracy", "macro_precision", "macro_recall", "macro_f1", "roc_auc_macro",
                   "log_loss"),  # exact match beside the Hamming score
}
LIVE_TILES = frozenset({"precision", "recall", "f1", "accuracy", "macro_precision", "macro_recall", "macro_f1"})
TABLE_COLUMNS = (  # (key, label, kind): the one-vs-rest counts and ratios at the threshold, as the grid has them
    ("roc_auc", "ROC AUC", "ratio"), ("average_precision", "AP", "ratio"),
    ("total_labeled", "labeled", "count"), ("total_predicted", "predicted", "count"),
    ("tp", "TP", "count"), ("fn", "FN", "count"), ("fp", "FP", "count"),
    ("recall", "recall", "ratio"), ("precision", "precision", "ratio"), ("f1", "F1", "ratio"),
)
# When the decisions are not "score above the threshold" (multiclass: the highest score; or the
# model's own labels), the decisions' ratios (per_class) get their own columns, and the
# at-threshold ones say so: one name, one number.
DECISION_COLUMNS = (("decision_recall", "recall", "ratio"), ("decision_precision", "precision", "ratio"),
                    ("decision_f1", "F1", "ratio"))
AT_THRESHOLD = ("total_labeled", "total_predicted", "tp", "fn", "fp", "recall", "precision", "f1")
TABLE_ALL = 60  # up to this many classes every row is in the HTML; beyond, the worst and best by F1
TABLE_WORST, TABLE_BEST = 50, 10
ATTENTION_CONFUSIONS = 10  # most confused pairs listed beside the classes that need attention
LABEL_TILES = ("balanced_accuracy", "mcc")  # registry keys: a label-only report's tiles for ROC AUC and log loss
SCORE_COLUMNS = ("roc_auc", "average_precision")  # table columns that need scores
SELECTION_CELLS = 8  # cells listed in the page itself (every cell opens on click)
SELECTION_ROWS = 10  # examples per listed cell (the click shows all embedded ones)


@dataclass(frozen=True)
class PageMeta:
    """The header's facts."""

    title: str
    model: str | None = None
    dataset: str | None = None
    generated_at: str = ""
    version: str = ""


Figures = Callable[[dict[str, Any]], dict[str, Any]]


def render_page(report: dict[str, Any], meta: PageMeta, figures: Figures | None = None) -> str:
    """The whole page for a checked report dict. ``figures`` makes the charts from the
    report (default: ``build_figures`` of its chart view, in this process)."""
    made = figures(report) if figures is not None else build_figures(chart_view(report))
    folder = template_folder()
    script = (folder / "report.js").read_text("utf-8")
    bundle = vega.javascript_bundle()
    rows, static_note = _rows(report)
    columns = _columns(report)
    groups = _groups(report, columns)
    return render_template(
        "page.html.j2",
        meta=meta,
        report=report,
        tiles=headline_tiles(report) + top_k_tiles(report),
        verdict=_verdict(report),
        evidence=evidence_lines(report),
        columns=columns,
        column_groups=groups,
        rows=rows,
        rows_note=static_note,
        attention=report.get("attention"),
        operating_points=operating_point_classes(report["operating_points"])
        if report.get("operating_points") and report.get("baseline") else None,
        confusions=(report.get("top_confusions") or [])[:ATTENTION_CONFUSIONS],
        attention_stacked=_long_names(report),
        macro={**_macro_row(report, columns, [row_values(e) for e in report["per_class"]]), **_delta_means(report)},
        grid=_slider(report),
        advice=_advice_chips(report),
        inputs=_inputs(report),
        charts=made["charts"],
        cells=_cells(report),
        selection_rows=SELECTION_ROWS,
        engine=_engine(report),
        many_classes=many(report),
        analysis=analysis_context(report, made),
        decisions=decisions_context(report, made),
        fairness=_fairness(report),
        css=(folder / "report.css").read_text("utf-8") + (folder / "analysis.css").read_text("utf-8"),
        script=script,
        vega_bundle=bundle,
        csp=content_security_policy([bundle, script]),
        data_json=packed_island(report),
        count_digits=count_digits(report),
        metric_label=lambda key: registry.report_label(key, report),  # the task's names (multilabel accuracy)
    )


def _engine(report: dict[str, Any]) -> dict[str, Any] | None:
    """Which engine and mode made the numbers, and the largest AUC bound (binned mode)."""
    engine = report.get("engine")
    if not engine:
        return None
    bounds = [b for b in engine.get("auc_error_bound", {}).values() if b is not None]
    largest = max(bounds, default=0.0)
    shown = f"{largest:.7f}".rstrip("0").rstrip(".") if largest >= 1e-6 else f"{largest:.1e}"
    return {"name": engine["name"], "mode": engine["mode"], "largest": shown}  # e.g. 0.000004


def headline_tiles(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The headline metrics with their change from the baseline and intervals (page and email)."""
    summary = report["summary"]
    deltas = (report.get("deltas") or {}).get("summary", {})
    intervals = report.get("intervals") or {}
    task = report["task"]
    live = task != "multiclass" and not decided(report)  # the script recounts these from the grid
    tiles = TILES[task]
    chosen = tiles if not label_only(report) else tiles[:-2] + LABEL_TILES
    out = []
    for key in chosen:
        metric = registry.METRICS[key]
        label, help_text = registry.task_metric(key, task, report.get("positive_class"))
        lower_better = not metric.higher_is_better
        delta = deltas.get(key)
        interval = (intervals.get("summary") or {}).get(key)
        delta_interval = (intervals.get("deltas") or {}).get(key)
        out.append({
            "key": key, "label": label, "value": summary.get(key), "help": help_text,
            "lower_better": lower_better, "delta": delta, "interval": interval,
            "delta_interval": delta_interval,
            "better": registry.improvement(key, delta),
            "holds": bool(delta_interval and (delta_interval[0] > 0 or delta_interval[1] < 0)),
            "live": live and key in LIVE_TILES,
            "fixed": live and key == "subset_accuracy",  # at the threshold, but it needs each example: not recounted
        })
    return out


TOP_K_TILES = ("top_k_accuracy.3", "top_k_accuracy.5")  # registry keys


def top_k_tiles(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Top-3 and top-5 accuracy after the headline tiles, for a multiclass model with scores
    and more than a dozen classes (where the first guess alone undersells a ranking)."""
    if report["task"] != "multiclass" or label_only(report) or not many(report):
        return []
    deltas = (report.get("deltas") or {}).get("summary") or {}
    out = []
    for key in TOP_K_TILES:
        value = registry.summary_value(report["summary"], key)
        if value is None:
            continue
        metric = registry.METRICS[key]
        delta = registry.summary_value(deltas, key) if deltas else None
        out.append({"key": key, "label": metric.label, "value": value, "help": metric.help, "lower_better": False,
                    "delta": delta, "interval": None, "delta_interval": None,
                    "better": registry.improvement(key, delta), "holds": False, "live": False})
    return out


def evidence_lines(report: dict[str, Any]) -> list[dict[str, str]]:
    """Every evidence entry but the headline's, as the Markdown summary says it
    (``verdict``: pass, fail or inconclusive; ``text``)."""
    first = headline(report)
    return [{"verdict": e["verdict"], "text": verdict_line(e)} for e in report.get("evidence") or () if e is not first]


def _verdict(report: dict[str, Any]) -> str | None:
    """The headline change's evidence, as the Markdown summary and the email say it."""
    entry = headline(report)
    return None if entry is None else verdict_line(entry)


def content_security_policy(scripts: list[str]) -> str:
    """No network at all: only these inline scripts (by their sha256), inline styles and
    ``data:`` images. The Vega runtime runs its expressions in its interpreter (vega-embed's
    ``ast`` option), so no ``'unsafe-eval'``."""
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode('utf-8')).digest()).decode()}'"
                      for s in scripts)
    return (f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; img-src data:; "
            "base-uri 'none'; form-action 'none'")


def _rows(report: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """The table's rows in the HTML (every class up to TABLE_ALL; beyond, the TABLE_WORST
    classes with the lowest F1 and the TABLE_BEST with the highest, classes with examples
    first), and a note when some are left to the script."""
    per_class = report["per_class"]
    chosen = range(len(per_class))
    note = None
    if len(per_class) > TABLE_ALL:  # classes with examples first, ties to the bigger class; by the F1 shown
        shown = [e["at_threshold"]["f1"] for e in per_class]
        f1 = np.array([np.nan if v is None else v for v in shown], dtype=np.float64)
        f1 = np.nan_to_num(f1, nan=-1.0)
        support = np.array([e["support"] for e in per_class], dtype=np.float64)
        worst = np.lexsort((-support, f1, support == 0))[:TABLE_WORST]
        best = np.lexsort((-support, -f1, support == 0))
        best = best[~np.isin(best, worst)][:TABLE_BEST]
        chosen = [*worst.tolist(), *best.tolist()]
        which = "F1 at the threshold (one-vs-rest)" if two_decisions(report) else "F1"
        note = (f"The {TABLE_WORST} classes with the lowest {which} and the {TABLE_BEST} with the highest; the table of all "
                f"{len(per_class):,} classes needs scripts (every number is also in the report data, #report-data).")
    deltas = (report.get("deltas") or {}).get("per_class", {})
    advice = report.get("advice") or {}
    rows = []
    for j in chosen:
        entry = per_class[j]
        rows.append({
            "class": entry["class"], "values": row_values(entry),
            "delta_f1": (deltas.get(entry["class"]) or {}).get("f1"),
            "delta_auc": (deltas.get(entry["class"]) or {}).get("roc_auc"),
            "best": (advice.get(entry["class"]) or {}).get("max_f1"),
        })
    return rows, note


LONG_NAME = 18  # characters: past this the attention tables stand one above the other


def _long_names(report: dict[str, Any]) -> bool:
    """Whether the attention tables stand one above the other: a multiclass table has eight
    columns, and side by side its last ones would not fit a 1,280 px screen; nor would a
    class name longer than LONG_NAME characters."""
    if report["task"] == "multiclass" and report.get("attention"):
        return True
    names = [a["class"] for a in report.get("attention") or []]
    names += [(a.get("confused_with") or {}).get("predicted") or "" for a in report.get("attention") or []]
    names += [c[k] for c in (report.get("top_confusions") or [])[:ATTENTION_CONFUSIONS] for k in ("actual", "predicted")]
    return max(map(len, names), default=0) > LONG_NAME


def _fairness(report: dict[str, Any]) -> dict[str, Any] | None:
    """The fairness section's context with its figure (made here: the report is complete)."""
    context = fairness_context(report)
    if context is not None:
        chart = context["chart"]
        context["figure"] = fairness_figure(chart["title"], chart["groups"], chart["rows"], report["threshold"])
    return context


def two_decisions(report: dict[str, Any]) -> bool:
    """Whether the report's decisions differ from "score above the threshold": multiclass
    with scores (the highest score decides) or a model that gave labels and scores."""
    kind = registry.inputs_kind(report)
    return kind == "both" or (kind == "scores" and report["task"] == "multiclass")


def _macro_row(report: dict[str, Any], columns: list[dict[str, Any]], rows_values: list[dict[str, Any]]) -> dict[str, Any]:
    """The table's last row: the mean over every class of each ratio column (nulls left
    out), as the page shows it; counts are not averaged (None)."""
    out = {}
    for column in columns:
        key = column["key"]
        present = [v[key] for v in rows_values if v[key] is not None]
        out[key] = sum(present) / len(present) if present and column["kind"] == "ratio" else None
    return out


def row_values(entry: dict[str, Any]) -> dict[str, Any]:
    """One class's values by table column key (a ``per_class`` entry)."""
    return {**entry["at_threshold"], "roc_auc": entry["roc_auc"], "average_precision": entry["average_precision"],
            **{f"decision_{k}": entry[k] for k in ("recall", "precision", "f1")}}


def _delta_means(report: dict[str, Any]) -> dict[str, float | None]:
    """The means of the table's ΔF1 and ΔAUC columns (classes with a value)."""
    deltas = (report.get("deltas") or {}).get("per_class") or {}
    out = {}
    for column, key in (("delta_f1", "f1"), ("delta_auc", "roc_auc")):
        present = [d[key] for d in deltas.values() if d.get(key) is not None]
        out[column] = sum(present) / len(present) if present else None
    return out


def _columns(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The table's columns: key, label, kind, its group (None, "decision" or "threshold")
    and the words that qualify its label for a screen reader when the page has two kinds
    of decision ("F1" + " at threshold (one-vs-rest)")."""
    chosen = [c for c in TABLE_COLUMNS if not (label_only(report) and c[0] in SCORE_COLUMNS)]
    if not two_decisions(report):
        return [{"key": k, "label": label, "kind": kind, "group": None, "qualifier": ""} for k, label, kind in chosen]
    decision = _group_names(report)["decision"]
    out = [{"key": k, "label": label, "kind": kind, "group": None, "qualifier": ""}
           for k, label, kind in chosen if k not in AT_THRESHOLD]
    out += [{"key": k, "label": label, "kind": kind, "group": "decision", "qualifier": f" ({decision})"}
            for k, label, kind in DECISION_COLUMNS]
    out += [{"key": k, "label": label, "kind": kind, "group": "threshold", "qualifier": " at threshold (one-vs-rest)"}
            for k, label, kind in chosen if k in AT_THRESHOLD]
    return out


def _group_names(report: dict[str, Any]) -> dict[str, str]:
    decision = "predicted labels" if registry.inputs_kind(report) == "both" else "highest score"
    threshold = ("one-vs-rest, each class at its threshold" if report.get("class_thresholds")
                 else f"one-vs-rest at threshold {report['threshold']}")
    return {"decision": decision, "threshold": threshold}


def _groups(report: dict[str, Any], columns: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The header row above the columns naming each group of columns (label, or None
    over the ungrouped ones, and span); None with one kind of decision."""
    if not two_decisions(report):
        return None
    names = _group_names(report)
    out: list[dict[str, Any]] = []
    for column in columns:
        if out and out[-1]["group"] == column["group"]:
            out[-1]["span"] += 1
        else:
            out.append({"group": column["group"], "label": names.get(column["group"]), "span": 1})
    return out


def _inputs(report: dict[str, Any]) -> dict[str, Any]:
    """What the model gave, for the page's one line on it (and whether the slider exists)."""
    kind = registry.inputs_kind(report)
    return {"kind": kind, "label_only": kind == "labels", "both": kind == "both"}


def _slider(report: dict[str, Any]) -> dict[str, Any] | None:
    """The threshold slider's range (none in a label-only report: there is no threshold)."""
    if report.get("threshold_grid") is None:
        return None
    thresholds = report["threshold_grid"]["thresholds"]
    steps = [round(b - a, 10) for a, b in zip(thresholds, thresholds[1:])]
    regular = len(set(steps)) == 1
    return {"min": thresholds[0], "max": thresholds[-1], "step": steps[0] if regular and steps else "any",
            "value": report["threshold"]}


def _advice_chips(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The suggested thresholds offered as buttons (``chips``: text, threshold), and the
    targets kept only where every example is predicted as every class (``trivial``), which
    are said in words, not offered."""
    advice = report.get("advice_overall") or {}
    chips, trivial = [], []
    everything = "the positive class" if report["task"] == "binary" else "every class"
    for key, metric, words in (("max_f1", "F1", "best F1 ({f1}) at {t}"),
                               ("target_precision", "precision", "precision ≥ {target} from {t}"),
                               ("target_recall", "recall", "recall ≥ {target} up to {t}")):
        point = advice.get(key)
        if not point:
            continue
        t = f"{point['threshold']:.2f}"
        if not offered(key, point):
            trivial.append({"text": f"{metric} ≥ {point['target']} is kept only at {t}, where every example is "
                                    f"predicted as {everything}"})
        else:
            chips.append({"text": words.format(f1=format_ratio(point.get("f1")), target=point.get("target"), t=t),
                          "threshold": point["threshold"]})
    return {"chips": chips, "trivial": trivial}


def _cells(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The SELECTION_CELLS confusion cells with embedded examples listed in the page: the
    mistakes (the diagonal when there are none), most examples first (ties in the report's
    order), as the template's sentence says."""
    selection = report.get("selection") or {}
    cells = [c for c in selection.get("cells", []) if c["examples"]]
    off = [c for c in cells if c["actual"] != c["predicted"]]
    return sorted(off or cells, key=lambda c: -c["count"])[:SELECTION_CELLS]
