"""What every view of a report asks of it before drawing: how many classes make a "many
classes" view, whether the model gave only hard labels, whether its own predictions
decided, and which advice points are offered. The charts, the figures, the page, the
email and the decisions section read these from here."""
from __future__ import annotations

from typing import Any

from reportgen.registry import inputs_kind

MANY_CLASSES = 12  # beyond this, curves show the macro average and the picked class only


def many(report: dict[str, Any]) -> bool:
    return len(report["classes"]) > MANY_CLASSES


def label_only(report: dict[str, Any]) -> bool:
    """A report of hard-label predictions without scores (no curves, grid or calibration)."""
    return inputs_kind(report) == "labels"


def decided(report: dict[str, Any]) -> bool:
    """Whether the model's own hard-label predictions made the decisions."""
    return inputs_kind(report) != "scores"


def offered(key: str, point: dict[str, Any] | None) -> bool:
    """Whether an advice point (``advice[class][key]``) is offered as a suggested threshold:
    a target kept only where every example is predicted as every class (``predicts_all``) is
    not (the page script's ``adviceMarks`` asks the same)."""
    return bool(point) and not (point.get("predicts_all") and key != "max_f1")
