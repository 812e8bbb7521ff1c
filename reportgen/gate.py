"""The release gate: rules over a metrics JSON; any failed rule fails the release."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from reportgen import evidence, registry
from reportgen.analysis.fairness import DISPARITIES
from reportgen.errors import InputError
from reportgen.registry import inputs_kind

EXPECTED_COST = "expected_cost"  # a rule's metric read from costs.at_threshold, not the summary


@dataclass(frozen=True)
class Rule:
    """``kind`` is min, max, max_drop, min_slice or max_broken; ``metric`` a summary key
    (``top_k_accuracy.3``), or the share of examples newly wrong for max_broken."""

    kind: str
    metric: str
    limit: float

    @classmethod
    def parse(cls, kind: str, text: str) -> "Rule":
        option = "--" + kind.replace("_", "-")
        if kind == "max_broken":
            try:
                return cls(kind, "broken_share", float(text))
            except ValueError:
                raise InputError(f"usage: {option} {text!r} is not a number") from None
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise InputError(f"usage: {option} {text!r}: expected METRIC=VALUE")
        try:
            limit = float(value)
        except ValueError:
            raise InputError(f"usage: {option} {text!r}: {value!r} is not a number") from None
        return cls(kind, name.strip(), limit)


def load_report(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            report = json.load(handle)
    except FileNotFoundError:
        raise InputError("no such file", file=path) from None
    except (OSError, UnicodeError, json.JSONDecodeError) as err:
        raise InputError(f"not a metrics JSON: {err}", file=path) from None
    if not isinstance(report, dict) or "summary" not in report:
        raise InputError("not a metrics JSON: no 'summary'", file=path)
    return report


@dataclass(frozen=True)
class Outcome:
    """One rule's result: whether it holds, and one line saying so (or why not).
    ``verdict``: pass, fail or inconclusive (judged on intervals; without ``--confidence``
    pass or fail as ``passed``); ``evidence``: the judged interval, when judged on one."""

    rule: Rule
    passed: bool
    text: str
    verdict: str = ""
    evidence: "evidence.Judged | None" = None

    def __post_init__(self) -> None:
        if not self.verdict:
            object.__setattr__(self, "verdict", "pass" if self.passed else "fail")


def outcomes(report: dict[str, Any], rules: Iterable[Rule], path: str, confidence: float | None = None,
             inconclusive: str = "fail") -> list[Outcome]:
    """Every rule's outcome, in the order given. With ``confidence`` each rule is judged on
    its interval (``evidence.judge``: pass when the whole interval satisfies the rule, fail
    when the point estimate breaks it, else inconclusive), and an inconclusive rule passes
    only with ``inconclusive="pass"``; without, on the point estimate alone (pass or fail)."""
    out = []
    for rule in rules:
        line = _judge(report, rule, path)
        text = line or _holds(report, rule, path)
        if confidence is None:
            out.append(Outcome(rule, line is None, text, "pass" if line is None else "fail"))
            continue
        judged = rule_evidence(report, rule, path, confidence)
        verdict = judged.verdict
        if line is not None and verdict != "fail":  # an undefined value fails whatever its interval
            verdict = "fail"
        passed = verdict == "pass" or (verdict == "inconclusive" and inconclusive == "pass")
        out.append(Outcome(rule, passed, f"{text}: {evidence.sentence(judged)}", verdict, judged))
    return out


def rule_evidence(report: dict[str, Any], rule: Rule, path: str, confidence: float) -> "evidence.Judged":
    """The rule judged on its interval at ``confidence`` (see ``evidence``): a summary
    metric on ``intervals.summary``, a drop on ``intervals.deltas`` (accuracy's standard
    error from the discordant pairs), each slice of at least the minimum size on its own
    interval (the rule's verdict: the worst slice's), the share of newly wrong examples on
    its Wilson interval."""
    n = int(report.get("n_examples") or 0)
    intervals = report.get("intervals") or {}
    if rule.metric in DISPARITIES and rule.kind in ("min", "max"):
        return _fairness_evidence(report, rule, path, n, confidence)
    if rule.kind in ("min", "max"):
        value = _value(report, rule, path)
        bound = None if rule.metric == EXPECTED_COST else _nested(intervals.get("summary"), rule.metric)
        return evidence.judge("rule", rule.metric, value, bound, rule.limit, rule.kind == "min", n, confidence,
                              what=evidence.lower_first(registry.report_label(rule.metric, report))
                              if registry.info(rule.metric) else None)
    if rule.kind == "max_drop":
        value = _value(report, rule, path)
        old = _metric((report.get("baseline") or {}).get("summary") or {}, rule.metric, path) \
            if report.get("baseline") else None
        change = None if value is None or old is None else value - old
        lower = registry.lower_is_better(rule.metric)
        return evidence.judge("rule", rule.metric, change, _nested(intervals.get("deltas"), rule.metric),
                              rule.limit if lower else -rule.limit, not lower, n, confidence,
                              evidence.mcnemar_se(*_discordant(report)) if rule.metric == "accuracy" else None,
                              f"the change in {evidence.lower_first(registry.report_label(rule.metric, report))}")
    if rule.kind == "min_slice":
        return _slice_evidence(report, rule, confidence)
    churn = report.get("churn") or {}
    broken = float(churn.get("broken", 0))
    total = float(report.get("weight_total") or n)
    return evidence.judge("rule", "broken_share", broken / total if total else None, _wilson(broken, total),
                          rule.limit, False, n, confidence, what="the share of examples newly wrong")


def _slice_evidence(report: dict[str, Any], rule: Rule, confidence: float) -> "evidence.Judged":
    """The worst slice's judgement: a failed one (the lowest value), else an inconclusive
    one (the most examples needed), else the slice with the lowest value."""
    size = (report.get("slice_settings") or {}).get("min_size", 0)
    judged = []
    for s in report.get("slices") or ():
        value = s["summary"].get(rule.metric) if s["n_examples"] >= size else None
        if value is None:
            continue
        name = ", ".join(f"{b}={v}" for b, v in zip(s["by"], s["value"]))
        judged.append(evidence.judge("rule", rule.metric, float(value), (s.get("intervals") or {}).get(rule.metric),
                                     rule.limit, True, int(s["n_examples"]), confidence,
                                     what=f"{evidence.lower_first(registry.report_label(rule.metric, report))} of slice {name}"))
    if not judged:
        return evidence.judge("rule", rule.metric, rule.limit, None, rule.limit, True, 0, confidence)
    return _worst(judged, lambda j: (-(j.more_examples or 0), j.value))


def _fairness_evidence(report: dict[str, Any], rule: Rule, path: str, n: int, confidence: float
                       ) -> "evidence.Judged":
    """The worst disparity's judgement over every column (and class), each on its own
    interval (``fairness.disparities``): a failed one (the farthest past the bound), else an
    inconclusive one, else the one nearest the bound."""
    at_least = rule.kind == "min"
    judged = [evidence.judge("rule", rule.metric, value, interval, rule.limit, at_least, n, confidence,
                             what=f"{rule.metric.replace('_', ' ')} across {where}")
              for value, where, interval in fairness_entries(report, rule.metric, path)]
    if not judged:
        return evidence.judge("rule", rule.metric, None, None, rule.limit, at_least, n, confidence)
    return _worst(judged, lambda j: j.value if at_least else -j.value)


_VERDICT_ORDER = {"fail": 0, "inconclusive": 1, "pass": 2}


def _worst(judged: list["evidence.Judged"], key: Callable[["evidence.Judged"], Any]) -> "evidence.Judged":
    """The worst of several judgements (a non-empty list): a failed one, else an
    inconclusive one, else a pass; among those of the same verdict, the least by ``key``."""
    return min(judged, key=lambda j: (_VERDICT_ORDER[j.verdict], key(j)))


def _discordant(report: dict[str, Any]) -> tuple[float, float, float]:
    churn = report.get("churn") or {}
    return (float(churn.get("fixed", 0)), float(churn.get("broken", 0)),
            float(report.get("weight_total") or report.get("n_examples") or 0))


def _wilson(hits: float, n: float) -> list[float] | None:
    """The 95% Wilson interval of a share ``hits / n``."""
    if n <= 0:
        return None
    z = evidence.z_of(evidence.LEVEL)
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5 / (1 + z * z / n)
    return [min(max(centre - half, 0.0), p), max(min(centre + half, 1.0), p)]


def _nested(values: dict[str, Any] | None, key: str) -> list[float] | None:
    """An interval by metric key (dotted for nested ones), or None."""
    if not values:
        return None
    head, _, tail = key.partition(".")
    found = values.get(head)
    if isinstance(found, dict):
        found = found.get(tail)
    return found if isinstance(found, list) else None


def failures(report: dict[str, Any], rules: Iterable[Rule], path: str) -> list[str]:
    """One line per failed rule (empty when every rule holds)."""
    return [o.text for o in outcomes(report, rules, path) if not o.passed]


def _holds(report: dict[str, Any], rule: Rule, path: str) -> str:
    """The line for a rule that holds."""
    if rule.metric in DISPARITIES and rule.kind in ("min", "max"):
        found = fairness_values(report, rule.metric, path)
        worst, where = max(found) if rule.kind == "max" else min(found)
        bound = "at most" if rule.kind == "max" else "at least"
        if len(found) == 1:
            return f"{rule.metric} across {where} = {worst:.4f} is {bound} {rule.limit:g}"
        side = "largest" if rule.kind == "max" else "smallest"
        return f"{rule.metric}: the {side} of {len(found)} ({worst:.4f}, across {where}) is {bound} {rule.limit:g}"
    if rule.kind == "min_slice":
        return f"every slice has {rule.metric} at least {rule.limit:g}"
    if rule.kind == "max_broken":
        share = report["churn"]["broken"] / report["n_examples"]
        return f"{share:.2%} of the examples are newly wrong against the baseline, at most {rule.limit:.2%}"
    value = _value(report, rule, path)
    if rule.kind == "min":
        return f"{rule.metric} = {value:.4f} is at least {rule.limit:g}"
    if rule.kind == "max":
        return f"{rule.metric} = {value:.4f} is at most {rule.limit:g}"
    old = _metric(report["baseline"]["summary"], rule.metric, path)
    name = report["baseline"].get("name", "baseline")
    drop = _drop(rule.metric, value, old)
    change = f"dropped by {drop:.4f}" if drop > 0 else f"improved by {-drop:.4f}" if drop < 0 else "is unchanged"
    return f"{rule.metric} {change} from {name} ({old:.4f} -> {value:.4f}); the largest drop allowed is {rule.limit:g}"


def _drop(metric: str, value: float, old: float) -> float:
    """How much worse ``value`` is than ``old`` (negative: better); a rise is a drop where lower is better."""
    return (value - old) if registry.lower_is_better(metric) else (old - value)


def _judge(report: dict[str, Any], rule: Rule, path: str) -> str | None:
    if rule.kind == "min_slice":
        return _judge_slices(report, rule, path)
    if rule.kind == "max_broken":
        return _judge_broken(report, rule, path)
    if rule.metric in DISPARITIES:
        return _judge_fairness(report, rule, path)
    value = _value(report, rule, path)
    if value is None:
        why = " (a label-only report: the model gave no scores)" if inputs_kind(report) == "labels" else ""
        return f"{rule.metric} is undefined (null){why}, so {rule.kind.replace('_', '-')} {rule.limit:g} cannot hold"
    if rule.kind == "min" and value < rule.limit:
        return f"{rule.metric} = {value:.4f} is below the minimum {rule.limit:g}"
    if rule.kind == "max" and value > rule.limit:
        return f"{rule.metric} = {value:.4f} is above the maximum {rule.limit:g}"
    if rule.kind == "max_drop":
        return _judge_drop(report, rule, value, path)
    return None


def _judge_drop(report: dict[str, Any], rule: Rule, value: float, path: str) -> str | None:
    baseline = report.get("baseline")
    if not baseline:
        raise InputError(f"--max-drop {rule.metric} needs a baseline in the report (build with --baseline-scores or --baseline-predictions)", file=path)
    old = _metric(baseline["summary"], rule.metric, path)
    if old is None:
        return f"{rule.metric} of the baseline is undefined (null), so the drop cannot be measured"
    drop = _drop(rule.metric, value, old)
    if drop > rule.limit:
        name = baseline.get("name", "baseline")
        return f"{rule.metric} dropped by {drop:.4f} from {name} ({old:.4f} -> {value:.4f}), more than {rule.limit:g}"
    return None


def _judge_slices(report: dict[str, Any], rule: Rule, path: str) -> str | None:
    slices = report.get("slices")
    if slices is None:
        raise InputError("--min-slice needs slices in the report (build with --metadata and --slice-by)", file=path)
    size = (report.get("slice_settings") or {}).get("min_size", 0)
    low = []
    for s in slices:
        if s["n_examples"] < size:
            continue
        value = _metric(s["summary"], rule.metric, path)
        if value is not None and value < rule.limit:
            low.append((value, s))
    if not low:
        return None
    low.sort(key=lambda pair: pair[0])
    value, worst = low[0]
    name = ", ".join(f"{b}={v}" for b, v in zip(worst["by"], worst["value"]))
    more = f" (and {len(low) - 1} more slices)" if len(low) > 1 else ""
    return (f"slice {name} (n={worst['n_examples']}) has {rule.metric} = {value:.4f}, "
            f"below the minimum {rule.limit:g}{more}")


def fairness_values(report: dict[str, Any], metric: str, path: str) -> list[tuple[float, str]]:
    """Every defined value of a disparity in ``fairness.disparities`` (of every class under
    ``per_class``), each with what it is across (``sex``, ``sex × band``; ``[class]``)."""
    return [(value, where) for value, where, _ in fairness_entries(report, metric, path)]


def fairness_entries(report: dict[str, Any], metric: str, path: str) -> list[tuple[float, str, list | None]]:
    """``fairness_values`` with each value's 95% interval (None without a bootstrap)."""
    section = report.get("fairness")
    if section is None:
        raise InputError(f"{metric} needs fairness in the report (build with --group-by COLUMN)", file=path)
    parts = [(None, section)] if "disparities" in section else list((section.get("per_class") or {}).items())
    found = []
    for name, part in parts:
        for entry in part["disparities"]:
            value = entry[metric]["value"]
            if value is not None:
                where = " × ".join(entry["by"]) + ("" if name is None else f" [{name}]")
                found.append((float(value), where, entry[metric].get("interval")))
    return found


def _judge_fairness(report: dict[str, Any], rule: Rule, path: str) -> str | None:
    """A disparity rule holds when every column's (and class's) value keeps its bound; one
    that no column defines cannot hold."""
    if rule.kind not in ("min", "max"):
        raise InputError(f"{rule.metric} takes --min or --max", file=path)
    found = fairness_values(report, rule.metric, path)
    if not found:
        return f"{rule.metric} is undefined (null) for every group-by column, so {rule.kind} {rule.limit:g} cannot hold"
    broken = [(v, w) for v, w in found if (v > rule.limit if rule.kind == "max" else v < rule.limit)]
    if not broken:
        return None
    value, where = max(broken) if rule.kind == "max" else min(broken)
    side = "above the maximum" if rule.kind == "max" else "below the minimum"
    more = f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""
    return f"{rule.metric} across {where} = {value:.4f} is {side} {rule.limit:g}{more}"


def _judge_broken(report: dict[str, Any], rule: Rule, path: str) -> str | None:
    churn = report.get("churn")
    if churn is None:
        raise InputError("--max-broken needs a baseline in the report (build with --baseline-scores or --baseline-predictions)", file=path)
    share = churn["broken"] / report["n_examples"]
    if share > rule.limit:
        return (f"{churn['broken']} examples ({share:.2%}) are newly wrong against the baseline, "
                f"more than {rule.limit:.2%}")
    return None


def _value(report: dict[str, Any], rule: Rule, path: str) -> float | None:
    """The rule's metric: a summary key, or ``expected_cost`` (per example, at the report's
    decisions: ``costs.at_threshold``)."""
    if rule.metric != EXPECTED_COST:
        return _metric(report["summary"], rule.metric, path)
    if report.get("costs") is None:
        raise InputError("expected_cost needs costs in the report (build with --costs FILE or --cost-fp/--cost-fn)",
                         file=path)
    if rule.kind == "max_drop":
        raise InputError("expected_cost takes --min or --max (the baseline has no costs)", file=path)
    return float(report["costs"]["at_threshold"]["expected_cost"])


def _metric(summary: dict[str, Any], name: str, path: str) -> float | None:
    head, _, tail = name.partition(".")
    if head not in summary:
        known = ", ".join(k for k in summary if not isinstance(summary[k], dict))
        raise InputError(f"unknown metric {name!r} (known: {known})", file=path)
    value = summary[head]
    if isinstance(value, dict):
        if tail not in value:
            raise InputError(f"unknown metric {name!r} (known: {', '.join(head + '.' + k for k in value)})", file=path)
        value = value[tail]
    return None if value is None else float(value)
