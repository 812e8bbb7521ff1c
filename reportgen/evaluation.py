"""The evaluation result: frozen, JSON-ready, shared by the JSON writer and the page."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Mapping, Sequence

SCHEMA_VERSION = "1.1.0"
SCORE_SECTIONS = ("probability_matrix", "curves", "threshold_grid", "calibration")


def inputs_kind(report: Mapping[str, Any]) -> str:
    """What the model of a metrics JSON gave: ``scores``, ``labels`` (hard-label
    predictions only) or ``both`` (reports written before schema 1.1 had scores)."""
    return (report.get("inputs") or {}).get("kind", "scores")


@dataclass(frozen=True)
class Evaluation:
    """Every number of a report, in the shapes of the metrics JSON (see CONTRACT.md).

    Values are plain JSON types (str, int, float, None, lists, dicts). ``to_dict``
    returns a fresh copy, so callers cannot change the result through it.
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
            if f.name not in ("schema_version", "extras"):
                out[f.name] = getattr(self, f.name)
        out.update(self.extras)
        return out

    def with_extras(self, **sections: Any) -> "Evaluation":
        """A copy with more top-level sections (e.g. ``selection``, ``meta``)."""
        merged = {**self.extras, **{k: v for k, v in sections.items() if v is not None}}
        return Evaluation(**{f.name: getattr(self, f.name) for f in fields(self) if f.name != "extras"}, extras=merged)


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
