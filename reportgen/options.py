"""The choices that shape an evaluation, checked once."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

from reportgen.costs import Costs, costs_option
from reportgen.errors import InputError

SCORES_ARE = ("probabilities", "logits")
DISTINCT_BUDGET = 2_000_000  # streaming engines: distinct scores per class kept exact, binned beyond


@dataclass(frozen=True)
class Options:
    """What the caller asked for; validated on construction."""

    threshold: float = 0.5
    multilabel: bool = False
    positive_class: str | None = None
    id_column: str = "id"
    label_column: str | None = None
    label_sep: str = "|"
    grid_step: float = 0.01
    allow_partial: bool = False
    score_columns: tuple[str, ...] | None = None
    max_curve_points: int = 80
    inputs_per_cell: int = 25
    inputs_total: int = 1000
    n_bootstrap: int = 1000
    seed: int = 0
    at_precision: float = 0.9
    at_recall: float = 0.9
    target_precision: float = 0.9
    target_recall: float = 0.9
    class_thresholds: Mapping[str, float] | None = None
    split_column: str | None = None
    list_limit: int = 25  # examples listed as confident mistakes, label issues, broken
    scores_are: str = "probabilities"  # or "logits": softmax (multiclass) / sigmoid (binary, multilabel)
    classes: tuple[str, ...] | None = None  # names of the positions of a list-valued score column
    weight_column: str | None = None  # example weights, in the labels file (else the metadata file)
    prediction_column: str = "predicted"  # hard-label predictions: the column of the predictions file
    gain_bins: int = 10  # equal-count bins of the gains table
    costs: "Costs | Mapping | str | None" = None  # decision costs: a file, a mapping or Costs (see reportgen.costs)
    group_by: tuple[str, ...] = ()  # fairness groups: columns of the labels or the metadata file ("a,b" crossed)
    min_group_size: int = 30  # fairness groups below this are shown, marked, and left out of the disparities
    fairness_class: str | None = None  # the class compared across groups (one-vs-rest); default: see analysis.fairness

    def __post_init__(self) -> None:
        _check_unit("--threshold", self.threshold, allow_zero=True)
        _check_unit("--grid-step", self.grid_step, allow_zero=False)
        if self.grid_step > 0.5:
            raise InputError(f"--grid-step {self.grid_step!r} must be at most 0.5")
        if round(1.0 / self.grid_step) > 10_000:
            raise InputError(f"--grid-step {self.grid_step!r} makes more than 10,000 thresholds")
        if not self.label_sep:
            raise InputError("--label-sep must not be empty")
        if not self.id_column:
            raise InputError("--id-column must not be empty")
        if not self.prediction_column:
            raise InputError("--prediction-column must not be empty")
        for name in ("max_curve_points", "inputs_per_cell", "inputs_total", "n_bootstrap"):
            if getattr(self, name) < 0:
                raise InputError(f"{name} must not be negative")
        for option in ("at_precision", "at_recall", "target_precision", "target_recall"):
            _check_unit(f"--{option.replace('_', '-')}", getattr(self, option), allow_zero=False)
        if self.scores_are not in SCORES_ARE:
            raise InputError(f"usage: --scores-are {self.scores_are!r} is not one of {', '.join(SCORES_ARE)}")
        if self.classes is not None:
            if not self.classes or any(not c for c in self.classes):
                raise InputError("usage: --classes needs class names, none of them empty")
            if len(set(self.classes)) != len(self.classes):
                repeated = next(c for c in self.classes if self.classes.count(c) > 1)
                raise InputError(f"usage: --classes names {repeated!r} twice")
        if self.weight_column is not None and not self.weight_column:
            raise InputError("--weight-column must not be empty")
        for name, value in (self.class_thresholds or {}).items():
            _check_unit(f"class threshold of {name!r}", value, allow_zero=True)
        if isinstance(self.gain_bins, bool) or not isinstance(self.gain_bins, int) or not 1 <= self.gain_bins <= 1000:
            raise InputError(f"usage: --gain-bins {self.gain_bins!r} must be a whole number from 1 to 1000")
        object.__setattr__(self, "costs", costs_option(self.costs))
        object.__setattr__(self, "group_by", (self.group_by,) if isinstance(self.group_by, str) else tuple(self.group_by))
        if isinstance(self.min_group_size, bool) or not isinstance(self.min_group_size, int) or self.min_group_size < 1:
            raise InputError(f"usage: --min-group-size {self.min_group_size!r} must be a whole number >= 1")
        if self.fairness_class is not None and not self.group_by:
            raise InputError("usage: --fairness-class needs --group-by COLUMN")

    @property
    def text_columns(self) -> tuple[str, ...]:
        """Columns read as text whatever they hold: the id and the label column(s)."""
        return (self.id_column, *(c for c in (self.label_column,) if c), "label", "labels", self.prediction_column)

    @property
    def grid(self) -> tuple[float, ...]:
        """Grid thresholds 0..1 by grid_step, with the report threshold added."""
        count = int(math.floor(1.0 / self.grid_step + 1e-9))
        points = {round(i * self.grid_step, 10) for i in range(count + 1)}
        points.add(1.0)
        points.add(float(self.threshold))
        return tuple(sorted(points))


def _check_unit(option: str, value: float, *, allow_zero: bool) -> None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{option} {value!r} is not a number") from None
    low_ok = number >= 0 if allow_zero else number > 0
    if not (math.isfinite(number) and low_ok and number <= 1):
        bounds = "[0, 1]" if allow_zero else "(0, 1]"
        raise InputError(f"{option} {value!r} is outside {bounds}")
