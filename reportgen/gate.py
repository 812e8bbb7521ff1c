"""The release gate: rules over a metrics JSON; any failed rule fails the release."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable

from reportgen import registry
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
    """One rule's result: whether it holds, and one line saying so (or why not)."""

    rule: Rule
    passed: bool
    text: str


def outcomes(report: dict[str, Any], rules: Iterable[Rule], path: str) -> list[Outcome]:
    """Every rule's outcome, in the order given."""
    out = []
    for rule in rules:
        line = _judge(report, rule, path)
        out.append(Outcome(rule, line is None, line or _holds(report, rule, path)))
    return out


def failures(report: dict[str, Any], rules: Iterable[Rule], path: str) -> list[str]:
    """One line per failed rule (empty when every rule holds)."""
    return [o.text for o in outcomes(report, rules, path) if not o.passed]


def _holds(report: dict[str, Any], rule: Rule, path: str) -> str:
    """The line for a rule that holds."""
    if rule.metric in DISPARITIES and rule.kind in ("min", "max"):
        found = [value for value, _ in fairness_values(report, rule.metric, path)]
        side = "largest" if rule.kind == "max" else "smallest"
        worst = max(found) if rule.kind == "max" else min(found)
        bound = "at most" if rule.kind == "max" else "at least"
        return f"{rule.metric}: the {side} of {len(found)} ({worst:.4f}) is {bound} {rule.limit:g}"
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
                found.append((float(value), where))
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
