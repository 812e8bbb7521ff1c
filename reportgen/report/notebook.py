"""The report in a notebook: one line of headline numbers in plain HTML (it survives a
viewer that strips iframes and scripts), then the whole page in a sandboxed iframe."""
from __future__ import annotations

from typing import Any

from reportgen import registry
from reportgen.report.output import page_text
from reportgen.report.templating import render_template

HEADLINE = ("accuracy", "macro_f1", "roc_auc_macro")
TASK_HEADLINE = {"binary": ("f1", "accuracy", "roc_auc_macro"),  # the positive class's F1, named
                 "multilabel": ("subset_accuracy", "accuracy", "macro_f1")}  # exact match, Hamming score
FRAME_HEIGHT = 900  # px; the page scrolls inside the frame


def notebook_html(report: dict[str, Any]) -> str:
    """The headline line and ``<iframe sandbox="allow-scripts" srcdoc="...">`` of the page
    (scripts run, with an opaque origin: no access to the notebook around it)."""
    summary = report["summary"]
    metrics = [(key, registry.report_label(key, report), registry.format_value(key, summary.get(key)))
               for key in TASK_HEADLINE.get(report["task"], HEADLINE)]
    meta = report.get("meta") or {}
    return render_template(
        "notebook.html.j2",
        title=meta.get("title") or "Evaluation report",
        task=report["task"],
        n_examples=report["n_examples"],
        metrics=metrics,
        page=page_text(report),
        height=FRAME_HEIGHT,
    )
