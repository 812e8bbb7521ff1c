"""Metrics per split or fold, and their mean and spread across splits.

The pooled metrics stay the headline; each split is evaluated from its own statistics,
reduced over chunks of rows (``SplitCombiner``: one mergeable Statistics per split value,
whatever the chunking and the row order). On a streaming engine each split's statistics
are bounded as its main statistics are: exact while every class's distinct scores fit
the engine's budget, binned beyond (``accumulate.bounded_statistics``).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pyarrow.compute as pc

from reportgen.accumulate import bounded_statistics, is_binned, within_budget
from reportgen.chunks import Chunk
from reportgen.errors import InputError
from reportgen.metrics import evaluate_statistics
from reportgen.options import Options
from reportgen.stats import Statistics, from_examples
from reportgen.validate import Examples

SPREAD = ("accuracy", "macro_f1", "roc_auc_macro", "macro_precision", "macro_recall", "log_loss")
MAX_SPLITS = 1000  # distinct values of the split column


class SplitCombiner:
    """Chunks in (``Examples.split`` of the report's model), one Statistics per split value;
    with a ``budget`` (a streaming engine's distinct scores kept exact per class), each
    split's binned once a class has more (None: exact, as the memory engine keeps them)."""

    def __init__(self, opts: Options, budget: int | None = None) -> None:
        self.opts = opts
        self.budget = budget
        self.parts: dict[str, Statistics] = {}

    def add(self, chunk: Chunk) -> None:
        ex = chunk.main
        if ex.n_examples == 0:
            return
        if ex.split is None:
            raise InputError(f"no split column {self.opts.split_column!r}")
        encoded = pc.dictionary_encode(ex.split)
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        order = np.argsort(codes, kind="stable")
        starts = np.flatnonzero(np.diff(codes[order], prepend=-1))
        ends = np.append(starts[1:], len(order))
        names = encoded.dictionary.to_pylist()
        for start, end in zip(starts, ends):
            name = names[codes[order[start]]]
            self._put(name, self._statistics(ex.subset(order[start:end]), self.parts.get(name)))
        self._check()

    def merge(self, other: "SplitCombiner") -> "SplitCombiner":
        for name, stats in other.parts.items():
            self._put(name, stats)
        self._check()
        return self

    def _statistics(self, ex: Examples, so_far: Statistics | None) -> Statistics:
        opts = self.opts
        if self.budget is None:
            return from_examples(ex, opts.threshold, opts.class_thresholds)
        binned = so_far is not None and is_binned(so_far)
        return bounded_statistics(ex, opts.grid, opts.threshold, opts.class_thresholds, self.budget, binned)

    def _put(self, name: str, stats: Statistics) -> None:
        """``stats`` merged into split ``name``'s, kept within the budget."""
        if name in self.parts:
            stats = self.parts[name].merge(stats)
            if self.budget is not None:
                opts = self.opts
                stats = within_budget(stats, opts.grid, opts.threshold, opts.class_thresholds, self.budget)
        self.parts[name] = stats

    def _check(self) -> None:
        if len(self.parts) > MAX_SPLITS:
            raise InputError(f"at least {len(self.parts):,} distinct splits; at most {MAX_SPLITS:,} fit a report",
                             column=self.opts.split_column)

    def section(self) -> dict[str, Any]:
        """The ``splits`` section: per-split summaries, mean and (population) standard deviation."""
        opts = self.opts
        names = _ordered(list(self.parts))
        per_split = {}
        for name in names:
            evaluation = evaluate_statistics(self.parts[name], (opts.threshold,), (), max_curve_points=2)
            per_split[name] = {"n_examples": self.parts[name].n_examples, "summary": evaluation.summary}
        metrics = [m for m in next(iter(per_split.values()))["summary"] if m != "top_k_accuracy"]
        values = {m: [s["summary"][m] for s in per_split.values() if s["summary"][m] is not None] for m in metrics}
        return {
            "column": opts.split_column,
            "names": names,
            "per_split": per_split,
            "mean": {m: float(np.mean(v)) if v else None for m, v in values.items()},
            "std": {m: float(np.std(v)) if v else None for m, v in values.items()},
            "headline": list(SPREAD),
        }


def split_section(chunks: Sequence[Chunk], opts: Options, budget: int | None = None) -> dict[str, Any]:
    """The ``splits`` section of chunks in memory (``budget``: see ``SplitCombiner``)."""
    combiner = SplitCombiner(opts, budget)
    for chunk in chunks:
        combiner.add(chunk)
    return combiner.section()


def _ordered(names: list[str]) -> list[str]:
    """Numeric split names in numeric order (fold 2 before fold 10), others alphabetically."""
    try:
        return sorted(names, key=float)
    except ValueError:
        return sorted(names)
