"""Evidence sufficiency: whether an interval settles a comparison, and how many more
labelled examples would settle it when it does not.

Every judged comparison is a value (a metric, a change or a gap) against a bound it should
reach (``at_least``) or not pass (``at_most``), with its interval:

* **pass** — the whole interval satisfies the bound;
* **fail** — the point estimate breaks it;
* **inconclusive** — the point satisfies it but the interval reaches past it.

A value without an interval (a metric the bootstrap does not cover, or a report built
without one) is judged on its point estimate alone: pass or fail.

An interval at another confidence than the report's 95% is the 95% one with each side
scaled by z(confidence) / z(0.95) around the point (the asymmetry of the BCa interval
kept). The standard error is the 95% interval's width / (2 · 1.96), or for a change in
accuracy between two models McNemar's, from the discordant pairs (b examples fixed, c
broken, n in all): SE = sqrt(b + c − (b − c)² / n) / n. The minimum detectable effect
at the report's size is (z(confidence) + z(0.80)) · SE: the smallest true effect the
comparison detects four times in five. ``more_examples`` (inconclusive only): with the
side of the interval towards the bound h and the distance to the bound d, the interval
shrinks as 1/sqrt(n), so at n' = n · (h / d)² it just excludes the bound if the effect
stays as measured (no power margin: about half of such repeats exclude it); more_examples
= n' − n rounded up to two significant digits.

``report_evidence`` judges a report's headline changes (against no change) and its
flagged slices (their gap to the rest, against 0); ``gate.rule_evidence`` a release-gate rule.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Mapping

from reportgen import registry

LEVEL = 0.95            # the level of the report's intervals
POWER = 0.80            # of the minimum detectable effect
DELTA_METRICS = {"binary": ("f1", "accuracy", "roc_auc_macro", "log_loss"),
                 "multiclass": ("macro_f1", "accuracy", "roc_auc_macro", "log_loss"),
                 "multilabel": ("macro_f1", "subset_accuracy", "roc_auc_macro", "log_loss")}
_NORMAL = NormalDist()


def z_of(confidence: float) -> float:
    """The two-sided normal quantile of ``confidence`` (1.96 at 0.95)."""
    return _NORMAL.inv_cdf(0.5 + confidence / 2)


@dataclass(frozen=True)
class Judged:
    """One comparison judged: ``value`` against ``bound`` (``at_least``: the value should
    be at least the bound, else at most), with its ``interval`` at ``confidence``."""

    subject: str
    metric: str
    verdict: str
    value: float | None
    bound: float
    at_least: bool
    interval: list[float] | None
    mde: float | None
    more_examples: int | None
    n_examples: int
    confidence: float
    what: str          # "the change in accuracy", "accuracy", ...
    ratio: bool        # printed in points

    def to_dict(self) -> dict[str, Any]:
        return {"subject": self.subject, "metric": self.metric, "verdict": self.verdict,
                "interval": self.interval, "mde": self.mde, "more_examples": self.more_examples,
                "value": self.value, "bound": self.bound, "direction": "at_least" if self.at_least else "at_most",
                "sentence": sentence(self)}


def judge(subject: str, metric: str, value: float | None, interval, bound: float, at_least: bool, n: int,
          confidence: float = LEVEL, se: float | None = None, what: str | None = None) -> Judged:
    """``value`` with its 95% ``interval`` ([lo, hi] or None) against ``bound`` (see the
    module's docstring); ``se``: a standard error to use instead of the interval's."""
    ratio = _is_ratio(metric)
    what = what or lower_first(registry.label(metric))
    z = z_of(confidence)
    if value is None or not math.isfinite(value):
        return Judged(subject, metric, "fail", None, bound, at_least, None, None, None, n, confidence, what, ratio)
    holds = (lambda x: x >= bound) if at_least else (lambda x: x <= bound)
    scaled = None
    if interval is not None and None not in interval:
        low, high = interval
        scale = z / z_of(LEVEL)
        scaled = [float(low), float(high)] if confidence == LEVEL else \
            [value - (value - low) * scale, value + (high - value) * scale]
        if se is None:
            se = (high - low) / (2 * z_of(LEVEL))
    if not holds(value):
        verdict = "fail"
    elif scaled is None:
        verdict = "pass"  # no interval: judged on the estimate alone
    elif holds(scaled[0]) and holds(scaled[1]):
        verdict = "pass"
    else:
        verdict = "inconclusive"
    mde = None if se is None else (z + _NORMAL.inv_cdf(POWER)) * se
    more = None
    if verdict == "inconclusive" and scaled is not None:
        toward = value - scaled[0] if at_least else scaled[1] - value
        more = more_examples(n, toward, abs(value - bound))
    return Judged(subject, metric, verdict, value, bound, at_least, scaled, mde, more, n, confidence, what, ratio)


def more_examples(n: int, half_width: float, distance: float) -> int | None:
    """Labelled examples to add to ``n`` for an interval of ``half_width`` (towards the
    bound) to shrink, as 1/sqrt(n), to ``distance``; None when the value sits on the bound."""
    if distance <= 0 or n <= 0 or not math.isfinite(half_width):
        return None
    needed = n * (half_width / distance) ** 2 - n
    return max(_two_digits(needed), 1)


def _two_digits(x: float) -> int:
    """``x`` rounded up to two significant digits (4,087 -> 4,100)."""
    if x <= 0:
        return 0
    step = 10 ** max(int(math.floor(math.log10(x))) - 1, 0)
    return int(math.ceil(x / step) * step)


def mcnemar_se(fixed: float, broken: float, n: float) -> float | None:
    """Standard error of a paired change in accuracy from its discordant pairs."""
    if n <= 0:
        return None
    return math.sqrt(max(fixed + broken - (fixed - broken) ** 2 / n, 0.0)) / n


# ---------------------------------------------------------------- a report's evidence


def with_evidence(evaluation):
    """``evaluation`` (an ``Evaluation``) with its ``evidence`` section (none when empty)."""
    return evaluation.with_extras(evidence=report_evidence(evaluation.sections()) or None)


def report_evidence(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``evidence`` list: each headline change against no change (with a baseline and
    its intervals), then each flagged slice's gap to the rest against 0."""
    out = [j.to_dict() for j in delta_evidence(report)]
    out += [j.to_dict() for j in slice_evidence(report)]
    return out


def delta_evidence(report: Mapping[str, Any], confidence: float = LEVEL) -> list[Judged]:
    deltas = (report.get("deltas") or {}).get("summary") or {}
    bounds = (report.get("intervals") or {}).get("deltas") or {}
    n = int(report.get("n_examples") or 0)
    out = []
    for key in DELTA_METRICS.get(report.get("task"), ()):
        delta = deltas.get(key)
        if key not in bounds or delta is None:
            continue
        out.append(judge("delta", key, float(delta), bounds[key], 0.0, not registry.lower_is_better(key), n,
                         confidence, _delta_se(report, key), f"the change in {lower_first(registry.report_label(key, report))}"))
    return out


def _delta_se(report: Mapping[str, Any], key: str) -> float | None:
    """McNemar's standard error for a change in accuracy (single-label tasks), else None."""
    churn = report.get("churn")
    if key != "accuracy" or not churn or report.get("task") == "multilabel":
        return None
    total = report.get("weight_total") or report.get("n_examples") or 0
    return mcnemar_se(float(churn["fixed"]), float(churn["broken"]), float(total))


def slice_evidence(report: Mapping[str, Any], confidence: float = LEVEL) -> list[Judged]:
    out = []
    for s in report.get("slices") or ():
        if not s.get("flagged") or s.get("gap") is None:
            continue
        name = ", ".join(f"{b}={v}" for b, v in zip(s["by"], s["value"]))
        out.append(judge("slice", "accuracy", float(s["gap"]), s.get("gap_interval"), 0.0, True,
                         int(s["n_examples"]), confidence,
                         what=f"the gap in accuracy of slice {name} to the rest"))
    return out


WORDS = {"pass": "PASS", "fail": "FAIL", "inconclusive": "INCONCLUSIVE"}


def verdict_line(entry: Mapping[str, Any]) -> str:
    """One ``evidence`` entry as the page, the Markdown summary and the email print it:
    "INCONCLUSIVE: the 95% interval of ...". """
    return f"{WORDS[entry['verdict']]}: {entry['sentence']}"


def headline(report: Mapping[str, Any]) -> dict[str, Any] | None:
    """The evidence entry of the report's headline change (binary: the positive class's F1,
    else macro F1), or None."""
    key = "f1" if report.get("task") == "binary" else "macro_f1"
    return next((e for e in report.get("evidence") or () if e["subject"] == "delta" and e["metric"] == key), None)


def sentence(j: Judged) -> str:
    """"the 95% interval of the change in accuracy is −1.8 to +0.4 points; a drop of 1
    point is not ruled out; about 4,100 more labelled examples would settle it"."""
    level = f"{100 * j.confidence:g}%"
    if j.value is None:
        return f"{j.what} is undefined"
    if j.interval is None:
        head = f"{j.what} is {_number(j, j.value)}{_unit(j)} (no interval: judged on the estimate alone)"
    else:
        low, high = j.interval
        head = f"the {level} interval of {j.what} is {_number(j, low)} to {_number(j, high)}{_unit(j)}"
    beyond = _beyond(j)
    if j.verdict == "pass":
        return f"{head}; {beyond} is ruled out"
    if j.verdict == "fail":
        return f"{head}; the estimate itself, {_number(j, j.value)}{_unit(j)}, is {beyond}"
    more = "" if j.more_examples is None else \
        f"; about {j.more_examples:,} more labelled examples would settle it"
    return f"{head}; {beyond} is not ruled out{more}"


def _signed(j: Judged) -> bool:
    """Whether the value is a change or a gap (printed signed, ratios in points)."""
    return j.what.startswith("the ")


def _beyond(j: Judged) -> str:
    """The outcome the comparison should rule out: "a drop of 1 point", "a value below 0.8"."""
    if j.subject == "slice":
        return "a gap below zero"
    if _signed(j):
        kind = "drop" if j.at_least else "rise"
        return f"a {kind}" if j.bound == 0 else f"a {kind} of {_magnitude(j, abs(j.bound))}"
    return f"a value {'below' if j.at_least else 'above'} {_number(j, j.bound)}"


def lower_first(label: str) -> str:
    """"Accuracy" -> "accuracy" inside a sentence; "ROC AUC", "F1 (pos)" kept."""
    return label[0].lower() + label[1:] if label[1:2].islower() else label


def _is_ratio(metric: str) -> bool:
    info = registry.info(metric)
    return info is not None and info.format == "ratio"


def _number(j: Judged, x: float) -> str:
    if not _signed(j):
        return f"{x:.4g}"
    if j.ratio:
        points = 100 * x
        text = f"{points:+.1f}" if abs(points) >= 0.05 or points == 0 else f"{points:+.2g}"  # never "−0.0"
    else:
        text = f"{x:+.4g}"
    return text.replace("-", "−")


def _unit(j: Judged) -> str:
    return " points" if j.ratio and _signed(j) else ""


def _magnitude(j: Judged, size: float) -> str:
    if j.ratio:
        points = round(100 * size, 6)
        return f"{points:g} point" + ("" if points == 1 else "s")
    return f"{size:g}"
