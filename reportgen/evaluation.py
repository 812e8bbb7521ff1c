"""The evaluation result: frozen, JSON-ready, shared by the JSON writer and the page."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from reportgen.report.markdown import summary_markdown

if TYPE_CHECKING:
    from reportgen.analysis.lists import ExampleLists

SCHEMA_VERSION = "1.3.0"
DEFAULT_TITLE = "Evaluation report"
SCORE_SECTIONS = ("probability_matrix", "curves", "threshold_grid", "calibration")


@dataclass(frozen=True, repr=False)
class Evaluation:
    """Every number of a report, in the shapes of the metrics JSON (see CONTRACT.md).

    Values are plain JSON types (str, int, float, None, lists, dicts). ``to_dict``
    returns a fresh copy, so callers cannot change the result through it. ``to_html`` and
    ``to_json`` give the outputs of ``reportgen build``; in a notebook the report shows
    inline (``_repr_html_``). The report modules load on first use, so that importing this
    one stays light.
    """

    task: str
    classes: Sequence[str]
    positive_class: str | None
    n_examples: int
    threshold: float
    summary: Mapping[str, Any]
    per_class: Sequence[Mapping[str, Any]]
    confusion_matrix: Mapping[str, Any]
    probability_matrix: Mapping[str, Any] | None  # None (absent from the JSON) without scores
    curves: Mapping[str, Any] | None
    threshold_grid: Mapping[str, Any] | None
    calibration: Mapping[str, Any] | None
    warnings: Sequence[Mapping[str, str]]
    schema_version: str = SCHEMA_VERSION
    extras: Mapping[str, Any] = field(default_factory=dict)
    example_lists: "ExampleLists | None" = field(default=None, compare=False, repr=False)  # not in the JSON

    def to_dict(self) -> dict[str, Any]:
        """The metrics JSON as a dict: contract keys first, then any extra sections."""
        return {key: json_copy(value) for key, value in self.sections().items()}

    def sections(self) -> dict[str, Any]:
        """The metrics JSON's top-level keys and their values, not copied: for reading only
        (``to_dict`` is the copy a caller may change)."""
        out: dict[str, Any] = {"schema_version": self.schema_version}
        for f in fields(self):
            if f.name in SCORE_SECTIONS and getattr(self, f.name) is None:
                continue  # a label-only report has no score-based sections
            if f.name not in ("schema_version", "extras", "example_lists"):
                out[f.name] = getattr(self, f.name)
        out.update(self.extras)
        return out

    def to_markdown(self, *, report_url: str | None = None) -> str:
        """The GitHub-flavoured Markdown summary that ``build --markdown`` writes."""
        return summary_markdown(self.sections(), report_url=report_url)

    def with_extras(self, **sections: Any) -> "Evaluation":
        """A copy with more top-level sections (e.g. ``selection``, ``meta``)."""
        merged = {**self.extras, **{k: v for k, v in sections.items() if v is not None}}
        return replace(self, extras=merged)

    def with_example_lists(self, lists: "ExampleLists") -> "Evaluation":
        """A copy that carries the full example lists (for ``--export``)."""
        return replace(self, example_lists=lists)

    def to_html(self, path: str | os.PathLike[str] | None = None, *, title: str = DEFAULT_TITLE,
                model: str | None = None, dataset: str | None = None) -> str | None:
        """The page ``reportgen build`` writes: returned as text, or written (atomically) to ``path``."""
        from reportgen.report import output

        text = output.page_text(self.with_extras(meta=output.meta(title, model, dataset)).to_dict())
        return _give(text, path)

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str | None:
        """The metrics JSON, checked against the schema: returned as text, or written to ``path``."""
        from reportgen.report import output

        return _give(output.json_text(self.to_dict()), path)

    def log_to_mlflow(self, run_id: str | None = None, artifact_path: str = "reportgen", *, per_class: bool = False,
                      page: str | None = None) -> str:
        """Log the report to an MLflow run: the summary's metrics under their registry keys
        (``accuracy``, ``macro_f1``, ...; with ``per_class``, ``per_class/CLASS/f1`` and the
        like), the threshold, task and engine as params, the page and the metrics JSON as
        artifacts under ``artifact_path``. The run is ``run_id``, or the active run, or a new
        one; the tracking server is MLflow's (``MLFLOW_TRACKING_URI``). ``page``: the page
        already written, instead of drawing it again. Returns the run's id. Needs
        ``pip install 'reportgen[mlflow]'``."""
        from reportgen.report import output, tracking

        report = self.to_dict()
        if "meta" not in report:
            report["meta"] = output.meta(DEFAULT_TITLE)
        return tracking.log_report(report, page if page is not None else output.page_text(report),
                                   output.json_text(report), run_id, artifact_path, per_class)

    def _repr_html_(self) -> str:
        """Jupyter's view: the headline numbers, then the whole page in a sandboxed iframe."""
        from reportgen.report import output
        from reportgen.report.notebook import notebook_html

        report = self.to_dict()
        if "meta" not in report:
            report["meta"] = output.meta(DEFAULT_TITLE)
        return notebook_html(report)

    def __repr__(self) -> str:
        summary = self.summary
        shown = ", ".join(f"{k}={summary[k]:.4f}" for k in ("accuracy", "macro_f1", "roc_auc_macro")
                          if isinstance(summary.get(k), (int, float)))
        return (f"Evaluation(task={self.task!r}, n_examples={self.n_examples}, classes={len(self.classes)}"
                f"{', ' + shown if shown else ''})")


def _give(text: str, path: str | os.PathLike[str] | None) -> str | None:
    if path is None:
        return text
    from reportgen.report.output import write_text

    write_text(path, text)
    return None


_CONTAINERS = (dict, list, tuple)


def json_copy(value: Any) -> Any:
    """A fresh copy of JSON-ready data (dicts, lists or tuples as lists, scalars): as
    ``copy.deepcopy`` but without its bookkeeping, and a list of scalars in one slice."""
    if isinstance(value, dict):
        return {key: json_copy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        if any(isinstance(item, _CONTAINERS) for item in value):
            return [json_copy(item) for item in value]
        return list(value)
    return value
