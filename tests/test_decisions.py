"""Gains, lift and KS; net benefit; expected cost: against scikit-learn, dcurves and brute force."""
from __future__ import annotations

import json

import dcurves
import jsonschema
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import confusion_matrix, roc_curve

import reportgen
from conftest import run_reportgen, softmax_scores
from reportgen.decisions import gains
from reportgen.errors import InputError
from reportgen.stats import ScoreCounts
from test_engines import _example, _report, _same, spark_session  # noqa: F401 (a fixture)

GRID = [round(i * 0.01, 10) for i in range(101)]


def _binary(n: int = 2000, seed: int = 0, digits: int | None = None):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    s = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0.0, 1.0)
    if digits is not None:
        s = np.round(s, digits)
    return y, s


def _report_of(y, s, **options) -> dict:
    return reportgen.evaluate_arrays(y, s, n_bootstrap=0, **options).to_dict()


# ---------------------------------------------------------------- net benefit


def _dca(y, s, thresholds) -> pd.DataFrame:
    frame = pd.DataFrame({"y": y.astype(int), "model": s})
    return dcurves.dca(data=frame, outcome="y", modelnames=["model"], thresholds=thresholds)


def _dcurves_line(table: pd.DataFrame, model: str) -> np.ndarray:
    return table[table["model"] == model].sort_values("threshold")["net_benefit"].to_numpy(dtype=float)


def test_net_benefit_matches_dcurves_on_the_positive_class():
    y, s = _binary()
    section = _report_of(y, s)["net_benefit"]
    assert section["thresholds"] == GRID[:-1]  # pt = 1 has no odds
    table = _dca(y, s, section["thresholds"])
    np.testing.assert_allclose(section["model"], _dcurves_line(table, "model"), atol=1e-6)
    np.testing.assert_allclose(section["treat_all"], _dcurves_line(table, "all"), atol=1e-6)
    assert section["baseline"] is None and section["difference_interval"] is None


def test_net_benefit_per_class_matches_dcurves_one_vs_rest():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 3, 1500)
    p = softmax_scores(rng, y, 3, 1.5)
    report = _report_of(y, p)
    assert set(report["net_benefit"]["per_class"]) == {"0", "1", "2"}
    for j, name in enumerate(report["classes"]):
        section = report["net_benefit"]["per_class"][name]
        table = _dca((y == j).astype(int), p[:, j], section["thresholds"])
        np.testing.assert_allclose(section["model"], _dcurves_line(table, "model"), atol=1e-6)
        np.testing.assert_allclose(section["treat_all"], _dcurves_line(table, "all"), atol=1e-6)


def test_net_benefit_counts_scores_above_the_threshold_where_dcurves_counts_at_or_above():
    y = np.array([1, 0, 1, 0, 0, 1, 0, 0])
    s = np.array([0.3, 0.3, 0.9, 0.1, 0.3, 0.7, 0.6, 0.2])  # three scores exactly at pt = 0.3
    section = _report_of(y, s)["net_benefit"]
    at = section["thresholds"].index(0.3)
    n, odds = len(y), 0.3 / 0.7
    above = s > 0.3
    mine = (np.sum(above & (y == 1)) - np.sum(above & (y == 0)) * odds) / n
    assert section["model"][at] == pytest.approx(mine, abs=1e-6)
    theirs = _dcurves_line(_dca(y, s, [0.3]), "model")[0]
    at_or_above = s >= 0.3
    assert theirs == pytest.approx((np.sum(at_or_above & (y == 1)) - np.sum(at_or_above & (y == 0)) * odds) / n)
    assert theirs != pytest.approx(section["model"][at], abs=1e-3)


def test_net_benefit_of_the_baseline_is_its_own_curve_on_the_same_examples():
    y, s = _binary(800, seed=2)
    rng = np.random.default_rng(9)
    worse = np.clip(s + rng.normal(0, 0.3, len(s)), 0, 1)
    ids = [str(i) for i in range(len(y))]
    labels = pd.DataFrame({"id": ids, "label": np.where(y == 1, "pos", "neg")})
    scores = pd.DataFrame({"id": ids, "pos": s})
    baseline = pd.DataFrame({"id": ids, "pos": worse})
    report = reportgen.evaluate(labels, scores, baseline=baseline, n_bootstrap=0).to_dict()
    alone = reportgen.evaluate(labels, baseline, n_bootstrap=0).to_dict()
    assert report["net_benefit"]["baseline"] == alone["net_benefit"]["model"]
    assert report["net_benefit"]["baseline"] != report["net_benefit"]["model"]


# ---------------------------------------------------------------- KS


@pytest.mark.parametrize("digits", [None, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_ks_is_scikit_learns_max_tpr_minus_fpr(digits, weighted):
    y, s = _binary(3000, seed=1, digits=digits)
    w = np.random.default_rng(5).uniform(0.2, 3.0, len(y)) if weighted else None
    ks = _report_of(y, s, sample_weight=w)["gains"]["ks"]
    fpr, tpr, thresholds = roc_curve(y, s, sample_weight=w, drop_intermediate=False)
    best = int(np.argmax(tpr - fpr))
    assert ks["statistic"] == pytest.approx(float(np.max(tpr - fpr)), abs=1e-12)
    assert ks["threshold"] == thresholds[best]


def test_ks_per_class_and_for_a_non_default_positive_class():
    rng = np.random.default_rng(6)
    y = rng.integers(0, 4, 2000)
    p = softmax_scores(rng, y, 4, 1.0)
    report = _report_of(y, p)
    for j, name in enumerate(report["classes"]):
        fpr, tpr, _ = roc_curve(y == j, p[:, j])
        assert report["gains"]["per_class"][name]["ks"]["statistic"] == pytest.approx(np.max(tpr - fpr), abs=1e-12)
    yb, s = _binary(500, seed=3)
    named = np.where(yb == 1, "b", "a")
    flipped = _report_of(named, 1 - s, positive_class="a")  # the score of "a", the lesser label
    fpr, tpr, thresholds = roc_curve(named == "a", 1 - s, drop_intermediate=False)
    assert flipped["positive_class"] == "a"
    assert flipped["gains"]["ks"]["statistic"] == pytest.approx(np.max(tpr - fpr), abs=1e-12)
    assert flipped["gains"]["ks"]["threshold"] == pytest.approx(thresholds[np.argmax(tpr - fpr)])


# ---------------------------------------------------------------- gains


def _brute_gains(y, s, w, table: list[dict]) -> None:
    """Every column recounted row by row from each bin's score range (its lowest score up to
    the bin above's), with every tie inside one bin and bins about equal."""
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=float)
    n, n_pos = w.sum(), w[y == 1].sum()
    n_neg = n - n_pos
    upper = np.inf
    seen = found = passed = 0.0
    for row in table:
        low = row["lowest_score"]
        inside = [i for i in range(len(y)) if low <= s[i] < upper]
        size = sum(w[i] for i in inside)
        hits = sum(w[i] for i in inside if y[i] == 1)
        seen, found, passed = seen + size, found + hits, passed + size - hits
        assert row["cumulative_share"] == pytest.approx(seen / n)
        assert row["response_rate"] == pytest.approx(hits / size)
        if n_pos > 0:
            assert row["lift"] == pytest.approx(hits / size / (n_pos / n))
            assert row["cumulative_lift"] == pytest.approx(found / seen / (n_pos / n))
            assert row["capture_rate"] == pytest.approx(hits / n_pos)
            assert row["cumulative_capture_rate"] == pytest.approx(found / n_pos)
        else:
            assert row["lift"] is row["capture_rate"] is row["cumulative_capture_rate"] is None
        if n_pos > 0 and n_neg > 0:
            assert row["ks"] == pytest.approx(found / n_pos - passed / n_neg)
        else:
            assert row["ks"] is None
        upper = low
    assert seen == pytest.approx(n)  # every row in some bin
    assert table[-1]["cumulative_share"] == pytest.approx(1.0)


def _largest_tie(s, w) -> float:
    w = np.ones(len(s)) if w is None else w
    values, inverse = np.unique(s, return_inverse=True)
    return float(np.bincount(inverse, weights=w).max())


@pytest.mark.parametrize("digits, weighted", [(None, False), (1, False), (2, True), (None, True)])
def test_gains_table_recounted_by_brute_force(digits, weighted):
    y, s = _binary(1200, seed=7, digits=digits)
    w = np.random.default_rng(8).integers(1, 4, len(y)).astype(float) if weighted else None
    table = _report_of(y, s, sample_weight=w)["gains"]["bins"]
    _brute_gains(y, s, w, table)
    n = len(y) if w is None else w.sum()
    sizes = np.diff(np.concatenate([[0.0], [row["cumulative_share"] * n for row in table]]))
    assert np.all(np.abs(sizes - n / 10) <= _largest_tie(s, w) + 1e-9)
    if digits is None and not weighted:
        assert len(table) == 10 and np.allclose(sizes, n / 10)


def test_ties_at_a_bin_edge_go_whole_to_the_bin_holding_their_middle_example():
    # 10 rows, 5 bins of 2: the three 0.9s (middle at 1.5 of 10) fill bin 1, 0.8 alone is bin 2
    s = np.array([0.9, 0.9, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2])
    y = np.array([1, 1, 0, 1, 0, 1, 0, 0, 1, 0])
    table = gains(ScoreCounts.from_arrays(y, s), 5)["bins"]
    assert [row["lowest_score"] for row in table] == [0.9, 0.8, 0.6, 0.4, 0.2]
    assert [round(row["cumulative_share"], 10) for row in table] == [0.3, 0.4, 0.6, 0.8, 1.0]
    _brute_gains(y, s, None, table)


def test_gains_of_constant_scores_is_one_bin_and_a_class_without_positives_has_null_ratios():
    y, _ = _binary(300, seed=1)
    constant = _report_of(y, np.full(len(y), 0.4))["gains"]
    assert len(constant["bins"]) == 1
    assert constant["bins"][0]["lift"] == pytest.approx(1.0) and constant["bins"][0]["ks"] == pytest.approx(0.0)
    assert constant["ks"] == {"statistic": 0.0, "threshold": None}
    rng = np.random.default_rng(2)
    p = rng.dirichlet([1, 1, 1], 200)
    labels = np.array(["a", "b", "c"])[rng.integers(0, 2, 200)]  # no example of c
    report = _report_of(labels, p, classes=["a", "b", "c"])
    c = report["gains"]["per_class"]["c"]
    assert c["ks"] == {"statistic": None, "threshold": None}
    assert all(row["lift"] is None and row["ks"] is None and row["response_rate"] == 0 for row in c["bins"])
    _brute_gains((labels == "c").astype(int), p[:, 2], None, c["bins"])


def test_gain_bins_option():
    y, s = _binary(500, seed=5)
    assert len(_report_of(y, s, gain_bins=4)["gains"]["bins"]) == 4
    with pytest.raises(InputError, match="gain-bins"):
        _report_of(y, s, gain_bins=0)


# ---------------------------------------------------------------- expected cost


def _loop_cost(y, s, w, cells, thresholds) -> np.ndarray:
    """The mean cost at each threshold, from scikit-learn's confusion matrix (score > t)."""
    out = []
    for t in thresholds:
        (tn, fp), (fn, tp) = confusion_matrix(y, (s > t).astype(int), labels=[0, 1], sample_weight=w)
        total = tn + fp + fn + tp
        out.append((cells["tp"] * tp + cells["fp"] * fp + cells["fn"] * fn + cells["tn"] * tn) / total)
    return np.array(out)


@pytest.mark.parametrize("weighted", [False, True])
def test_binary_expected_cost_matches_a_loop_over_thresholds(weighted):
    y, s = _binary(1500, seed=11, digits=2)  # ties at grid thresholds
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(y)) if weighted else None
    cells = {"tp": -2.0, "fp": 1.0, "fn": 5.0, "tn": 0.0}
    costs = _report_of(y, s, sample_weight=w, costs=cells, threshold=0.4)["costs"]
    assert costs["binary"] == cells and costs["matrix"] is None and costs["bayes"] is None
    expected = _loop_cost(y, s, w, cells, GRID)
    assert costs["curve"]["thresholds"] == GRID
    np.testing.assert_allclose(costs["curve"]["expected_cost"], expected, rtol=1e-12, atol=1e-12)
    best = int(np.flatnonzero(expected == expected.min())[0])  # the lowest threshold of least cost
    assert costs["best"] == {"threshold": GRID[best], "expected_cost": pytest.approx(expected[best]), "interval": None}
    assert costs["at_threshold"]["threshold"] == 0.4
    assert costs["at_threshold"]["expected_cost"] == pytest.approx(_loop_cost(y, s, w, cells, [0.4])[0])


def test_a_two_by_two_matrix_gives_the_same_binary_costs():
    y, s = _binary(400, seed=12)
    named = np.where(y == 1, "yes", "no")
    matrix = {"no": {"no": 0, "yes": 1}, "yes": {"no": 4, "yes": -1}}
    a = _report_of(named, s, positive_class="yes", costs=matrix)["costs"]
    b = _report_of(named, s, positive_class="yes", costs={"tp": -1, "fp": 1, "fn": 4, "tn": 0})["costs"]
    assert a["binary"] == b["binary"] == {"tp": -1.0, "fp": 1.0, "fn": 4.0, "tn": 0.0}
    assert a["curve"] == b["curve"]


def test_multiclass_expected_cost_of_the_argmax_decisions():
    rng = np.random.default_rng(13)
    y = rng.integers(0, 3, 900)
    p = softmax_scores(rng, y, 3, 1.0)
    w = rng.uniform(0.5, 1.5, len(y))
    matrix = np.array([[0, 1, 2], [4, 0, 1], [1, 8, 0]], dtype=float)
    given = {str(a): {str(b): matrix[a, b] for b in range(3)} for a in range(3)}
    costs = _report_of(y, p, sample_weight=w, costs=given)["costs"]
    confusion = confusion_matrix(y, p.argmax(axis=1), sample_weight=w)
    assert costs["at_threshold"] == {"threshold": None,
                                     "expected_cost": pytest.approx(np.sum(confusion * matrix) / w.sum())}
    assert costs["matrix"] == given and costs["curve"] is None and costs["best"] is None and costs["bayes"]["expected_cost"] is not None  # its oracle: test_evidence


def test_multilabel_expected_cost_per_class_and_in_total():
    rng = np.random.default_rng(14)
    Y = rng.integers(0, 2, (600, 3))
    P = np.clip(Y * 0.3 + rng.random((600, 3)) * 0.7, 0, 1)
    per_class = {"0": {"fp": 1, "fn": 2}, "1": {"fp": 1, "fn": 10, "tp": -1}, "2": {"fp": 3, "fn": 1}}
    costs = _report_of(Y, P, costs=per_class)["costs"]
    total = np.zeros(len(GRID))
    for j in range(3):
        cells = {"tp": 0.0, "tn": 0.0, **{k: float(v) for k, v in per_class[str(j)].items()}}
        mine = costs["per_class"][str(j)]
        assert mine["costs"] == cells
        expected = _loop_cost(Y[:, j], P[:, j], None, cells, GRID)
        np.testing.assert_allclose(mine["curve"]["expected_cost"], expected, atol=1e-12)
        assert mine["best"]["threshold"] == GRID[int(np.argmin(expected))]
        assert mine["at_threshold"]["expected_cost"] == pytest.approx(_loop_cost(Y[:, j], P[:, j], None, cells, [0.5])[0])
        total += expected
    np.testing.assert_allclose(costs["curve"]["expected_cost"], total, atol=1e-12)
    assert costs["best"]["threshold"] == GRID[int(np.argmin(total))]
    assert costs["at_threshold"]["threshold"] == 0.5


def test_label_only_report_has_the_cost_of_its_decisions_and_no_curve():
    y, s = _binary(300, seed=15)
    predicted = (s > 0.6).astype(int)
    report = reportgen.evaluate_arrays(y, y_pred=predicted, n_bootstrap=0, costs={"fp": 1, "fn": 3}).to_dict()
    costs = report["costs"]
    (tn, fp), (fn, tp) = confusion_matrix(y, predicted)
    assert costs["curve"] is None and costs["best"] is None
    assert costs["at_threshold"] == {"threshold": None, "expected_cost": pytest.approx((fp + 3 * fn) / len(y))}
    assert "gains" not in report and "net_benefit" not in report


# ---------------------------------------------------------------- bad costs


def _files(tmp_path, classes=("no", "yes")):
    y, s = _binary(200, seed=16)
    labels = tmp_path / "labels.csv"
    scores = tmp_path / "scores.csv"
    pd.DataFrame({"id": range(len(y)), "label": np.array(classes)[y]}).to_csv(labels, index=False)
    pd.DataFrame({"id": range(len(y)), classes[1]: s}).to_csv(scores, index=False)
    return labels, scores


@pytest.mark.parametrize("text, message", [
    ("tp,fp,fn,tn\n0,x,5,0\n", "cost 'fp' 'x' is not a number"),
    ("tp,fp,tn\n0,1,0\n", "no cost for 'fn'"),
    ("tp,fp,fn,tn\n0,1,5,0\n0,2,5,0\n", "one row of tp,fp,fn,tn (2 given)"),
    ("fp,fn,tq\n1,5,0\n", "unknown cost 'tq'"),
    ("actual,no,yes\nno,0,1\nmaybe,4,0\n", "unknown actual class 'maybe'"),
    ("actual,no,yes\nno,0,inf\nyes,4,0\n", "is not a finite number"),
    ("class,fp,fn\nyes,1,2\n", "per-class costs are for a multilabel report"),
])
def test_bad_cost_files_are_one_line_naming_the_file_and_value(tmp_path, text, message):
    labels, scores = _files(tmp_path)
    path = tmp_path / "costs.csv"
    path.write_text(text)
    done = run_reportgen("build", "--labels", labels, "--scores", scores, "--costs", path,
                         "--out", tmp_path / "r.html", "--no-bootstrap")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert str(path) in done.stderr and message in done.stderr, done.stderr


def test_cost_options_go_together_and_not_with_a_file(tmp_path):
    labels, scores = _files(tmp_path)
    (tmp_path / "c.csv").write_text("fp,fn\n1,2\n")
    for extra in (["--cost-fp", "1"], ["--cost-fp", "1", "--cost-fn", "2", "--costs", tmp_path / "c.csv"]):
        done = run_reportgen("build", "--labels", labels, "--scores", scores, *extra, "--out", tmp_path / "r.html")
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "usage" in done.stderr


def test_multiclass_refuses_binary_costs():
    rng = np.random.default_rng(0)
    with pytest.raises(InputError, match="cost matrix"):
        _report_of(rng.integers(0, 3, 50), rng.dirichlet([1, 1, 1], 50), costs={"fp": 1, "fn": 2})
    with pytest.raises(InputError, match="no cost for predicted class '2'"):
        _report_of(rng.integers(0, 3, 50), rng.dirichlet([1, 1, 1], 50),
                   costs={str(a): {"0": 1, "1": 1} for a in range(3)})


# ---------------------------------------------------------------- command line, gate, engines


def test_cost_options_and_the_gate_on_expected_cost(tmp_path):
    labels, scores = _files(tmp_path)
    out = tmp_path / "r.json"
    done = run_reportgen("build", "--labels", labels, "--scores", scores, "--cost-fp", "1", "--cost-fn", "5",
                         "--gain-bins", "5", "--out", tmp_path / "r.html", "--metrics-json", out, "--no-bootstrap")
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    assert report["costs"]["binary"] == {"tp": 0.0, "fp": 1.0, "fn": 5.0, "tn": 0.0}
    assert len(report["gains"]["bins"]) == 5
    cost = report["costs"]["at_threshold"]["expected_cost"]
    assert run_reportgen("check", out, "--max", f"expected_cost={cost + 0.01}").returncode == 0
    failed = run_reportgen("check", out, "--max", f"expected_cost={cost - 0.01}")
    assert failed.returncode == 1 and "expected_cost" in failed.stdout + failed.stderr
    (tmp_path / "plain.json").write_text(json.dumps({k: v for k, v in report.items() if k != "costs"}))
    missing = run_reportgen("check", tmp_path / "plain.json", "--max", "expected_cost=1")
    assert missing.returncode == 2 and "--costs" in missing.stderr


COSTS = {
    "binary": {"fp": 1, "fn": 4},
    "multiclass": None,  # a matrix of the example's classes, made below
    "multilabel": {"fp": 2, "fn": 1, "tp": -1},
}


@pytest.mark.parametrize("name", ["binary", "multiclass", "multilabel"])
def test_duckdb_gives_the_same_gains_net_benefit_and_costs(name):
    labels, scores = _example(name)
    classes = [c for c in pd.read_csv(scores, nrows=0).columns if c != "id"]
    costs = COSTS[name] or {a: {p: float(a != p) * (2 if p == classes[0] else 1) for p in classes} for a in classes}
    memory = _report("memory", labels, scores, costs=costs)
    duck = _report("duckdb", labels, scores, costs=costs)
    keys = ("gains", "net_benefit", "costs")
    assert all(memory[k] is not None for k in keys)
    _same({k: memory[k] for k in keys}, {k: duck[k] for k in keys})


# ---------------------------------------------------------------- the page


def _page_report(tmp_path) -> tuple:
    labels, scores = _files(tmp_path)
    evaluation = reportgen.evaluate_files(labels, scores, n_bootstrap=0, costs={"fp": 1, "fn": 5})
    page = tmp_path / "r.html"
    evaluation.to_html(page)
    return page, evaluation.to_dict()


def test_page_shows_gains_net_benefit_and_costs_without_script(tmp_path):
    from test_page import _vega_lite_schema

    page, report = _page_report(tmp_path)
    text = page.read_text()
    schema = _vega_lite_schema()
    for key in ("net-benefit", "expected-cost"):
        spec = text.split(f'<script type="application/json" id="spec-{key}">')[1].split("</script>")[0]
        jsonschema.validate(json.loads(spec), schema)
    assert 'id="decisions"' in text and 'id="costs"' in text and 'id="gains-table"' in text
    assert text.count('type="number"') == 4 and 'data-chart="net-benefit"' in text and 'data-chart="expected-cost"' in text
    best = report["costs"]["best"]
    assert f'data-cost-best-threshold>{best["threshold"]:.2f}<' in text
    assert f'data-ks="{report["gains"]["ks"]["statistic"]}"' in text


def _cost_texts(page) -> dict:
    return page.evaluate("""() => ({best: document.querySelector('[data-cost-best-threshold]').textContent,
        cost: document.querySelector('[data-cost-best-value]').textContent,
        at: document.querySelector('[data-cost-at]').textContent,
        where: document.querySelector('[data-cost-threshold]').textContent,
        rows: (window.reportgenPage.views.find(v => v.key === 'expected-cost') || {}).view.data('cost_rows').length,
        least: window.reportgenPage.views.find(v => v.key === 'expected-cost').view.data('cost_best')[0].t})""")


def test_editing_a_cost_moves_the_best_threshold_and_the_curve_and_the_slider_moves_the_cost(chromium, tmp_path):
    from test_browser import _move, _open

    path, report = _page_report(tmp_path)
    context, page, problems, _ = _open(chromium, path)
    page.wait_for_function("window.reportgenPage.views.some(v => v.key === 'expected-cost')", timeout=20000)
    before = _cost_texts(page)
    assert before["best"] == f'{report["costs"]["best"]["threshold"]:.2f}'
    # false negatives now cheap, false positives dear: the least-cost threshold rises
    page.fill('input[data-cost-cell="fn"]', "0.5")
    page.fill('input[data-cost-cell="fp"]', "3")
    after = _cost_texts(page)
    y, s = _binary(200, seed=16)
    expected = _loop_cost(y, s, None, {"tp": 0, "fp": 3, "fn": 0.5, "tn": 0}, GRID)
    low = int(np.argmin(expected))
    assert after["best"] == f"{GRID[low]:.2f}" and float(after["best"]) > float(before["best"])
    assert after["least"] == pytest.approx(GRID[low]) and after["rows"] == len(GRID)
    assert float(after["cost"]) == pytest.approx(expected[low], rel=1e-3)
    _move(page, 0.8)
    page.wait_for_timeout(100)
    moved = _cost_texts(page)
    assert moved["where"] == "0.80" and float(moved["at"]) == pytest.approx(expected[GRID.index(0.8)], rel=1e-3)
    assert problems == []
    context.close()


def test_markdown_summary_has_one_line_each_for_ks_net_benefit_and_cost():
    y, s = _binary(600, seed=21)
    evaluation = reportgen.evaluate_arrays(y, s, n_bootstrap=0, costs={"fp": 1, "fn": 5})
    report = evaluation.to_dict()
    lines = evaluation.to_markdown().splitlines()
    ks = [line for line in lines if line.startswith("- **KS**")]
    benefit = [line for line in lines if line.startswith("- **Net benefit**")]
    cost = [line for line in lines if line.startswith("- **Expected cost**")]
    assert len(ks) == len(benefit) == len(cost) == 1
    assert f"{report['gains']['ks']['statistic']:.3f}" in ks[0]
    best = report["costs"]["best"]
    assert f"{report['costs']['at_threshold']['expected_cost']:.4g} per example at the threshold 0.5" in cost[0]
    assert f"least on the grid {best['expected_cost']:.4g} at {best['threshold']:.2f}" in cost[0]
    nb = report["net_benefit"]
    useful = sum(m > max(a, 0) for m, a in zip(nb["model"], nb["treat_all"]))
    assert f"at {useful} of {len(nb['thresholds'])} threshold probabilities" in benefit[0]


def test_the_plain_text_email_says_the_markdowns_decisions_sentences():
    """The email's text has the Markdown's KS, net benefit and expected cost lines (the
    least-cost threshold; multiclass, the cost-minimising decisions), word for word but
    for the Markdown's bold; a report with none of them has no Decisions heading."""
    from reportgen.report.email import build_message

    def plain(report):
        return build_message(report, "<html></html>").get_body(("plain",)).get_content().splitlines()

    def markdown_lines(evaluation):
        return [line.replace("**", "") for line in evaluation.to_markdown().splitlines()
                if line.startswith(("- **KS**", "- **Net benefit**", "- **Expected cost**"))]

    y, s = _binary(600, seed=21)
    binary = reportgen.evaluate_arrays(y, s, n_bootstrap=0, costs={"fp": 1, "fn": 5})
    report = binary.to_dict()
    text = plain(report)
    wanted = markdown_lines(binary)
    assert len(wanted) == 3 and text[text.index("Decisions") + 2:text.index("Decisions") + 5] == wanted
    best, spent = report["costs"]["best"], report["costs"]["at_threshold"]
    cost = next(line for line in text if line.startswith("- Expected cost"))
    assert cost.startswith(f"- Expected cost {spent['expected_cost']:.4g} per example at the threshold 0.5; "
                           f"least on the grid {best['expected_cost']:.4g} at {best['threshold']:.2f}")
    assert f"- KS {report['gains']['ks']['statistic']:.3f}" in "\n".join(text)
    html = build_message(report, "<html></html>").get_body(("html",)).get_content()
    assert all(f">{line[2:]}</p>" in html for line in wanted)  # the HTML body says the same

    rng = np.random.default_rng(24)
    y3 = rng.integers(0, 3, 500)
    names = ["ant", "bee", "cat"]
    matrix = {a: {b: 0 if a == b else 1 + i + j for j, b in enumerate(names)} for i, a in enumerate(names)}
    multi = reportgen.evaluate_arrays(np.array(names)[y3], softmax_scores(rng, y3, 3, 1.0), classes=names,
                                      n_bootstrap=0, costs=matrix)
    bayes = multi.to_dict()["costs"]["bayes"]
    text = plain(multi.to_dict())
    assert set(markdown_lines(multi)) <= set(text) and len(markdown_lines(multi)) == 3
    assert f"deciding each example by least expected cost: {bayes['expected_cost']:.4g} per example" in "\n".join(text)

    labels_only = reportgen.evaluate_arrays(y, y_pred=(s > 0.5).astype(int), n_bootstrap=0).to_dict()
    assert "Decisions" not in plain(labels_only)


def test_past_forty_classes_the_memory_engine_keeps_the_shown_classes_exact_as_duckdb_does(tmp_path):
    rng = np.random.default_rng(22)
    n, k = 3000, 45
    y = np.minimum(rng.zipf(1.3, n) - 1, k - 1)  # unequal supports: the 40 most common are shown
    p = softmax_scores(rng, y, k, 1.5)
    names = [f"c{j:02d}" for j in range(k)]
    labels = tmp_path / "labels.csv"
    scores = tmp_path / "scores.csv"
    pd.DataFrame({"id": range(n), "label": np.array(names)[y]}).to_csv(labels, index=False)
    pd.DataFrame({"id": range(n), **{c: p[:, j] for j, c in enumerate(names)}}).to_csv(scores, index=False)
    memory = _report("memory", labels, scores)
    duck = _report("duckdb", labels, scores)
    support = np.bincount(y, minlength=k)
    shown = sorted(np.argsort(-support, kind="stable")[:40].tolist())
    assert list(memory["gains"]["per_class"]) == [names[j] for j in shown]
    _same({key: memory[key] for key in ("gains", "net_benefit")}, {key: duck[key] for key in ("gains", "net_benefit")})
    j = shown[0]
    fpr, tpr, _ = roc_curve(y == j, p[:, j])
    assert memory["gains"]["per_class"][names[j]]["ks"]["statistic"] == pytest.approx(np.max(tpr - fpr), abs=1e-12)
    _brute_gains((y == j).astype(int), p[:, j], None, memory["gains"]["per_class"][names[j]]["bins"])


def test_editing_the_cost_matrix_recomputes_the_argmax_cost_in_the_page(chromium, tmp_path):
    from test_browser import _open

    rng = np.random.default_rng(23)
    y = rng.integers(0, 3, 400)
    p = softmax_scores(rng, y, 3, 1.0)
    matrix = np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]], dtype=float)
    evaluation = reportgen.evaluate_arrays(y, p, n_bootstrap=0,
                                           costs={str(a): {str(b): matrix[a, b] for b in range(3)} for a in range(3)})
    path = tmp_path / "m.html"
    evaluation.to_html(path)
    context, page, problems, _ = _open(chromium, path)
    confusion = confusion_matrix(y, p.argmax(axis=1))
    before = page.text_content("[data-cost-at]")
    assert float(before) == pytest.approx(np.sum(confusion * matrix) / len(y), rel=1e-3)
    assert confusion[2, 0] > 0  # the edited cell changes the cost
    page.fill('input[data-cost-actual="2"][data-cost-predicted="0"]', "10")
    matrix[2, 0] = 10
    assert float(page.text_content("[data-cost-at]")) == pytest.approx(np.sum(confusion * matrix) / len(y), rel=1e-3)
    assert problems == []
    context.close()


def test_spark_gives_the_same_gains_net_benefit_and_costs_with_a_baseline(spark_session):
    folder = _example("binary")[0].parent
    labels, scores, baseline = folder / "labels.csv", folder / "scores.csv", folder / "baseline_scores.csv"
    costs = {"fp": 1, "fn": 4}
    memory = _report("memory", labels, scores, baseline=baseline, costs=costs)
    sparked = _report("spark", labels, scores, baseline=baseline, costs=costs)
    keys = ("gains", "net_benefit", "costs")
    assert memory["net_benefit"]["baseline"] is not None
    _same({k: memory[k] for k in keys}, {k: sparked[k] for k in keys})
