"""An index page for a folder of reports (static hosting): read each page's embedded
report-data, list the reports newest first, and chart each headline metric across the
releases of the same dataset and task. Pages that are not reports are listed as skipped."""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from reportgen import registry
from reportgen.report.charts import release_history_chart
from reportgen.report.templating import render_template
from reportgen.report.write import write_atomic

INDEX_NAME = "index.html"
DATA_ISLAND = re.compile(
    r'<script\b[^>]*\bid="report-data"[^>]*>(.*?)</script>', re.DOTALL | re.IGNORECASE
)
HEADLINE = {
    "classification": ("accuracy", "macro_f1", "roc_auc_macro", "log_loss"),
    "generative": ("token_accuracy", "loss", "perplexity"),
}
READ_LIMIT = 64 * 1024 * 1024


@dataclass(frozen=True)
class Entry:
    """One report found under the folder."""

    path: str           # relative to the folder, with forward slashes
    title: str
    model: str | None
    dataset: str | None
    generated_at: str
    task: str
    metrics: dict[str, float | None]

    @property
    def when(self) -> datetime | None:
        """``generated_at`` as an aware UTC time (None when it is not an ISO time)."""
        return parse_time(self.generated_at)

    @property
    def generated_label(self) -> str:
        """``generated_at`` to the second, in UTC, for the table."""
        when = self.when
        return when.strftime("%Y-%m-%d %H:%M:%S UTC") if when is not None else self.generated_at

    def metric_text(self, key: str) -> str:
        return registry.format_value(key, self.metrics.get(key))  # as the pages print it


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


def build_index(folder: str | os.PathLike[str], version: str) -> tuple[list[Entry], list[Skipped]]:
    """Scan ``folder``, write ``folder/index.html``; returns what was listed and skipped."""
    root = Path(folder)
    entries, skipped = scan(root)
    html = render_template(
        "index.html.j2",
        title=f"Reports in {root.resolve().name}",
        entries=entries,
        skipped=skipped,
        histories=_histories(entries),
        generated_at=datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        version=version,
    )
    write_atomic(root / INDEX_NAME, html)
    return entries, skipped


def scan(root: Path) -> tuple[list[Entry], list[Skipped]]:
    entries, skipped = [], []
    for path in sorted(root.rglob("*.html")):
        relative = path.relative_to(root).as_posix()
        if relative == INDEX_NAME:
            continue
        result = read_entry(path, relative)
        (entries if isinstance(result, Entry) else skipped).append(result)
    entries.sort(key=_order, reverse=True)
    return entries, skipped


def read_entry(path: Path, relative: str) -> Entry | Skipped:
    try:
        if path.stat().st_size > READ_LIMIT:
            return Skipped(relative, "larger than 64 MB")
        text = path.read_text("utf-8")
    except (OSError, UnicodeError) as err:
        return Skipped(relative, f"unreadable: {err.__class__.__name__}")
    match = DATA_ISLAND.search(text)
    if match is None:
        return Skipped(relative, "not a reportgen report (no report-data)")
    try:
        report = json.loads(match.group(1))
        return _entry(report, relative, path)
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        return Skipped(relative, f"corrupt report-data ({err.__class__.__name__})")


def _entry(report: dict[str, Any], relative: str, path: Path) -> Entry:
    meta = report.get("meta") or {}
    task = report["task"]
    kind = "generative" if task == "generative" else "classification"
    summary = report["summary"]
    stamp = meta.get("generated_at") or datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat()
    return Entry(
        path=relative,
        title=str(meta.get("title") or path.stem),
        model=meta.get("model"),
        dataset=meta.get("dataset"),
        generated_at=str(stamp),
        task=task,
        metrics={m: _number(summary.get(m)) for m in HEADLINE[kind]},
    )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time as aware UTC (a time without offset is taken as UTC)."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _order(entry: Entry) -> tuple[int, str]:
    """Newest first by time; stamps that are not times sort as text, below every time."""
    when = entry.when
    return (1, when.isoformat()) if when is not None else (0, entry.generated_at)


def _histories(entries: list[Entry]) -> list[dict[str, Any]]:
    """Per dataset and task with two or more dated reports: one static SVG chart per
    headline metric (a binary and a multiclass report of one dataset are two histories)."""
    from reportgen.report.vega import to_svg

    groups: dict[tuple[str, str], list[Entry]] = {}
    for e in entries:
        if e.dataset and e.when is not None:
            groups.setdefault((e.dataset, e.task), []).append(e)
    out = []
    for (dataset, task), group in sorted(groups.items()):
        if len(group) < 2:
            continue
        group.sort(key=lambda e: e.when)
        charts = []
        for metric in group[0].metrics:
            rows = [{"release": e.model or e.title, "generated_at": e.when.isoformat(), "value": e.metrics[metric]}
                    for e in group if e.metrics.get(metric) is not None]
            if rows:
                spec = release_history_chart(rows, registry.label(metric)).to_dict(validate=False)
                charts.append({"metric": metric, "label": registry.label(metric), "svg": to_svg(spec)})
        out.append({"dataset": dataset, "task": task, "count": len(group), "charts": charts})
    return out
