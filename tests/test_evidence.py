"""Evidence sufficiency and the decisions that need the examples: the least-cost
threshold's interval, net benefit's paired band, the multiclass Bayes decision, and the
verdicts of changes, slices and gate rules, against brute force, scikit-learn and
simulation."""
from __future__ import annotations

import json
import math
import re

import jsonschema
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import confusion_matrix

import reportgen
from conftest import run_reportgen, softmax_scores
from reportgen import evidence
from reportgen.report.json import schema
from test_engines import spark_session  # noqa: F401 (a fixture)

GRID = np.round(np.arange(101) * 0.01, 10)


def _logistic(n: int, seed: int, shift: float = 1.0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(size=n) + shift * y
    return rng, y, 1 / (1 + np.exp(-(x - 0.5)))


def _grid_costs(y, s, cells, w=None) -> np.ndarray:
    """(thresholds,) expected cost per example at each grid threshold, from scikit-learn's
    confusion matrix of score > t."""
    w = np.ones(len(y)) if w is None else w
    out = []
    for t in GRID:
        (tn, fp), (fn, tp) = confusion_matrix(y, (s > t).astype(int), labels=[0, 1], sample_weight=w)
        out.append((cells["tp"] * tp + cells["fp"] * fp + cells["fn"] * fn + cells["tn"] * tn) / w.sum())
    return np.array(out)


# ---------------------------------------------------------------- the least-cost threshold and its interval


@pytest.mark.parametrize("weighted", [False, True])
def test_least_cost_threshold_is_the_brute_force_grid_minimum_with_an_interval_around_it(weighted):
    rng, y, s = _logistic(3000, 1)
    w = rng.uniform(0.5, 2.0, len(y)) if weighted else None
    cells = {"tp": -0.5, "fp": 1.0, "fn": 3.0, "tn": 0.0}
    best = reportgen.evaluate_arrays(y, s, sample_weight=w, costs=cells, n_bootstrap=200).to_dict()["costs"]["best"]
    expected = _grid_costs(y, s, cells, w)
    low = int(np.argmin(expected))
    assert best["threshold"] == pytest.approx(GRID[low]) and best["expected_cost"] == pytest.approx(expected[low])
    lo, hi = best["interval"]
    assert 0.0 <= lo <= best["threshold"] <= hi <= 1.0 and hi - lo < 0.3


def test_least_cost_threshold_interval_follows_a_row_bootstrap():
    """The replicates are a group bootstrap; a plain bootstrap of rows, each replicate
    minimising the brute-force cost over the grid, spreads about as much."""
    rng, y, s = _logistic(3000, 2, shift=0.8)
    cells = {"tp": 0.0, "fp": 1.0, "fn": 2.0, "tn": 0.0}
    lo, hi = reportgen.evaluate_arrays(y, s, costs=cells, n_bootstrap=400).to_dict()["costs"]["best"]["interval"]
    above = s[:, None] > GRID[None, :]
    picks = []
    for _ in range(300):
        i = rng.integers(0, len(y), len(y))
        fp = (above[i] & (y[i, None] == 0)).sum(0)
        fn = (~above[i] & (y[i, None] == 1)).sum(0)
        picks.append(GRID[np.argmin(fp + 2 * fn)])
    plain_lo, plain_hi = np.percentile(picks, [2.5, 97.5])
    assert abs(lo - plain_lo) <= 0.03 and abs(hi - plain_hi) <= 0.03


def test_no_bootstrap_no_interval_and_multilabel_intervals_per_class():
    rng, y, s = _logistic(800, 3)
    assert reportgen.evaluate_arrays(y, s, costs={"fp": 1, "fn": 2}, n_bootstrap=0).to_dict()["costs"]["best"][
        "interval"] is None
    Y = (rng.random((1500, 3)) < 0.3).astype(int)
    S = np.clip(Y * 0.3 + rng.random((1500, 3)) * 0.7, 0, 1)
    costs = reportgen.evaluate_arrays(Y, S, costs={"fp": 1, "fn": 4}, n_bootstrap=100).to_dict()["costs"]
    total = sum(_grid_costs(Y[:, j], S[:, j], {"tp": 0, "fp": 1, "fn": 4, "tn": 0}) for j in range(3))
    assert costs["best"]["threshold"] == pytest.approx(GRID[int(np.argmin(total))])
    for entry in [costs["best"], *(c["best"] for c in costs["per_class"].values())]:
        lo, hi = entry["interval"]
        assert 0.0 <= lo <= entry["threshold"] <= hi <= 1.0


# ---------------------------------------------------------------- net benefit's paired band


def _with_baseline(n: int = 2500, seed: int = 5, **options) -> dict:
    rng, y, s = _logistic(n, seed)
    s0 = 1 / (1 + np.exp(-(0.7 * np.log(s / (1 - s)) + 0.5 * rng.normal(size=n))))
    labels = pd.DataFrame({"id": [str(i) for i in range(n)], "label": np.where(y == 1, "yes", "no")})
    frame = lambda v: pd.DataFrame({"id": labels["id"], "score": v})  # noqa: E731
    return reportgen.evaluate(labels, frame(s), baseline=frame(s0), positive_class="yes", **options).to_dict()


def test_net_benefit_difference_band_holds_the_difference_and_is_null_without_a_bootstrap():
    report = _with_baseline(n_bootstrap=200)
    section = report["net_benefit"]
    bands = section["difference_interval"]
    assert len(bands) == len(section["thresholds"])
    difference = np.subtract(section["model"], section["baseline"])
    for (lo, hi), d in zip(bands, difference):
        assert lo - 1e-6 <= d <= hi + 1e-6
    assert any(hi - lo > 1e-4 for lo, hi in bands)  # not a degenerate band
    assert _with_baseline(n_bootstrap=0)["net_benefit"]["difference_interval"] is None
    jsonschema.validate(report, schema())


def test_net_benefit_difference_band_per_class_for_multiclass():
    rng = np.random.default_rng(6)
    y = rng.integers(0, 3, 1200)
    p, q = softmax_scores(rng, y, 3, 1.5), softmax_scores(rng, y, 3, 0.8)
    labels = pd.DataFrame({"id": [str(i) for i in range(len(y))], "label": [f"c{v}" for v in y]})
    frame = lambda m: pd.DataFrame({"id": labels["id"], **{f"c{j}": m[:, j] for j in range(3)}})  # noqa: E731
    report = reportgen.evaluate(labels, frame(p), baseline=frame(q), n_bootstrap=100).to_dict()
    for name, curve in report["net_benefit"]["per_class"].items():
        difference = np.subtract(curve["model"], curve["baseline"])
        assert all(lo - 1e-6 <= d <= hi + 1e-6 for (lo, hi), d in zip(curve["difference_interval"], difference))
    # the stronger model's gain is beyond chance somewhere for every class
    assert all(any(lo > 0 for lo, _ in c["difference_interval"]) for c in report["net_benefit"]["per_class"].values())


# ---------------------------------------------------------------- the multiclass Bayes decision


@pytest.mark.parametrize("weighted", [False, True])
def test_bayes_decision_matches_a_loop_over_examples(weighted):
    rng = np.random.default_rng(7)
    y = rng.integers(0, 4, 700)
    p = softmax_scores(rng, y, 4, 0.8)
    p[:5] = 0.25  # every class ties: the first wins
    w = rng.uniform(0.2, 3.0, len(y)) if weighted else np.ones(len(y))
    matrix = np.array([[0, 1, 1, 9], [2, 0, 1, 1], [1, 1, 0, 1], [6, 1, 3, 0]], dtype=float)
    given = {str(a): {str(b): matrix[a, b] for b in range(4)} for a in range(4)}
    bayes = reportgen.evaluate_arrays(y, p, sample_weight=w if weighted else None, costs=given,
                                      n_bootstrap=0).to_dict()["costs"]["bayes"]
    cost = right = changed = 0.0
    decided = np.zeros((4, 4))
    for i in range(len(y)):
        expected = [sum(p[i, a] * matrix[a, d] for a in range(4)) for d in range(4)]
        decision = min(range(4), key=lambda d: (expected[d], d))
        cost += w[i] * matrix[y[i], decision]
        right += w[i] * (decision == y[i])
        changed += w[i] * (decision != int(np.argmax(p[i])))
        decided[y[i], decision] += w[i]
    confusion = np.array(bayes.pop("confusion"))
    assert bayes == pytest.approx({"expected_cost": cost / w.sum(), "accuracy": right / w.sum(),
                                   "changed_share": changed / w.sum()})
    np.testing.assert_allclose(confusion, decided, rtol=1e-12)
    assert (confusion.dtype.kind == "i") != weighted  # whole counts unweighted


def test_bayes_decision_with_zero_one_costs_is_the_argmax():
    rng = np.random.default_rng(8)
    y = rng.integers(0, 3, 500)
    p = softmax_scores(rng, y, 3, 1.0)
    given = {str(a): {str(b): float(a != b) for b in range(3)} for a in range(3)}
    report = reportgen.evaluate_arrays(y, p, costs=given, n_bootstrap=0).to_dict()
    assert report["costs"]["bayes"]["changed_share"] == 0.0
    assert report["costs"]["bayes"]["accuracy"] == pytest.approx(report["summary"]["accuracy"])
    assert report["costs"]["bayes"]["expected_cost"] == pytest.approx(report["costs"]["at_threshold"]["expected_cost"])


def _multiclass_files(tmp_path):
    rng = np.random.default_rng(9)
    y = rng.integers(0, 3, 900)
    p, q = softmax_scores(rng, y, 3, 1.2), softmax_scores(rng, y, 3, 0.7)
    ids = [f"r{i}" for i in range(len(y))]
    pd.DataFrame({"id": ids, "label": [f"c{v}" for v in y]}).to_csv(tmp_path / "labels.csv", index=False)
    for name, m in (("scores", p), ("base", q)):
        pd.DataFrame({"id": ids, **{f"c{j}": m[:, j] for j in range(3)}}).to_csv(tmp_path / f"{name}.csv", index=False)
    costs = {f"c{a}": {f"c{b}": float(a != b) * (1 + 3 * (b == 0)) for b in range(3)} for a in range(3)}
    return costs


def _engines_agree(tmp_path, engines, costs) -> None:
    reports = [reportgen.evaluate_files(tmp_path / "labels.csv", tmp_path / "scores.csv", baseline=tmp_path / "base.csv",
                                        engine=engine, costs=costs, n_bootstrap=100).to_dict()
               for engine in engines]
    for key in ("costs", "net_benefit", "evidence"):
        assert json.dumps(reports[0][key], sort_keys=True) == json.dumps(reports[1][key], sort_keys=True), key
    assert reports[0]["net_benefit"]["per_class"]["c0"]["difference_interval"] is not None
    assert reports[0]["costs"]["bayes"] is not None


def test_spark_gives_the_same_intervals_band_and_bayes_decision(spark_session, tmp_path):
    _engines_agree(tmp_path, ("memory", "spark"), _multiclass_files(tmp_path))


def test_duckdb_gives_the_same_intervals_band_and_bayes_decision(tmp_path):
    _engines_agree(tmp_path, ("memory", "duckdb"), _multiclass_files(tmp_path))


# ---------------------------------------------------------------- judging an interval


def test_the_issue_sentence_and_the_three_verdicts():
    change = evidence.judge("rule", "accuracy", -0.007, [-0.018, 0.004], -0.01, True, 5000,
                            what="the change in accuracy")
    assert change.verdict == "inconclusive"
    words = evidence.sentence(change)
    assert words.startswith("the 95% interval of the change in accuracy is −1.8 to +0.4 points; "
                            "a drop of 1 point is not ruled out; about ")
    # the side towards the bound, 1.1 points, must shrink to the 0.3 points between the change and the bound
    assert change.more_examples == evidence._two_digits(5000 * (0.011 / 0.003) ** 2 - 5000)
    assert words.endswith(f"about {change.more_examples:,} more labelled examples would settle it")
    assert evidence.judge("rule", "accuracy", 0.86, [0.84, 0.88], 0.8, True, 900).verdict == "pass"
    assert evidence.judge("rule", "accuracy", 0.79, [0.76, 0.82], 0.8, True, 900).verdict == "fail"
    assert evidence.judge("rule", "log_loss", 0.30, [0.27, 0.36], 0.35, False, 900).verdict == "inconclusive"
    assert evidence.judge("rule", "log_loss", 0.30, [0.27, 0.33], 0.35, False, 900).verdict == "pass"
    assert evidence.judge("rule", "accuracy", 0.9, None, 0.8, True, 900).verdict == "pass"  # no interval: the point
    assert evidence.judge("rule", "accuracy", None, None, 0.8, True, 900).verdict == "fail"


def test_another_confidence_scales_each_side_and_the_mde_formula():
    j = evidence.judge("rule", "accuracy", 0.85, [0.82, 0.86], 0.83, True, 1000, confidence=0.80)
    z = evidence.z_of(0.80) / evidence.z_of(0.95)
    assert j.interval == pytest.approx([0.85 - 0.03 * z, 0.85 + 0.01 * z])
    assert j.verdict == "pass"  # 0.85 − 0.03 · 0.654 > 0.83
    se = 0.04 / (2 * evidence.z_of(0.95))
    assert j.mde == pytest.approx((evidence.z_of(0.80) + 0.8416212335729143) * se)


def test_mcnemar_standard_error_is_the_paired_differences():
    rng = np.random.default_rng(10)
    d = rng.choice([-1, 0, 0, 0, 1, 1], 5000)  # newly wrong, unchanged, newly right
    fixed, broken = float((d == 1).sum()), float((d == -1).sum())
    assert evidence.mcnemar_se(fixed, broken, len(d)) == pytest.approx(d.std() / math.sqrt(len(d)))


def test_more_examples_settle_the_rule_about_half_the_time_as_stated():
    """Accuracy measured on n examples, inconclusive against a minimum; with the suggested
    extra examples and the accuracy staying as measured, the 95% interval excludes the
    bound in about half of the repeats (no power margin, as the contract states)."""
    rng = np.random.default_rng(11)
    n, measured, bound = 600, 0.82, 0.80
    half = 1.96 * math.sqrt(measured * (1 - measured) / n)
    j = evidence.judge("rule", "accuracy", measured, [measured - half, measured + half], bound, True, n)
    assert j.verdict == "inconclusive" and j.more_examples == 820  # 600 · (0.0307 / 0.02)² − 600, two digits
    size = n + j.more_examples
    right = rng.binomial(size, measured, 4000) / size
    low = right - 1.96 * np.sqrt(right * (1 - right) / size)
    assert 0.40 <= float(np.mean(low > bound)) <= 0.60


# ---------------------------------------------------------------- a report's evidence and the gate


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("evidence")
    report = _with_baseline(n=1500, seed=12, n_bootstrap=200, costs={"fp": 1, "fn": 3})
    path = folder / "m.json"
    path.write_text(json.dumps(report))
    return folder, path, report


def test_report_evidence_judges_every_headline_change(built):
    _, _, report = built
    jsonschema.validate(report, schema())
    judged = {e["metric"]: e for e in report["evidence"] if e["subject"] == "delta"}
    assert set(judged) == {"f1", "accuracy", "roc_auc_macro", "log_loss"}
    for key, e in judged.items():
        lo, hi = report["intervals"]["deltas"][key]
        assert e["interval"] == [lo, hi] and e["value"] == pytest.approx(report["deltas"]["summary"][key])
        better = (lambda x: x <= 0) if key == "log_loss" else (lambda x: x >= 0)
        expected = "pass" if better(lo) and better(hi) else "fail" if not better(e["value"]) else "inconclusive"
        assert e["verdict"] == expected and e["sentence"]
        assert (e["more_examples"] is None) == (expected != "inconclusive") or e["value"] == 0
    churn = report["churn"]
    assert judged["accuracy"]["mde"] == pytest.approx(
        (1.96 + 0.8416212335729143) * evidence.mcnemar_se(churn["fixed"], churn["broken"], report["n_examples"]),
        rel=1e-3)


def test_check_keeps_its_behaviour_by_default_and_judges_intervals_with_confidence(built):
    folder, path, report = built
    acc = report["summary"]["accuracy"]
    lo, hi = report["intervals"]["summary"]["accuracy"]
    inside = round((acc + lo) / 2, 6)  # between the interval's low end and the point: inconclusive
    plain = run_reportgen("check", path, "--min", f"accuracy={inside}")
    assert plain.returncode == 0
    judged = run_reportgen("check", path, "--min", f"accuracy={inside}", "--confidence", "0.95",
                           "--markdown", folder / "gate.md")
    assert judged.returncode == 1 and "INCONCLUSIVE" in judged.stderr and "more labelled examples" in judged.stderr
    markdown = (folder / "gate.md").read_text()
    assert "❔ INCONCLUSIVE" in markdown and "1 inconclusive" in markdown
    let_through = run_reportgen("check", path, "--min", f"accuracy={inside}", "--confidence", "0.95",
                                "--inconclusive", "pass")
    assert let_through.returncode == 0 and "1 inconclusive" in let_through.stdout
    clear = run_reportgen("check", path, "--min", f"accuracy={round(lo - 0.01, 6)}", "--confidence", "0.95")
    assert clear.returncode == 0
    broken = run_reportgen("check", path, "--min", f"accuracy={round(acc + 0.001, 6)}", "--confidence", "0.95",
                           "--inconclusive", "pass")
    assert broken.returncode == 1 and "FAIL" in broken.stderr
    bad = run_reportgen("check", path, "--min", "accuracy=0.5", "--confidence", "1.5")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_drop_rules_slices_and_broken_share_are_judged(built):
    from reportgen import gate

    _, path, report = built
    rules = [gate.Rule.parse("max_drop", "accuracy=0.0"), gate.Rule.parse("max_broken", "0.5"),
             gate.Rule.parse("max", "expected_cost=5")]
    outcomes = gate.outcomes(report, rules, str(path), confidence=0.95)
    drop, broken, cost = outcomes
    lo, hi = report["intervals"]["deltas"]["accuracy"]
    assert drop.evidence.interval == [lo, hi]
    assert drop.verdict == ("pass" if lo >= 0 else "fail" if report["deltas"]["summary"]["accuracy"] < 0
                            else "inconclusive")
    assert broken.verdict == "pass" and broken.evidence.interval[1] < 0.5
    assert cost.verdict == "pass" and cost.evidence.interval is None  # no interval: the estimate alone


def test_page_markdown_and_email_say_the_same(built, tmp_path):
    from bs4 import BeautifulSoup

    from reportgen.report import output
    from reportgen.report.email import build_message
    from reportgen.report.markdown import summary_markdown

    _, _, report = built
    lines = [evidence.verdict_line(e) for e in report["evidence"]]
    report = {**report, "meta": output.meta("t")}
    page = output.page_text(report)
    soup = BeautifulSoup(page, "html.parser")
    shown = [soup.select_one(".verdict").text] + [li.text for li in soup.select(".evidence li")]
    assert sorted(shown) == sorted(lines)
    markdown = summary_markdown(report)
    message = build_message(report, page)
    text = message.get_body(preferencelist=("plain",)).get_content()
    for line in lines:
        assert line.replace("*", "\\*") in markdown or line in markdown
        assert line in text


def test_page_interval_and_bayes_hold_for_the_built_costs_only_while_the_slider_still_moves_the_cost(chromium, tmp_path):
    from test_browser import _move, _open

    rng, y, s = _logistic(600, 13)
    evaluation = reportgen.evaluate_arrays(y, s, costs={"fp": 1, "fn": 3}, n_bootstrap=100)
    report = evaluation.to_dict()
    path = tmp_path / "r.html"
    evaluation.to_html(path)
    context, page, problems, _ = _open(chromium, path)
    page.wait_for_function("window.reportgenPage.views.some(v => v.key === 'expected-cost')", timeout=20000)
    shown = "() => !document.querySelector('[data-cost-best-interval]').hidden"
    lo, hi = report["costs"]["best"]["interval"]
    assert page.evaluate(shown) and f"{lo:.2f} to {hi:.2f}" in page.text_content("[data-cost-best-interval]")
    page.fill('input[data-cost-cell="fp"]', "4")
    expected = _grid_costs(y, s, {"tp": 0, "fp": 4, "fn": 3, "tn": 0})
    assert page.text_content("[data-cost-best-threshold]") == f"{GRID[int(np.argmin(expected))]:.2f}"
    assert not page.evaluate(shown)  # the interval was for fp = 1
    _move(page, 0.7)
    page.wait_for_timeout(100)
    assert float(page.text_content("[data-cost-at]")) == pytest.approx(expected[70], rel=1e-3)
    page.fill('input[data-cost-cell="fp"]', "1")
    assert page.evaluate(shown)
    assert problems == []
    context.close()


def test_a_slice_rule_takes_the_worst_slice_and_skips_small_ones():
    from reportgen import gate

    def piece(value, n, interval):
        return {"by": ["region"], "value": [value], "n_examples": n,
                "summary": {"accuracy": {"a": 0.85, "b": 0.83, "c": 0.5}[value]}, "intervals": {"accuracy": interval}}

    report = {"summary": {"accuracy": 0.84}, "n_examples": 1000, "slice_settings": {"min_size": 30},
              "slices": [piece("a", 500, [0.82, 0.88]), piece("b", 470, [0.78, 0.87]), piece("c", 10, [0.2, 0.8])]}
    outcome, = gate.outcomes(report, [gate.Rule.parse("min_slice", "accuracy=0.8")], "m.json", confidence=0.95)
    assert outcome.verdict == "inconclusive" and not outcome.passed
    assert "slice region=b" in outcome.text and outcome.evidence.n_examples == 470
    assert outcome.evidence.more_examples == evidence._two_digits(470 * (0.05 / 0.03) ** 2 - 470)
    passed, = gate.outcomes(report, [gate.Rule.parse("min_slice", "accuracy=0.7")], "m.json", confidence=0.95,
                            inconclusive="fail")
    assert passed.verdict == "pass" and passed.passed


def test_cost_table_says_what_editing_recomputes_and_hides_for_each_task(tmp_path):
    """Multiclass has no cost curve, least-cost threshold or interval: its cost table's
    sentences name the highest-score decisions' cost and the Bayes decision only; binary
    names the curve and the interval."""
    from bs4 import BeautifulSoup

    rng = np.random.default_rng(9)
    y = rng.integers(0, 3, 400)
    p = softmax_scores(rng, y, 3, 1.0)
    given = {str(a): {str(b): float(a != b) + 2.0 * (a == 0 and b == 2) for b in range(3)} for a in range(3)}
    path = tmp_path / "m.html"
    reportgen.evaluate_arrays(y, p, costs=given, n_bootstrap=0).to_html(path)
    costs = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").select_one("#costs").text
    assert "recompute the cost of the highest-score decisions" in costs and "least-cost threshold" not in costs
    assert "The cost-minimising decision is for the costs the report was built with; editing a cost hides it." in costs
    assert "Interval" not in costs
    rng, y, s = _logistic(400, 3)
    path = tmp_path / "b.html"
    reportgen.evaluate_arrays(y, s, costs={"fp": 1, "fn": 3}, n_bootstrap=50).to_html(path)
    costs = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").select_one("#costs").text
    assert "recompute the curve and the least-cost threshold" in costs
    assert "The interval is for the costs the report was built with; editing a cost hides it." in costs


def test_email_text_keeps_each_header_line_and_a_blank_line_between_sections():
    """The plain-text email: the threshold and the baseline on lines of their own, and a
    blank line before each section's heading (the template's block tags eat newlines)."""
    from reportgen.report import output
    from reportgen.report.email import build_message

    report = {**_with_baseline(n=400, n_bootstrap=50), "meta": output.meta("t")}
    plain = build_message(report, "<html></html>").get_body(preferencelist=("plain",)).get_content()
    assert "\nThreshold: 0.5 (positive class: yes)\nCompared with: " in plain
    for heading in ("Highlights\n---", "Is the evidence enough?\n---", "Per class"):
        assert f"\n\n{heading}" in plain, heading
    assert "\n\nThe interactive report is attached" in plain


def test_page_promises_costs_only_with_costs_and_the_slider_only_to_scripts(tmp_path):
    """Without costs the Decisions heading names no costs; a tile fixed at the report's
    threshold mentions the slider only where the script shows it."""
    from pathlib import Path

    from bs4 import BeautifulSoup

    here = Path(__file__).resolve().parent.parent / "examples" / "multilabel"
    path = tmp_path / "ml.html"
    reportgen.evaluate_files(here / "labels.csv", here / "scores.csv", multilabel=True, n_bootstrap=0).to_html(path)
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    assert soup.select_one("#decisions-h").text == "Decisions: gains, net benefit"
    slider = [t for t in soup.find_all(string=re.compile("whatever the slider says"))]
    assert slider and all(t.parent.has_attr("data-needs-script") and t.parent.has_attr("hidden") for t in slider)
    rng, y, s = _logistic(300, 4)
    path = tmp_path / "b.html"
    reportgen.evaluate_arrays(y, s, costs={"fp": 1, "fn": 2}, n_bootstrap=0).to_html(path)
    heading = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").select_one("#decisions-h").text
    assert heading == "Decisions: gains, net benefit and costs"
