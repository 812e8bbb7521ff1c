"""Training history: one series per metric and split, the best validation step, and an
overfitting check (validation loss rising while training loss keeps falling)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from reportgen import registry
from reportgen.errors import InputError

STEP_COLUMNS = ("step", "epoch")
STRING_COLUMNS = ("split",)
VALIDATION = ("validation", "val", "valid", "eval", "dev", "test")
TRAINING = ("train", "training")
LOWER_IS_BETTER = ("loss", "error", "perplexity")  # words of a metric name the registry does not know
PATIENCE = 3


def history_section(table: pa.Table, path: str) -> dict[str, Any]:
    """The ``history`` section from a table of steps (or epochs) and metrics (read from the
    file ``path``, named in errors; its ``split`` column read as text: ``STRING_COLUMNS``)."""
    step_column = next((c for c in STEP_COLUMNS if c in table.column_names), None)
    if step_column is None:
        raise InputError("no 'step' or 'epoch' column", file=path)
    long = _long_form(table, step_column, path)
    series = {m: {s: _series(rows) for s, rows in by_split.items()} for m, by_split in long.items()}
    metrics = list(series)
    splits = sorted({s for by_split in series.values() for s in by_split}, key=_split_order)
    validation = _validation_split(splits)
    best = _best(series, validation)
    return {
        "step_column": step_column,
        "metrics": metrics,
        "splits": splits,
        "validation_split": validation,
        "best_step": best[0],
        "best_metric": best[1],
        "overfitting": _overfitting(series, splits, validation),
        "series": series,
        "changes": {
            m: {s: {"start": v["values"][0], "end": v["values"][-1], "change": v["values"][-1] - v["values"][0]}
                for s, v in by_split.items()}
            for m, by_split in series.items()
        },
    }


def _long_form(table: pa.Table, step_column: str, path: str) -> dict[str, dict[str, list]]:
    """{metric: {split: [(step, value), ...]}}; Keras-style val_* columns become a split."""
    steps = _numbers(table, step_column, path)
    if "split" in table.column_names:
        split = table.column("split").cast(pa.string()).to_pylist()
        columns = [c for c in table.column_names if c not in (step_column, "split")]
        named = [(c, c, None) for c in columns]
    else:
        split = None
        named = [(c, *_prefixed(c)) for c in table.column_names if c != step_column]
    out: dict[str, dict[str, list]] = {}
    for column, metric, fixed in named:
        values = _numbers(table, column, path)
        for i in np.flatnonzero(~np.isnan(values)):
            name = fixed or (split[i] if split is not None else "train")
            out.setdefault(metric, {}).setdefault(str(name), []).append((float(steps[i]), float(values[i])))
    if not out:
        raise InputError("no metric columns besides the step", file=path)
    return out


def _prefixed(column: str) -> tuple[str, str | None]:
    for prefix, split in (("val_", "validation"), ("valid_", "validation"), ("validation_", "validation"),
                          ("train_", "train"), ("test_", "test")):
        if column.startswith(prefix):
            return column[len(prefix):], split
    return column, None


def _numbers(table: pa.Table, column: str, path: str) -> np.ndarray:
    data = table.column(column)
    if not (pa.types.is_integer(data.type) or pa.types.is_floating(data.type) or pa.types.is_null(data.type)):
        first = next((v for v in data.to_pylist() if v is not None), None)
        raise InputError(f"column is not numeric (e.g. {first!r})", file=path, column=column)
    return pc.cast(data, pa.float64()).to_numpy(zero_copy_only=False)


def _series(rows: list[tuple[float, float]]) -> dict[str, list[float]]:
    rows = sorted(rows)
    return {"steps": [_whole(s) for s, _ in rows], "values": [v for _, v in rows]}


def _whole(step: float) -> float | int:
    return int(step) if float(step).is_integer() else step


def _split_order(name: str) -> tuple[int, str]:
    low = name.lower()
    return (0 if low in TRAINING else 1 if low in VALIDATION else 2, name)


def _validation_split(splits: list[str]) -> str | None:
    for name in splits:
        if name.lower() in VALIDATION:
            return name
    return splits[-1] if len(splits) > 1 else (splits[0] if splits else None)


def _lower_is_better(metric: str) -> bool:
    """The registry's direction for a known metric; else guessed from the name (a training
    history names its own metrics: ``val_loss``, ``error_rate``)."""
    entry = registry.info(metric)
    if entry is not None:
        return not entry.higher_is_better
    return any(word in metric.lower() for word in LOWER_IS_BETTER)


def _best(series, validation) -> tuple[Any, str | None]:
    metric = next((m for m in series if "loss" in m.lower() and validation in series[m]), None)
    metric = metric or next((m for m in series if validation in series[m]), None)
    if metric is None:
        return None, None
    s = series[metric][validation]
    pick = np.argmin if _lower_is_better(metric) else np.argmax
    return s["steps"][int(pick(s["values"]))], metric


def _overfitting(series, splits, validation) -> dict[str, Any]:
    """Validation loss up for PATIENCE steps in a row while training loss goes down."""
    loss = next((m for m in series if "loss" in m.lower()), None)
    train = next((s for s in splits if s.lower() in TRAINING), None)
    if loss is None or train is None or validation is None or validation == train:
        return {"detected": False, "start_step": None, "metric": loss, "patience": PATIENCE}
    val, trn = series[loss].get(validation), series[loss].get(train)
    if not val or not trn:
        return {"detected": False, "start_step": None, "metric": loss, "patience": PATIENCE}
    train_at = dict(zip(trn["steps"], trn["values"]))
    run = 0
    for i in range(1, len(val["steps"])):
        step, before = val["steps"][i], val["steps"][i - 1]
        rising = val["values"][i] > val["values"][i - 1]
        falling = step in train_at and before in train_at and train_at[step] < train_at[before]
        run = run + 1 if rising and falling else 0
        if run >= PATIENCE:
            return {"detected": True, "start_step": val["steps"][i - run], "metric": loss, "patience": PATIENCE}
    return {"detected": False, "start_step": None, "metric": loss, "patience": PATIENCE}
