"""Metrics per split or fold, and their mean and spread across splits.

The pooled metrics stay the headline; each split is evaluated from its own statistics,
reduced over chunks of rows (``SplitCombiner``: one mergeable Statistics per split value,
whatever the chunking and the row order).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pyarrow.compute as pc

from reportgen.chunks import Chunk
from reportgen.errors import InputError
from reportgen.metrics import evaluate_statistics
from reportgen.options import Options
from reportgen.stats import Statistics, from_examples

SPREAD = ("accuracy", "macro_f1", "roc_auc_macro", "macro_precision", "macro_recall", "log_loss")
MAX_SPLITS = 1000  # distinct values of the split column


class SplitCombiner:
    """Chunks in (``Examples.split`` of the report's model), one Statistics per split value."""

    def __init__(self, opts: Options) -> None:
        self.opts = opts
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
            stats = from_examples(ex.subset(order[start:end]), self.opts.threshold, self.opts.class_thresholds)
            self.parts[name] = self.parts[name].merge(stats) if name in self.parts else stats
        self._check()

    def merge(self, other: "SplitCombiner") -> "SplitCombiner":
        for name, stats in other.parts.items():
            self.parts[name] = self.parts[name].merge(stats) if name in self.parts else stats
        self._check()
        return self

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
