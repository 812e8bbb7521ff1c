"""One description of each metric: its label, its direction, its format and one line of help.

Every view (the page's tiles, the model comparison, slices, splits, the index, the email,
the Markdown summary, the model card and the release gate) reads labels, directions,
formats and help from here; which metrics a view shows stays with the view, as a tuple
of keys. Keys are the summary keys of the metrics JSON; nested ones are dotted
(``top_k_accuracy.3``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from reportgen.numbers import RATIO_DIGITS, format_count, format_ratio

FORMATS = ("ratio", "count", "loss", "number")


@dataclass(frozen=True)
class MetricInfo:
    """How to name, judge and print one metric.

    ``format``: ``ratio`` (a share in [0, 1]), ``count`` (an integer, or a sum of weights),
    ``loss`` (non-negative, unbounded; lower is better) or ``number`` (anything else).
    """

    key: str
    label: str
    higher_is_better: bool
    format: str
    help: str

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"metric {self.key!r}: format {self.format!r} is not one of {FORMATS}")


def _metric(key: str, label: str, format: str, help: str, *, lower_is_better: bool = False) -> MetricInfo:
    return MetricInfo(key=key, label=label, higher_is_better=not lower_is_better, format=format, help=help)


METRICS: dict[str, MetricInfo] = {m.key: m for m in (
    _metric("accuracy", "Accuracy", "ratio",
            "Share of examples predicted right. Misleads under class imbalance: always answering the majority class "
            "scores high."),  # multilabel: the Hamming score (TASK_METRICS)
    _metric("precision", "Precision", "ratio",
            "When the model names the positive class, how often it is right (at the threshold)."),
    _metric("recall", "Recall", "ratio",
            "Share of the positive class's examples the model finds (at the threshold)."),
    _metric("f1", "F1", "ratio",
            "Harmonic mean of the positive class's precision and recall at the threshold."),
    _metric("macro_precision", "Macro precision", "ratio",
            "When the model names a class, how often it is right; every class weighs the same."),
    _metric("macro_recall", "Macro recall", "ratio",
            "Share of each class's examples the model finds; a missed rare class counts as much as a common one."),
    _metric("macro_f1", "Macro F1", "ratio",
            "Precision and recall combined per class, then averaged. Low when a class is missed or over-predicted."),
    _metric("micro_f1", "Micro F1", "ratio",
            "F1 over every decision pooled: dominated by the common classes."),
    _metric("weighted_f1", "Weighted F1", "ratio",
            "Per-class F1 averaged with each class weighed by its support."),
    _metric("roc_auc_macro", "ROC AUC", "ratio",
            "Chance a random positive outscores a random negative (0.5 is a coin toss). Ignores the threshold; flatters rare classes."),
    _metric("average_precision_macro", "Average precision", "ratio",
            "Area under each class's precision-recall curve, averaged over classes (binary: the positive class's); "
            "sensitive to rare classes."),
    _metric("log_loss", "Log loss", "loss",
            "Penalty on the probability given to what is true (the true class; multilabel: each label's "
            "presence or absence); lower is better. Confident mistakes cost the most.",
            lower_is_better=True),
    _metric("balanced_accuracy", "Balanced accuracy", "ratio",
            "Recall averaged over classes: accuracy as if every class were equally common."),
    _metric("mcc", "MCC", "number",
            "Matthews correlation between predictions and labels, from −1 to 1 (0 is chance); robust to imbalance."),
    _metric("cohen_kappa", "Cohen's kappa", "number",
            "Agreement between predictions and labels beyond chance, from −1 to 1 (0 is chance)."),
    _metric("brier_score", "Brier score", "loss",
            "Mean squared difference between the scores and the outcomes; lower is better.",
            lower_is_better=True),
    _metric("top_k_accuracy.3", "Top-3 accuracy", "ratio",
            "Share of examples whose true class is among the three highest scores."),
    _metric("top_k_accuracy.5", "Top-5 accuracy", "ratio",
            "Share of examples whose true class is among the five highest scores."),
    _metric("subset_accuracy", "Exact-match accuracy", "ratio",
            "Share of examples with every label right: the predicted label set is exactly the true one."),
    _metric("hamming_loss", "Hamming loss", "loss",
            "Share of example-label decisions that are wrong; lower is better.",
            lower_is_better=True),
    _metric("broken_share", "Newly wrong", "ratio",
            "Share of all examples that the baseline got right and this model gets wrong; lower is better.",
            lower_is_better=True),
    _metric("token_accuracy", "Token accuracy", "ratio",
            "Share of positions where the model's top token is the true token."),
    _metric("loss", "Loss", "loss",
            "Mean negative log-probability of the true token, in nats per token; lower is better.",
            lower_is_better=True),
    _metric("perplexity", "Perplexity", "number",
            "exp(loss): the model is as unsure as a uniform pick among this many tokens.",
            lower_is_better=True),
    _metric("uniform_loss", "Uniform loss", "loss",
            "The loss of guessing uniformly over the vocabulary, ln(vocab size): a loss near it reads as random.",
            lower_is_better=True),
    _metric("n_tokens", "Tokens", "count", "Tokens scored."),
    _metric("n_examples", "Examples", "count", "Examples scored."),
)}


# What a metric is called, and means, in one task's report when that differs from the above.
# Binary: the positive class's figures name it ("{positive}" is filled in).
TASK_METRICS: dict[tuple[str, str], tuple[str, str]] = {
    ("multilabel", "accuracy"): (
        "Hamming score",
        "Share of label decisions right (1 − Hamming loss): every example-label pair counts once."),
    ("binary", "precision"): (
        "Precision ({positive})",
        "When the model predicts {positive}, how often it is right (at the threshold)."),
    ("binary", "recall"): (
        "Recall ({positive})",
        "Share of the {positive} examples the model finds (at the threshold)."),
    ("binary", "f1"): (
        "F1 ({positive})",
        "Harmonic mean of the precision and recall of {positive} at the threshold (scikit-learn's average='binary')."),
    ("binary", "average_precision_macro"): (
        "Average precision ({positive})",
        "Area under the precision-recall curve of {positive}; compare it with {positive}'s prevalence."),
}


def task_metric(key: str, task: str | None, positive: str | None = None) -> tuple[str, str]:
    """(label, help) of ``key`` in a report of ``task`` (binary: ``positive`` is its
    positive class); the general ones where the task changes nothing."""
    special = TASK_METRICS.get((task or "", key))
    if special is not None and (task != "binary" or positive is not None):
        return tuple(text.replace("{positive}", str(positive)) for text in special)  # type: ignore[return-value]
    return label(key), help_text(key)


def f1_key(task: str | None) -> str:
    """The F1 a report of ``task`` headlines: a binary report's is the positive class's
    (``f1``), the others' the macro average over classes (``macro_f1``)."""
    return "f1" if task == "binary" else "macro_f1"


def report_label(key: str, report: dict) -> str:
    """The label of ``key`` in ``report`` (a metrics JSON dict)."""
    return task_metric(key, report.get("task"), report.get("positive_class"))[0]


# The range of each metric's values, where its format does not say it: a ratio is in
# [0, 1], a loss or a count in [0, ∞); per-class keys that are not summary keys.
RANGES: dict[str, tuple[float, float]] = {
    "mcc": (-1.0, 1.0),
    "cohen_kappa": (-1.0, 1.0),
    "perplexity": (1.0, math.inf),
    "roc_auc": (0.0, 1.0),
    "recall_at_precision": (0.0, 1.0),
    "precision_at_recall": (0.0, 1.0),
}
FORMAT_RANGES = {"ratio": (0.0, 1.0), "loss": (0.0, math.inf), "count": (0.0, math.inf)}


def value_range(key: str) -> tuple[float, float]:
    """The smallest and largest value ``key`` can take (unknown: the whole line)."""
    if key in RANGES:
        return RANGES[key]
    entry = METRICS.get(key)
    return FORMAT_RANGES.get(entry.format, (-math.inf, math.inf)) if entry is not None else (-math.inf, math.inf)


def delta_range(key: str) -> tuple[float, float]:
    """The range of a difference of two values of ``key``: a ratio's in [−1, 1]."""
    low, high = value_range(key)
    return low - high, high - low


def info(key: str) -> MetricInfo | None:
    """The description of ``key``, or None for a metric the registry does not know."""
    return METRICS.get(key)


def label(key: str) -> str:
    """The metric's label; an unknown key is its own label."""
    entry = METRICS.get(key)
    return entry.label if entry is not None else key


def help_text(key: str) -> str:
    entry = METRICS.get(key)
    return entry.help if entry is not None else ""


def lower_is_better(key: str) -> bool:
    """Whether a fall in ``key`` is an improvement (unknown keys: higher is better)."""
    entry = METRICS.get(key)
    return entry is not None and not entry.higher_is_better


def improvement(key: str, delta: float | None) -> bool | None:
    """Whether a change of ``delta`` in ``key`` is for the better (None: no change or unknown)."""
    if delta is None or delta == 0 or (isinstance(delta, float) and math.isnan(delta)):
        return None
    return (delta < 0) if lower_is_better(key) else (delta > 0)


def summary_value(summary: dict, key: str) -> float | None:
    """A summary metric by registry key (dotted for nested ones: ``top_k_accuracy.3``)."""
    head, _, tail = key.partition(".")
    value = summary.get(head)
    if isinstance(value, dict):
        value = value.get(tail)
    return None if value is None or isinstance(value, dict) else float(value)


def format_value(key: str, value: float | None, digits: int = RATIO_DIGITS) -> str:
    """``value`` printed as the registry says: counts by ``numbers.format_count`` (thousands
    separators; decimals only when a sum of weights has them), everything else by
    ``numbers.format_ratio`` with ``digits`` decimals; ``—`` for null."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    kind = METRICS[key].format if key in METRICS else "number"
    if kind == "count":
        return format_count(value) if float(value).is_integer() else format_count(value, digits)
    return format_ratio(value, digits)


def format_delta(key: str, delta: float | None, digits: int = RATIO_DIGITS) -> str:
    """A change, signed; ratios in percentage points (``+1.2 pts``), others in their unit."""
    if delta is None or (isinstance(delta, float) and not math.isfinite(delta)):
        return "—"
    kind = METRICS[key].format if key in METRICS else "number"
    if kind == "ratio":
        text = f"{100 * delta:+.1f} pts"
    elif kind == "count":
        text = f"{delta:+,.0f}"
    else:
        text = f"{delta:+.{digits}f}"
    return text.replace("-", "−")


def inputs_kind(report: Mapping[str, Any]) -> str:
    """What the model of a metrics JSON gave: ``scores``, ``labels`` (hard-label
    predictions only) or ``both`` (reports written before schema 1.1 had scores)."""
    return (report.get("inputs") or {}).get("kind", "scores")
