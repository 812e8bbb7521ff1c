"""The release gate: exit 0 when every rule holds, 1 with one line per failed rule, 2 for bad usage."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _check(path, *rules):
    done = subprocess.run(
        [sys.executable, "-m", "reportgen", "check", str(path), *rules], capture_output=True, text=True
    )
    return done.returncode, done.stdout, done.stderr


@pytest.fixture()
def metrics(tmp_path):
    report = {
        "schema_version": "1.0.0",
        "summary": {"accuracy": 0.90, "macro_f1": 0.80, "log_loss": 0.30, "roc_auc_macro": None,
                    "top_k_accuracy": {"3": 0.97, "5": None}},
        "baseline": {"name": "v1", "summary": {"accuracy": 0.93, "macro_f1": 0.78, "log_loss": 0.25,
                                               "roc_auc_macro": 0.9, "top_k_accuracy": {"3": 0.9, "5": None}}},
    }
    path = tmp_path / "m.json"
    path.write_text(json.dumps(report))
    return path


def test_passing_rules_exit_zero(metrics):
    code, out, err = _check(metrics, "--min", "macro_f1=0.75", "--max", "log_loss=0.5", "--max-drop", "accuracy=0.05")
    assert (code, err) == (0, "")
    assert "3 rules passed" in out


def test_each_failed_rule_gets_one_line_and_exit_one(metrics):
    code, _, err = _check(
        metrics, "--min", "macro_f1=0.85", "--max-drop", "accuracy=0.01", "--max-drop", "log_loss=0.01",
        "--min", "top_k_accuracy.3=0.95",
    )
    lines = err.strip().splitlines()
    assert code == 1
    assert len(lines) == 3
    assert "macro_f1 = 0.8000 is below the minimum 0.85" in lines[0]
    assert "accuracy dropped by 0.0300 from v1" in lines[1]
    assert "log_loss dropped by 0.0500 from v1" in lines[2]  # lower is better: a rise is a drop


def test_null_metric_fails_its_rule(metrics):
    code, _, err = _check(metrics, "--min", "roc_auc_macro=0.5")
    assert code == 1 and "undefined" in err


@pytest.mark.parametrize("rules, needle", [
    (["--min", "nope=1"], "unknown metric 'nope'"),
    (["--min", "macro_f1"], "expected METRIC=VALUE"),
    (["--min", "macro_f1=high"], "'high' is not a number"),
    ([], "at least one rule"),
])
def test_bad_usage_exits_two_with_one_line(metrics, rules, needle):
    code, _, err = _check(metrics, *rules)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and needle in err


def test_max_drop_without_baseline_is_bad_usage(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"summary": {"accuracy": 0.9}}))
    code, _, err = _check(path, "--max-drop", "accuracy=0.01")
    assert code == 2 and "needs a baseline" in err


def test_unreadable_report_exits_two(tmp_path):
    path = tmp_path / "m.json"
    path.write_text("{not json")
    code, _, err = _check(path, "--min", "accuracy=0.5")
    assert code == 2 and "m.json" in err and "Traceback" not in err


def test_every_rule_has_an_outcome_in_order(metrics):
    from reportgen import gate

    report = gate.load_report(str(metrics))
    rules = [gate.Rule.parse("min", "macro_f1=0.75"), gate.Rule.parse("max_drop", "accuracy=0.05"),
             gate.Rule.parse("max_drop", "macro_f1=0.0"), gate.Rule.parse("max_drop", "log_loss=0.01"),
             gate.Rule.parse("max", "log_loss=0.2")]
    outcomes = gate.outcomes(report, rules, str(metrics))
    assert [o.rule for o in outcomes] == rules
    assert [o.passed for o in outcomes] == [True, True, True, False, False]
    assert outcomes[0].text == "macro_f1 = 0.8000 is at least 0.75"
    assert outcomes[1].text.startswith("accuracy dropped by 0.0300 from v1 (0.9300 -> 0.9000)")
    assert outcomes[2].text.startswith("macro_f1 improved by 0.0200 from v1")
    assert "log_loss dropped by 0.0500" in outcomes[3].text  # a rise in a loss is a drop
    assert [o.text for o in outcomes if not o.passed] == gate.failures(report, rules, str(metrics))
