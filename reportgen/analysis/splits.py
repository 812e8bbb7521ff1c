"""Metrics per split or fold, and their mean and spread across splits.

The pooled metrics stay the headline; each split is evaluated from its own statistics,
reduced over chunks of rows (``SplitCombiner``: one mergeable Statistics per split value,
whatever the chunking and the row order). On a streaming engine each split's statistics
are bounded as the main statistics are (``accumulate.Accumulator``): exact while every
class's distinct scores fit the engine's budget, binned beyond.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pyarrow.compute as pc

from reportgen.accumulate import Accumulator, within_budget
from reportgen.chunks import Chunk
from reportgen.errors import InputError
from reportgen.metrics import evaluate_statistics
from reportgen.options import Options
from reportgen.stats import Statistics, from_examples

SPREAD = ("accuracy", "macro_f1", "roc_auc_macro", "macro_precision", "macro_recall", "log_loss")
MAX_SPLITS = 1000  # distinct values of the split column


class SplitCombiner:
    """Chunks in (``Examples.split`` of the report's model), one Statistics per split value.

    With a ``budget`` (a streaming engine's distinct scores kept exact per class) each split
    is counted by an ``Accumulator`` of its own, as the main statistics are: exact while
    every class's distinct scores fit the budget, binned beyond (from the first chunk on
    when the pass's ``expected_rows`` would outgrow it, as the main Accumulator judges);
    None keeps every split exact (the memory engine). Pickles (and merges) as the
    statistics counted so far."""

    def __init__(self, opts: Options, budget: int | None = None, expected_rows: int | None = None) -> None:
        self.opts = opts
        self.budget = budget
        self.expected_rows = expected_rows
        self.parts: dict[str, Statistics] = {}  # merged in, from a pickle, or (no budget) counted
        self.accumulators: dict[str, Accumulator] = {}  # with a budget: each split's, counting

    def add(self, chunk: Chunk) -> None:
        ex = chunk.main
        if ex.n_examples == 0:
            return
        if ex.split is None:
            raise InputError(f"no split column {self.opts.split_column!r}")
        opts = self.opts
        encoded = pc.dictionary_encode(ex.split)
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        order = np.argsort(codes, kind="stable")
        starts = np.flatnonzero(np.diff(codes[order], prepend=-1))
        ends = np.append(starts[1:], len(order))
        names = encoded.dictionary.to_pylist()
        for start, end in zip(starts, ends):
            name = names[codes[order[start]]]
            rows = ex.subset(order[start:end])
            if self.budget is None:
                self._put(name, from_examples(rows, opts.threshold, opts.class_thresholds))
                continue
            if name not in self.accumulators:
                self.accumulators[name] = Accumulator(opts.threshold, opts.class_thresholds, opts.grid,
                                                      budget=self.budget, expected_rows=self.expected_rows)
            self.accumulators[name].add(rows)
        self._check()

    def merge(self, other: "SplitCombiner") -> "SplitCombiner":
        for name, stats in other.statistics().items():
            self._put(name, stats)
        self._check()
        return self

    def statistics(self) -> dict[str, Statistics]:
        """Each split's statistics (ends the accumulators)."""
        accumulators, self.accumulators = self.accumulators, {}
        for name, acc in accumulators.items():
            self._put(name, acc.statistics())
        return self.parts

    def _put(self, name: str, stats: Statistics) -> None:
        """``stats`` merged into split ``name``'s (kept within the budget, if any)."""
        if name in self.parts:
            stats = self.parts[name].merge(stats)
            if self.budget is not None:
                opts = self.opts
                stats = within_budget(stats, opts.grid, opts.threshold, opts.class_thresholds, self.budget)
        self.parts[name] = stats

    def _check(self) -> None:
        found = len(self.parts.keys() | self.accumulators.keys())
        if found > MAX_SPLITS:
            raise InputError(f"at least {found:,} distinct splits; at most {MAX_SPLITS:,} fit a report",
                             column=self.opts.split_column)

    def __getstate__(self) -> dict[str, Any]:
        return {"opts": self.opts, "budget": self.budget, "expected_rows": self.expected_rows,
                "parts": self.statistics(), "accumulators": {}}

    def section(self) -> dict[str, Any]:
        """The ``splits`` section: per-split summaries, mean and (population) standard deviation."""
        opts = self.opts
        parts = self.statistics()
        names = _ordered(list(parts))
        per_split = {}
        for name in names:
            evaluation = evaluate_statistics(parts[name], (opts.threshold,), (), max_curve_points=2)
            per_split[name] = {"n_examples": parts[name].n_examples, "summary": evaluation.summary}
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


def split_section(chunks: Sequence[Chunk], opts: Options) -> dict[str, Any]:
    """The ``splits`` section of chunks in memory."""
    combiner = SplitCombiner(opts)
    for chunk in chunks:
        combiner.add(chunk)
    return combiner.section()


def _ordered(names: list[str]) -> list[str]:
    """Numeric split names in numeric order (fold 2 before fold 10), others alphabetically."""
    try:
        return sorted(names, key=float)
    except ValueError:
        return sorted(names)
