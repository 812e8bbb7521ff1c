"""A report's outputs: the HTML page and the metrics JSON (written atomically, or returned
as text to the Python API), and the header facts of the ``meta`` section."""
from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any, Callable, Protocol, Sequence

from reportgen import __version__
from reportgen.errors import InputError
from reportgen.report import json as report_json
from reportgen.report.write import write_atomic

PathLike = str | os.PathLike[str]


class ReportSource(Protocol):
    """What gives a classification report's plain data (the metrics JSON as a dict), as
    ``reportgen.Evaluation`` does."""

    def to_dict(self) -> dict[str, Any]: ...


def meta(title: str, model: str | None = None, dataset: str | None = None) -> dict[str, str | None]:
    """The ``meta`` section: the header's facts, stamped now."""
    return {
        "title": title,
        "model": model,
        "dataset": dataset,
        "generated_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "reportgen_version": __version__,
    }


def page_text(report: dict[str, Any]) -> str:
    """The page ``reportgen build`` writes, as text, for a report checked here."""
    report_json.check_shape(report)
    return render_html(report)


def json_text(report: dict[str, Any]) -> str:
    """The metrics JSON ``--metrics-json`` writes, as text, for a report checked here."""
    report_json.check_shape(report)
    return _json(report)


def write_text(path: PathLike, text: str) -> None:
    """One output file, written atomically into a folder that must exist."""
    _check_writable(path)
    write_atomic(path, text)


def write_report(
    evaluation: ReportSource,
    *,
    html_path: PathLike | None,
    json_path: PathLike | None = None,
    eml_path: PathLike | None = None,
    subject: str | None = None,
    to: tuple[str, ...] = (),
    figures: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    also: Sequence[tuple[PathLike, str | bytes]] = (),
) -> None:
    """A classification report's page, JSON and email; nothing is written if anything fails.

    ``figures`` makes the page's charts from the report (see ``render_page``); ``also``
    are more (path, contents) written with them (the Markdown summary, the model card,
    the exported lists)."""
    report = evaluation.to_dict()
    extra = list(also)
    if eml_path is not None:
        from reportgen.report.charts import email_charts
        from reportgen.report.email import build_message

        page = render_html(report, figures)
        message = build_message(report, page, subject=subject, to=to, charts=email_charts(report))
        extra.append((eml_path, message.as_bytes()))
        _write(report, lambda _: page, html_path, json_path, extra)
    else:
        _write(report, lambda r: render_html(r, figures), html_path, json_path, extra)


def write_generative(report: dict[str, Any], *, html_path: PathLike | None, json_path: PathLike | None = None) -> None:
    """A generative report's page and JSON, written the same way."""
    from reportgen.report.generative_page import render_generative

    _write(report, render_generative, html_path, json_path)


def _write(report: dict[str, Any], render: Callable[[dict[str, Any]], str], html_path, json_path, extra=()) -> None:
    """Check and render everything first, then write each file atomically."""
    report_json.check_shape(report)
    outputs: list[tuple[Any, str | bytes]] = list(extra)
    if json_path is not None:
        outputs.append((json_path, _json(report)))
    if html_path is not None:
        outputs.append((html_path, render(report)))
    for path, _ in outputs:
        _check_writable(path)
    for path, text in outputs:
        write_atomic(path, text)


def _json(report: dict[str, Any]) -> str:
    return report_json.dumps(report) + "\n"


def page_meta(report: dict[str, Any]):
    """The page header's facts, from the report's ``meta`` section."""
    from reportgen.report.page import PageMeta

    meta = report.get("meta", {})
    return PageMeta(
        title=meta.get("title") or "Classifier evaluation",
        model=meta.get("model"),
        dataset=meta.get("dataset"),
        generated_at=meta.get("generated_at", ""),
        version=meta.get("reportgen_version", ""),
    )


def render_html(report: dict[str, Any], figures=None) -> str:
    """The interactive page of a classification report."""
    from reportgen.report.page import render_page

    return render_page(report, page_meta(report), figures)


def _check_writable(path: PathLike) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InputError("the output folder does not exist", file=str(path))
    if os.path.isdir(path):
        raise InputError("the output path is a folder", file=str(path))
    if not os.access(folder, os.W_OK):
        raise InputError("the output folder is not writable", file=str(path))
