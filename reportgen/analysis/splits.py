"""Metrics per split or fold, and their mean and spread across splits.

The pooled metrics stay the headline; each split is evaluated from its own statistics.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow.compute as pc

from reportgen.metrics import evaluate_statistics
from reportgen.options import Options
from reportgen.stats import from_examples
from reportgen.validate import Examples

SPREAD = ("accuracy", "macro_f1", "roc_auc_macro", "macro_precision", "macro_recall", "log_loss")


def split_section(ex: Examples, opts: Options) -> dict[str, Any]:
    """The ``splits`` section: per-split summaries, mean and (population) standard deviation."""
    names = _ordered(pc.unique(ex.split).to_pylist())
    codes = pc.index_in(ex.split, value_set=_as_array(names)).to_numpy(zero_copy_only=False)
    per_split = {}
    for i, name in enumerate(names):
        part = ex.subset(np.flatnonzero(codes == i))
        stats = from_examples(part, opts.threshold, opts.class_thresholds, grid=opts.grid)
        evaluation = evaluate_statistics(stats, (opts.threshold,), (), max_curve_points=2)
        per_split[name] = {"n_examples": part.n_examples, "summary": evaluation.summary}
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


def _ordered(names: list[str]) -> list[str]:
    """Numeric split names in numeric order (fold 2 before fold 10), others alphabetically."""
    try:
        return sorted(names, key=float)
    except ValueError:
        return sorted(names)


def _as_array(names: list[str]):
    import pyarrow as pa

    return pa.array(names, pa.string())
