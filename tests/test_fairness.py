"""Fairness: per-group rates and disparities against fairlearn, on every engine; intervals
that cover the population gap; small groups kept and marked; the gate on disparities."""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (MetricFrame, demographic_parity_difference, demographic_parity_ratio,
                               equalized_odds_difference, false_negative_rate, false_positive_rate, selection_rate,
                               true_positive_rate)
from sklearn.metrics import accuracy_score, precision_score, roc_auc_score

import reportgen
from conftest import run_reportgen
from reportgen.analysis.fairness import disparities, rates
from reportgen.errors import InputError
from reportgen.report.email import build_message
from reportgen.report.json import check
from reportgen.report.model_card import CardEntry, updated_card

TOL = 1e-9


def _data(n=2000, seed=1, weighted=False, small=0):
    """Binary labels and scores whose TPR and FPR depend on sex and band; ``small`` rows of
    a rare band "z" at the end."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], n)
    band = rng.choice(["a", "b", "c"], n, p=[0.5, 0.35, 0.15])
    if small:
        band[-small:] = "z"
    y = rng.integers(0, 2, n)
    score = np.clip(0.35 * y + 0.65 * rng.random(n) + 0.08 * (sex == "F") - 0.05 * (band == "c"), 0, 1)
    score = np.round(score, 3)  # ties, and scores at the threshold
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(n)], "label": np.where(y == 1, "yes", "no"),
                          "sex": sex, "band": band})
    if weighted:
        frame["w"] = rng.integers(1, 4, n).astype(float)
    scores = pd.DataFrame({"id": frame["id"], "yes": score})
    return frame, scores, y, score


def _write(tmp_path, frame, scores):
    labels, scored = tmp_path / "labels.csv", tmp_path / "scores.csv"
    frame.to_csv(labels, index=False)
    scores.to_csv(scored, index=False)
    return labels, scored


def _build(labels, scores, engine="memory", **options):
    options.setdefault("n_bootstrap", 200)
    return reportgen.evaluate_files(labels, scores, engine=engine, positive_class="yes", **options).to_dict()


def _check_against_fairlearn(report, frame, y, score, weight=None, columns=("sex", "band")):
    section = report["fairness"]
    assert section["class"] == "yes"
    pred = (score > 0.5).astype(int)
    metrics = {"selection_rate": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate,
               "fnr": false_negative_rate, "precision": precision_score, "accuracy": accuracy_score}
    for column in columns:
        props = {"sample_weight": weight} if weight is not None else {}
        frame_ = MetricFrame(metrics=metrics, y_true=y, y_pred=pred, sensitive_features=frame[column],
                             sample_params={k: props for k in metrics} if props else None)
        ours = {g["value"][0]: g for g in section["groups"] if g["by"] == [column]}
        assert set(ours) == set(frame_.by_group.index)
        for value, row in frame_.by_group.iterrows():
            for key in metrics:
                assert math.isclose(ours[value][key], row[key], abs_tol=TOL), (column, value, key)
            rows = (frame[column] == value).to_numpy()
            auc = roc_auc_score(y[rows], score[rows], sample_weight=None if weight is None else weight[rows])
            assert math.isclose(ours[value]["roc_auc"], auc, abs_tol=TOL)
        gap = next(d for d in section["disparities"] if d["by"] == [column])
        sw = {"sample_weight": weight} if weight is not None else {}
        expected = {
            "demographic_parity_difference": demographic_parity_difference(y, pred, sensitive_features=frame[column], **sw),
            "demographic_parity_ratio": demographic_parity_ratio(y, pred, sensitive_features=frame[column], **sw),
            "equalized_odds_difference": equalized_odds_difference(y, pred, sensitive_features=frame[column], **sw),
            "equal_opportunity_difference": frame_.difference()["tpr"],
            "predictive_parity_difference": frame_.difference()["precision"],
        }
        for key, value in expected.items():
            assert math.isclose(gap[key]["value"], value, abs_tol=TOL), (column, key)
            low, high = gap[key]["interval"]
            assert 0 <= low <= gap[key]["value"] <= high <= 1


def test_memory_engine_matches_fairlearn(tmp_path):
    frame, scores, y, score = _data()
    report = _build(*_write(tmp_path, frame, scores), group_by=["sex", "band"])
    _check_against_fairlearn(report, frame, y, score)
    check(report)


def test_weighted_rates_and_disparities_match_fairlearn_sample_weight(tmp_path):
    frame, scores, y, score = _data(weighted=True)
    report = _build(*_write(tmp_path, frame, scores), group_by=["sex", "band"], weight_column="w")
    _check_against_fairlearn(report, frame, y, score, weight=frame["w"].to_numpy())
    assert all("weight" in g for g in report["fairness"]["groups"])


def test_duckdb_engine_matches_fairlearn_and_memory(tmp_path):
    frame, scores, y, score = _data()
    labels, scored = _write(tmp_path, frame, scores)
    duck = _build(labels, scored, "duckdb", group_by=["sex", "band", "sex,band"])
    _check_against_fairlearn(duck, frame, y, score)
    memory = _build(labels, scored, group_by=["sex", "band", "sex,band"])
    assert json.dumps(duck["fairness"], sort_keys=True) == json.dumps(memory["fairness"], sort_keys=True)


def test_spark_engine_matches_fairlearn_and_memory(tmp_path):
    frame, scores, y, score = _data(n=600)
    labels, scored = _write(tmp_path, frame, scores)
    spark = _build(labels, scored, "spark", group_by=["sex", "band"], n_bootstrap=50)
    _check_against_fairlearn(spark, frame, y, score)
    memory = _build(labels, scored, group_by=["sex", "band"], n_bootstrap=50)
    assert json.dumps(spark["fairness"], sort_keys=True) == json.dumps(memory["fairness"], sort_keys=True)


def test_crossed_groups_and_metadata_file(tmp_path):
    frame, scores, y, score = _data()
    meta = tmp_path / "meta.csv"
    frame[["id", "sex", "band"]].to_csv(meta, index=False)
    labels, scored = _write(tmp_path, frame[["id", "label"]], scores)
    report = _build(labels, scored, metadata=str(meta), group_by=["sex,band"])
    groups = report["fairness"]["groups"]
    assert len(groups) == 6 and all(g["by"] == ["sex", "band"] for g in groups)
    pred = score > 0.5
    for g in groups:
        rows = ((frame["sex"] == g["value"][0]) & (frame["band"] == g["value"][1])).to_numpy()
        assert g["n_examples"] == rows.sum()
        assert math.isclose(g["selection_rate"], pred[rows].mean(), abs_tol=TOL)


def test_group_of_five_is_kept_marked_and_left_out_of_the_gaps(tmp_path):
    frame, scores, y, score = _data(small=5)
    report = _build(*_write(tmp_path, frame, scores), group_by=["band"])
    section = report["fairness"]
    rare = next(g for g in section["groups"] if g["value"] == ["z"])
    assert rare["n_examples"] == 5 and rare["small"] is True
    assert all(not g["small"] for g in section["groups"] if g["value"] != ["z"])
    gap = section["disparities"][0]
    assert gap["groups_compared"] == 3 and gap["groups_too_small"] == 1
    sized = frame["band"] != "z"
    expected = demographic_parity_difference(y[sized], score[sized] > 0.5, sensitive_features=frame["band"][sized])
    assert math.isclose(gap["demographic_parity_difference"]["value"], expected, abs_tol=TOL)
    # with every group compared, fairlearn's own number
    every = _build(*_write(tmp_path, frame, scores), group_by=["band"], min_group_size=1, n_bootstrap=0)
    assert math.isclose(every["fairness"]["disparities"][0]["demographic_parity_difference"]["value"],
                        demographic_parity_difference(y, score > 0.5, sensitive_features=frame["band"]), abs_tol=TOL)


def test_multiclass_one_class_and_every_class(tmp_path):
    rng = np.random.default_rng(3)
    n = 900
    y = rng.integers(0, 3, n)
    raw = rng.random((n, 3)) + np.eye(3)[y] * 0.6
    prob = raw / raw.sum(axis=1, keepdims=True)
    group = rng.choice(["u", "v"], n)
    frame = pd.DataFrame({"id": [str(i) for i in range(n)], "label": np.array(["a", "b", "c"])[y], "g": group})
    scores = pd.DataFrame({"id": frame["id"], "a": prob[:, 0], "b": prob[:, 1], "c": prob[:, 2]})
    labels, scored = _write(tmp_path, frame, scores)
    one = reportgen.evaluate_files(labels, scored, group_by=["g"], fairness_class="b", n_bootstrap=0).to_dict()
    assert one["fairness"]["class"] == "b"
    truth, pred = (y == 1).astype(int), (prob[:, 1] > 0.5).astype(int)
    expected = equalized_odds_difference(truth, pred, sensitive_features=group)
    assert math.isclose(one["fairness"]["disparities"][0]["equalized_odds_difference"]["value"], expected, abs_tol=TOL)
    every = reportgen.evaluate_files(labels, scored, group_by=["g"], n_bootstrap=0).to_dict()["fairness"]
    assert every["class"] is None and set(every["per_class"]) == {"a", "b", "c"}
    check(reportgen.evaluate_files(labels, scored, group_by=["g"], n_bootstrap=0).to_dict())
    assert every["per_class"]["b"]["disparities"] == one["fairness"]["disparities"]
    with pytest.raises(InputError, match="--fairness-class 'zz' is not a class"):
        reportgen.evaluate_files(labels, scored, group_by=["g"], fairness_class="zz", n_bootstrap=0)


def test_column_of_too_many_values_is_refused_in_one_line(tmp_path):
    frame, scores, _, _ = _data(n=1500)
    frame["who"] = frame["id"]
    labels, scored = _write(tmp_path, frame, scores)
    with pytest.raises(InputError, match="group-by column has at least 1,500 distinct values; at most 1,000"):
        _build(labels, scored, group_by=["who"], n_bootstrap=0)
    with pytest.raises(InputError, match="column 'nope'"):
        _build(labels, scored, group_by=["nope"], n_bootstrap=0)


def test_rates_and_disparities_formulas_edge_cases():
    counts = np.array([[5.0, 0.0, 0.0, 5.0], [0.0, 0.0, 0.0, 10.0]])  # second group: no positives, none selected
    found = rates(counts)
    assert found["tpr"][0] == 1.0 and np.isnan(found["tpr"][1]) and np.isnan(found["precision"][1])
    gaps = disparities(found)
    assert gaps["demographic_parity_difference"] == 0.5 and gaps["demographic_parity_ratio"] == 0.0
    assert np.isnan(gaps["equal_opportunity_difference"])  # one group has no positives: no TPR gap


def test_intervals_cover_the_population_gap_at_about_the_stated_rate():
    """Simulated populations with a known TPR/FPR gap: the 95% intervals of the equalized
    odds and demographic parity differences hold the population values in most runs
    (a few seconds here; benchmarks/fairness_coverage.py runs more)."""
    rng = np.random.default_rng(11)
    n, runs = 1000, 24
    tpr, fpr, base = {"p": 0.80, "q": 0.65}, {"p": 0.20, "q": 0.28}, 0.4
    true_eod = max(abs(tpr["p"] - tpr["q"]), abs(fpr["p"] - fpr["q"]))
    sel = {g: base * tpr[g] + (1 - base) * fpr[g] for g in tpr}
    true_dpd = abs(sel["p"] - sel["q"])
    held = {"eod": 0, "dpd": 0}
    for _ in range(runs):
        group = rng.choice(["p", "q"], n)
        y = (rng.random(n) < base).astype(int)
        rate = np.where(y == 1, np.vectorize(tpr.get)(group), np.vectorize(fpr.get)(group))
        said = rng.random(n) < rate
        score = np.where(said, 0.75, 0.25)
        ev = reportgen.evaluate(pd.DataFrame({"id": [str(i) for i in range(n)], "label": y.astype(str), "g": group,
                                              "1": score}), positive_class="1", group_by=["g"],
                                n_bootstrap=200, seed=int(rng.integers(1 << 30)), label_column="label",
                                score_columns=("1",))
        gap = ev.to_dict()["fairness"]["disparities"][0]
        low, high = gap["equalized_odds_difference"]["interval"]
        held["eod"] += low <= true_eod <= high
        low, high = gap["demographic_parity_difference"]["interval"]
        held["dpd"] += low <= true_dpd <= high
    assert held["eod"] >= 0.8 * runs and held["dpd"] >= 0.8 * runs, held


def test_gate_reads_disparities(tmp_path):
    frame, scores, _, _ = _data()
    labels, scored = _write(tmp_path, frame, scores)
    out = tmp_path / "m.json"
    done = run_reportgen("build", "--labels", labels, "--scores", scored, "--positive-class", "yes",
                         "--group-by", "sex", "--group-by", "band", "--no-bootstrap", "--out", tmp_path / "r.html",
                         "--metrics-json", out)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    worst = max(d["equalized_odds_difference"]["value"] for d in report["fairness"]["disparities"])
    done = run_reportgen("check", out, "--max", f"equalized_odds_difference={worst + 0.01}")
    assert done.returncode == 0, done.stdout + done.stderr
    done = run_reportgen("check", out, "--max", f"equalized_odds_difference={worst - 0.01}")
    assert done.returncode == 1 and "equalized_odds_difference" in done.stdout + done.stderr
    done = run_reportgen("check", out, "--min", "demographic_parity_ratio=0.99")
    assert done.returncode == 1 and "demographic_parity_ratio" in done.stdout + done.stderr


def test_markdown_email_and_model_card_carry_the_disparities(tmp_path):
    frame, scores, _, _ = _data(small=5)
    labels, scored = _write(tmp_path, frame, scores)
    ev = reportgen.evaluate_files(labels, scored, positive_class="yes", group_by=["band"], n_bootstrap=50)
    report = ev.to_dict()
    gap = report["fairness"]["disparities"][0]["equalized_odds_difference"]
    text = ev.to_markdown()
    assert (f"Fairness of yes at threshold 0.5 across band (3 groups): equalized odds difference {gap['value']:.3f} "
            f"(95% {gap['interval'][0]:.3f} to {gap['interval'][1]:.3f})") in text
    assert "1 group under 30 examples left out (band=z: 5)" in text
    message = build_message(report, "<html></html>")
    plain = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_content()
    assert "\nFairness\n--------\n- Fairness of yes at threshold 0.5 across band" in plain
    card = updated_card(None, CardEntry.of(report, model="m", dataset="d", url="https://example.org/r.html"))
    assert '- type: "equalized_odds_difference"' in card
    assert f"value: {gap['value']!r}" in card and '"Equalized odds difference across band (yes)"' in card
    plain_card = updated_card(None, CardEntry.of(reportgen.evaluate_files(labels, scored, positive_class="yes",
                                                                          n_bootstrap=0).to_dict(),
                                                 model="m", dataset="d", url="https://example.org/r.html"))
    assert "equalized_odds_difference" not in plain_card


def test_the_models_own_labels_decide_when_given(tmp_path):
    """With scores and hard-label predictions, the rates are of the predictions (here not
    score > 0.5), and the slider has no grid to recount them from."""
    frame, scores, y, score = _data()
    labels, scored = _write(tmp_path, frame, scores)
    pred = score > 0.3
    predictions = tmp_path / "pred.csv"
    pd.DataFrame({"id": frame["id"], "predicted": np.where(pred, "yes", "no")}).to_csv(predictions, index=False)
    for scores_file in (scored, None):
        report = reportgen.evaluate_files(labels, scores_file, predictions=predictions, positive_class="yes",
                                          group_by=["sex"], n_bootstrap=50).to_dict()["fairness"]
        assert report["decisions"] == "model labels"
        gap = report["disparities"][0]
        assert math.isclose(gap["equalized_odds_difference"]["value"],
                            equalized_odds_difference(y, pred, sensitive_features=frame["sex"]), abs_tol=TOL)
        assert "equalize" not in gap and all("grid" not in g for g in report["groups"])
        assert math.isclose(report["overall"]["selection_rate"], pred.mean(), abs_tol=TOL)


def test_every_class_at_once_equals_each_class_named(tmp_path):
    rng = np.random.default_rng(8)
    n = 700
    y = rng.integers(0, 3, n)
    raw = rng.random((n, 3)) + np.eye(3)[y] * 0.5
    prob = np.round(raw / raw.sum(axis=1, keepdims=True), 3)
    frame = pd.DataFrame({"id": [str(i) for i in range(n)], "label": np.array(["a", "b", "c"])[y],
                          "g": rng.choice(["u", "v", "w"], n)})
    scores = pd.DataFrame({"id": frame["id"], "a": prob[:, 0], "b": prob[:, 1], "c": prob[:, 2]})
    labels, scored = _write(tmp_path, frame, scores)
    every = reportgen.evaluate_files(labels, scored, group_by=["g"], n_bootstrap=100).to_dict()["fairness"]
    for name in ("a", "c"):
        one = reportgen.evaluate_files(labels, scored, group_by=["g"], fairness_class=name,
                                       n_bootstrap=100).to_dict()["fairness"]
        assert json.dumps(every["per_class"][name], sort_keys=True) == json.dumps(
            {k: one[k] for k in ("overall", "groups", "disparities")}, sort_keys=True)


def test_gate_judges_disparities_on_their_intervals(tmp_path):
    """Under --confidence a disparity rule is judged on each column's interval: a bound
    inside the worst column's interval (above its value) is inconclusive, failing unless
    --inconclusive pass; a bound past the whole interval passes; one below the value fails."""
    frame, scores, _, _ = _data()
    labels, scored = _write(tmp_path, frame, scores)
    out = tmp_path / "m.json"
    done = run_reportgen("build", "--labels", labels, "--scores", scored, "--positive-class", "yes",
                         "--group-by", "sex", "--group-by", "band", "--bootstrap", "200", "--out",
                         tmp_path / "r.html", "--metrics-json", out)
    assert done.returncode == 0, done.stderr
    gaps = [d["equalized_odds_difference"] for d in json.loads(out.read_text())["fairness"]["disparities"]]
    worst = max(gaps, key=lambda g: g["value"])
    low, high = worst["interval"]
    assert low <= worst["value"] < high
    inside = (worst["value"] + high) / 2
    rule = f"equalized_odds_difference={inside}"
    done = run_reportgen("check", out, "--max", rule, "--confidence", "0.95")
    assert done.returncode == 1 and "INCONCLUSIVE" in done.stdout + done.stderr, done.stdout + done.stderr
    assert "more labelled examples" in done.stdout + done.stderr
    assert run_reportgen("check", out, "--max", rule, "--confidence", "0.95", "--inconclusive", "pass").returncode == 0
    assert run_reportgen("check", out, "--max", rule).returncode == 0  # on the estimate alone it holds
    above = max(g["interval"][1] for g in gaps) + 0.01
    assert run_reportgen("check", out, "--max", f"equalized_odds_difference={above}", "--confidence",
                         "0.95").returncode == 0
    below = worst["value"] - 0.001
    done = run_reportgen("check", out, "--max", f"equalized_odds_difference={below}", "--confidence", "0.95",
                         "--inconclusive", "pass")
    assert done.returncode == 1 and "FAIL" in done.stdout + done.stderr


def test_schema_names_the_interval_each_fairness_number_takes():
    """The disparities' intervals are percentile intervals (analysis/fairness.py passes
    smooth=False), the groups' rates BCa: the schema must not call them all BCa."""
    schema = json.loads((Path(reportgen.__file__).parent / "report" / "schema.json").read_text())
    text = schema["properties"]["fairness"]["description"]
    assert "each interval is the BCa interval" not in text
    assert "disparity" in text and "percentile interval" in text
    assert "rates take the report's BCa interval" in text


def test_without_scripts_the_fairness_and_cost_sections_claim_nothing_only_scripts_do(tmp_path):
    """The slider, the cost table's editing and the equalize chooser are the page script's:
    every sentence about them is hidden until it runs, and the static text still names the
    intervals."""
    from bs4 import BeautifulSoup

    frame, scores, _, _ = _data(n=600, small=5)
    evaluation = reportgen.evaluate_files(*_write(tmp_path, frame, scores), positive_class="yes",
                                          group_by=["band"], costs={"fp": 1, "fn": 3}, n_bootstrap=100)
    path = tmp_path / "r.html"
    evaluation.to_html(path)
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    for section in ("#fairness", "#costs"):
        for tag in soup.select_one(section).find_all(string=re.compile(r"slider|[Ee]dit|hides|[Ff]ollow")):
            hidden = any(p.name == "noscript" or (p.has_attr("data-needs-script") and p.has_attr("hidden"))
                         for p in tag.parents)
            assert hidden, str(tag)[:120]
    assert soup.select_one("#fairness-equalize").find_parent("p").has_attr("data-needs-script")
    static = soup.select_one("#fairness > p").find("noscript")
    assert static is not None and "Intervals: 95%, bootstrap, 100 resamples." in static.text


def test_gate_judges_disparities_on_their_intervals_with_confidence(tmp_path):
    """``check --confidence`` reads each disparity's own interval: PASS only when the whole
    interval of every column keeps the bound, FAIL when an estimate breaks it, else
    INCONCLUSIVE (it used to stop at 'unknown metric')."""
    from reportgen.gate import Rule, outcomes

    frame, scores, _, _ = _data(n=1500)
    report = _build(*_write(tmp_path, frame, scores), group_by=["sex", "band"], n_bootstrap=200)
    gaps = report["fairness"]["disparities"]
    values = [d["equalized_odds_difference"]["value"] for d in gaps]
    highs = [d["equalized_odds_difference"]["interval"][1] for d in gaps]
    lows = [d["demographic_parity_ratio"]["interval"][0] for d in gaps]

    def verdict(kind, metric, limit):
        (out,) = outcomes(report, [Rule(kind, metric, limit)], "m.json", confidence=0.95)
        return out.verdict, out.text

    assert verdict("max", "equalized_odds_difference", max(highs) + 0.01)[0] == "pass"
    assert verdict("max", "equalized_odds_difference", max(values) - 0.001)[0] == "fail"
    between, text = verdict("max", "equalized_odds_difference", (max(values) + max(highs)) / 2)
    assert between == "inconclusive" and "interval of equalized odds difference across" in text
    assert verdict("min", "demographic_parity_ratio", min(lows) - 0.01)[0] == "pass"
    assert verdict("min", "demographic_parity_ratio", 0.9999)[0] == "fail"


def test_label_only_rates_note_says_roc_auc_needs_scores(tmp_path):
    """A model that gave labels only has no ROC AUC in any group: the note says why, not
    that every group lacks the examples the rate divides by."""
    from bs4 import BeautifulSoup

    frame, scores, _, score = _data(n=400)
    predictions = pd.DataFrame({"id": frame["id"], "predicted": np.where(score > 0.5, "yes", "no")})
    labels, _ = _write(tmp_path, frame, scores)
    predicted = tmp_path / "predicted.csv"
    predictions.to_csv(predicted, index=False)
    evaluation = reportgen.evaluate_files(labels, predictions=predicted, positive_class="yes",
                                          group_by=["band"], n_bootstrap=0)
    path = tmp_path / "r.html"
    evaluation.to_html(path)
    note = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").select_one("#fairness").text
    assert "ROC AUC needs scores, which the model did not give" in note
    assert "ROC AUC does not depend on the threshold" not in note
