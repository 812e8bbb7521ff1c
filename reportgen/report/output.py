"""Write a report's outputs: the HTML page and the metrics JSON, each atomically."""
from __future__ import annotations

import os
from typing import Any

from reportgen.errors import InputError
from reportgen.evaluation import Evaluation
from reportgen.report import json as report_json
from reportgen.report.write import write_atomic


def write_report(
    evaluation: Evaluation,
    *,
    html_path: str | os.PathLike[str] | None,
    json_path: str | os.PathLike[str] | None = None,
) -> None:
    """Render everything first, then write; nothing is written if anything fails."""
    report = evaluation.to_dict()
    outputs: list[tuple[Any, str]] = []
    if json_path is not None:
        outputs.append((json_path, report_json.dumps(report) + "\n"))
    if html_path is not None:
        outputs.append((html_path, render_html(report)))
    for path, _ in outputs:
        _check_writable(path)
    for path, text in outputs:
        write_atomic(path, text)


def render_html(report: dict[str, Any]) -> str:
    """The page for a checked report."""
    from reportgen.report.page import PageMeta, render_page

    report_json.check(report)
    meta = report.get("meta", {})
    page_meta = PageMeta(
        title=meta.get("title") or "Classifier evaluation",
        model=meta.get("model"),
        dataset=meta.get("dataset"),
        generated_at=meta.get("generated_at", ""),
        version=meta.get("reportgen_version", ""),
    )
    return render_page(report, page_meta)


def _check_writable(path: str | os.PathLike[str]) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InputError("the output folder does not exist", file=str(path))
    if os.path.isdir(path):
        raise InputError("the output path is a folder", file=str(path))
    if not os.access(folder, os.W_OK):
        raise InputError("the output folder is not writable", file=str(path))
