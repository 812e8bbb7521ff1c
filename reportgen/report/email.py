"""An email-ready MIME message: an HTML body made for mail clients (inline styles, table
layout, charts as PNG parts referenced by cid:), a plain-text alternative with the same
numbers, and the interactive report attached."""
from __future__ import annotations

import os
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Sequence

from reportgen import registry
from reportgen.evidence import verdict_line
from reportgen.report.decisions_view import decision_lines
from reportgen.report.fairness_view import summary_lines
from reportgen.report.view import label_only
from reportgen.report.page import headline_tiles
from reportgen.report.templating import count_digits, render_template

SUBJECT = {"binary": ("f1", "accuracy"), "multilabel": ("macro_f1", "subset_accuracy")}  # keys in the default subject
SUBJECT_DEFAULT = ("macro_f1", "accuracy")
TABLE = ("total_labeled", "total_predicted", "tp", "fp", "fn", "precision", "recall", "f1")
PNG_SCALE = 1.5
EMAIL_CLASSES = 30  # per-class rows in the message body; past this many classes, the lowest F1 first


def build_message(
    report: dict[str, Any],
    page_html: str,
    *,
    subject: str | None = None,
    to: Sequence[str] = (),
    charts: Sequence[tuple[str, str, dict]] = (),
) -> EmailMessage:
    """The message; ``charts`` are (name, title, Vega-Lite spec) rendered to PNG."""
    from reportgen.report.vega import to_png

    meta = report.get("meta") or {}
    title = meta.get("title") or "Evaluation report"
    images = [(name, title_, make_msgid(domain="reportgen.local")[1:-1], to_png(spec, PNG_SCALE))
              for name, title_, spec in charts]
    context = _context(report, meta, title, images)
    message = EmailMessage()
    message["Subject"] = subject or _subject(report, title)
    if to:
        message["To"] = ", ".join(to)
    message["Date"] = formatdate(localtime=False)
    message["X-Generator"] = f"reportgen {meta.get('reportgen_version', '')}".strip()
    message.set_content(render_template("email.txt.j2", **context))
    message.add_alternative(render_template("email.html.j2", **context), subtype="html")
    body = message.get_payload()[1]
    for _, _, cid, png in images:
        body.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>")
    message.add_attachment(
        page_html.encode("utf-8"), maintype="text", subtype="html", filename=_filename(title),
        params={"charset": "utf-8"},  # the page's text is UTF-8 (a reader would otherwise guess ASCII)
    )
    return message


def _subject(report: dict[str, Any], title: str) -> str:
    summary = report["summary"]
    keys = SUBJECT.get(report["task"], SUBJECT_DEFAULT)
    parts = [title] + [f"{registry.report_label(key, report)} {registry.format_value(key, summary[key])}"
                       for key in keys if summary.get(key) is not None]
    return " · ".join(parts)


def _filename(title: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in title.lower()).split()
    safe = "-".join(words)
    return f"{safe or 'report'}.html"


def _context(report: dict[str, Any], meta: dict[str, Any], title: str, images) -> dict[str, Any]:
    tiles = headline_tiles(report)  # the page's tiles: the same metrics, changes and intervals
    rows = [
        {"class": c["class"], "roc_auc": c["roc_auc"], **{k: c["at_threshold"][k] for k in TABLE}}
        for c in report["per_class"]
    ]
    if len(rows) > EMAIL_CLASSES:  # a mail client shows the worst classes; the page has them all
        rows = sorted(rows, key=lambda r: r["f1"])[:EMAIL_CLASSES]
    return {
        "title": title,
        "meta": meta,
        "report": report,
        "tiles": tiles,
        "rows": rows,
        "count_digits": count_digits(report),
        "n_classes": len(report["per_class"]),
        "label_only": label_only(report),  # no threshold and no ROC AUC to show
        "baseline": (report.get("baseline") or {}).get("name"),
        "evidence": [verdict_line(e) for e in report.get("evidence") or ()],  # the page's and the Markdown's lines
        "decisions": decision_lines(report),  # the Markdown's KS, net benefit and expected cost sentences
        "images": [{"name": n, "title": t, "cid": cid} for n, t, cid, _ in images],
        "fairness": summary_lines(report),
    }


def write_message(message: EmailMessage, path: str | os.PathLike[str]) -> None:
    from reportgen.report.write import write_atomic

    write_atomic(path, message.as_bytes())
