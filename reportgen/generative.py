"""Next-token evaluation of a language model: token accuracy, loss, perplexity.

Input: one row per predicted token with ``example_id``, ``target`` (the true token),
``predicted`` (the model's top token) and ``logprob`` (natural-log probability the model
gave the true token). Loss is in nats per token.
"""
from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from reportgen.errors import InputError
from reportgen.evaluation import SCHEMA_VERSION
from reportgen.io import read_table

COLUMNS = ("example_id", "target", "predicted", "logprob")
WORST = 20
HISTOGRAM_BINS = 30


def evaluate_tokens(
    path: str | os.PathLike[str],
    *,
    vocab_size: int | None = None,
    baseline: str | os.PathLike[str] | None = None,
    baseline_name: str = "baseline",
) -> dict[str, Any]:
    """The generative report dict (``task: "generative"``)."""
    if vocab_size is not None and vocab_size < 2:
        raise InputError(f"--vocab-size {vocab_size} must be at least 2")
    model = _reduce(str(path))
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "task": "generative",
        "summary": _summary(model, vocab_size),
        "examples": _examples(model),
        "warnings": [],
    }
    if baseline is not None:
        old = _reduce(str(baseline))
        base_summary = _summary(old, vocab_size)
        report["baseline"] = {"name": baseline_name, "summary": base_summary}
        report["deltas"] = {
            "summary": {
                k: (None if v is None or base_summary[k] is None else v - base_summary[k])
                for k, v in report["summary"].items()
                if k not in ("n_tokens", "n_examples", "uniform_loss")
            }
        }
        if old["n_tokens"] != model["n_tokens"]:
            report["warnings"].append({
                "code": "different_tokens",
                "message": f"the baseline scores {old['n_tokens']} tokens, the model {model['n_tokens']}",
            })
    return report


def _reduce(name: str) -> dict[str, Any]:
    table = read_table(name, string_columns=("example_id", "target", "predicted"))
    missing = [c for c in COLUMNS if c not in table.column_names]
    if missing:
        raise InputError(f"missing column(s) {', '.join(map(repr, missing))} (needs {', '.join(COLUMNS)})", file=name)
    ids = _text(table, "example_id", name)
    logprob = _logprob(table, ids, name)
    right = pc.equal(_text(table, "target", name), _text(table, "predicted", name)).to_numpy(zero_copy_only=False)
    encoded = pc.dictionary_encode(ids)
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    size = len(encoded.dictionary)
    return {
        "n_tokens": len(logprob),
        "loss_sum": float(-logprob.sum()),
        "right": int(right.sum()),
        "example_ids": encoded.dictionary.to_pylist(),
        "example_tokens": np.bincount(codes, minlength=size),
        "example_loss": np.bincount(codes, weights=-logprob, minlength=size),
        "example_right": np.bincount(codes, weights=right, minlength=size),
    }


def _text(table: pa.Table, column: str, name: str) -> pa.Array:
    values = table.column(column).combine_chunks()
    if values.null_count:
        row = int(np.argmax(values.is_null().to_numpy(zero_copy_only=False)))
        raise InputError(f"row {row + 1}: missing value", file=name, column=column)
    return values if pa.types.is_string(values.type) else pc.cast(values, pa.string())


def _logprob(table: pa.Table, ids: pa.Array, name: str) -> np.ndarray:
    column = table.column("logprob").combine_chunks()
    if not (pa.types.is_floating(column.type) or pa.types.is_integer(column.type)):
        raise InputError(f"logprob is not numeric ({column[0].as_py()!r} in the first row)", file=name, column="logprob")
    values = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    bad = np.isnan(values) | (values > 0)
    if bad.any():
        row = int(np.argmax(bad))
        what = "missing or NaN" if np.isnan(values[row]) else f"{float(values[row])!r} is above 0 (not a log-probability)"
        raise InputError(f"row {row + 1}, example {ids[row].as_py()!r}: logprob {what}", file=name, column="logprob")
    return values


def _summary(model: dict[str, Any], vocab_size: int | None) -> dict[str, Any]:
    n = model["n_tokens"]
    loss = model["loss_sum"] / n
    return {
        "token_accuracy": model["right"] / n,
        "loss": loss,
        "perplexity": math.exp(loss) if loss < 700 else None,
        "uniform_loss": math.log(vocab_size) if vocab_size else None,
        "n_tokens": n,
        "n_examples": len(model["example_ids"]),
    }


def _examples(model: dict[str, Any]) -> dict[str, Any]:
    tokens = model["example_tokens"]
    loss = model["example_loss"] / tokens
    accuracy = model["example_right"] / tokens
    worst = np.argsort(-loss, kind="stable")[:WORST]
    counts, edges = np.histogram(loss, bins=HISTOGRAM_BINS)
    return {
        "loss_histogram": {"edges": [float(e) for e in edges], "counts": counts.astype(int).tolist()},
        "loss_quantiles": {q: float(np.quantile(loss, float(q))) for q in ("0.1", "0.5", "0.9")},
        "worst": [
            {"example_id": model["example_ids"][i], "n_tokens": int(tokens[i]), "loss": float(loss[i]),
             "token_accuracy": float(accuracy[i])}
            for i in worst
        ],
    }
