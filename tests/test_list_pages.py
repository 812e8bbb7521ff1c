"""What the example lists show on the page: scores with at least two significant digits
(one rule in Python and in the page script), each list sorted by a column it shows and
saying so, the positive class's score in a binary report, no empty input column."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup

import reportgen
from conftest import softmax_scores
from reportgen.numbers import format_score
from reportgen.report.templating import template_folder

VALUES = [None, 0.0, 0.000312, -0.000312, 0.0095, 0.00996, 0.01, 0.0123, 0.5, 0.9999999, 1.0, 3.14159e-9, 2.5e-300]


def test_scores_keep_two_significant_digits():
    assert [format_score(v) for v in VALUES] == [
        "—", "0", "3.1e-4", "-3.1e-4", "9.5e-3", "1.0e-2", "0.010", "0.012", "0.500", "1.000", "1.000", "3.1e-9",
        "2.5e-300"]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_page_script_prints_scores_as_python_does():
    script = Path(template_folder(), "report.js").read_text("utf-8")
    body = re.search(r"  function formatScore\(x\) \{.*?\n  \}\n", script, re.S).group(0)
    values = [v for v in VALUES if v is not None] + list(np.random.default_rng(0).uniform(0, 0.02, 200))
    program = body + f"console.log(JSON.stringify({json.dumps(values)}.map(formatScore)));"
    done = subprocess.run(["node", "-e", program], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == [format_score(v) for v in values]


def _rows(soup: BeautifulSoup, heading: str) -> tuple[list[str], list[list[str]]]:
    """The header cells and the body rows' cells of the table after the <h3> ``heading``."""
    table = soup.find("h3", string=heading).find_next("table")
    header = [th.get_text() for th in table.thead.find_all("th")]
    return header, [[td.get_text() for td in tr.find_all("td")] for tr in table.tbody.find_all("tr")]


def _binary(seed: int = 3, n: int = 2000):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    logit = rng.normal(0.0, 1.5, n) + np.where(y == 1, 3.0, -3.0)
    new, old = 1.0 / (1.0 + np.exp(-logit)), 1.0 / (1.0 + np.exp(-(logit * 0.3 + rng.normal(0, 1, n))))
    flipped = rng.choice(n, n // 20, replace=False)
    y[flipped] = 1 - y[flipped]
    names = np.array(["legit", "fraud"], dtype=object)
    labels = pd.DataFrame({"id": [f"t{i}" for i in range(n)], "label": names[y]})
    scores = pd.DataFrame({"id": labels["id"], "fraud": new})
    baseline = pd.DataFrame({"id": labels["id"], "fraud": old})
    return labels, scores, baseline


def test_binary_lists_show_the_fraud_score_and_their_sort_column():
    labels, scores, baseline = _binary()
    evaluation = reportgen.evaluate(labels, scores, baseline=baseline, positive_class="fraud", n_bootstrap=0)
    report = evaluation.to_dict()
    soup = BeautifulSoup(evaluation.to_html(), "html.parser")
    fraud = dict(zip(scores["id"], scores["fraud"]))

    header, rows = _rows(soup, "Likely label errors")
    assert header == ["id", "given", "suggested", "p(given) ↑", "score (fraud)"]  # no empty input column
    issues = report["label_issues"]
    assert len(rows) == len(issues) > 0
    assert [r[0] for r in rows] == [i["id"] for i in issues]
    assert [r[3] for r in rows] == [format_score(i["self_confidence"]) for i in issues]
    assert [r[4] for r in rows] == [format_score(fraud[i["id"]]) for i in issues]
    own = [i["self_confidence"] for i in issues]
    assert own == sorted(own)  # the column it is sorted by, lowest first
    assert any("e-" in r[3] for r in rows)  # small scores keep their digits
    caption = soup.find("h3", string="Likely label errors").find_next("p").get_text()
    assert "Confident learning" in caption and "confident_learning" in caption
    assert "Sorted by p(given)" in caption and "lowest first" in caption
    assert report["label_issues_method"] == {"filter": "confident_learning",
                                             "thresholds": "mean_self_confidence_per_given_class",
                                             "rank_by": "self_confidence"}

    header, rows = _rows(soup, "Confident mistakes")
    assert header == ["id", "actual", "predicted", "p(predicted) ↓", "score (fraud)"]
    mistakes = report["confident_mistakes"]
    assert [r[3] for r in rows] == [format_score(m["score"]) for m in mistakes]
    assert [m["score"] for m in mistakes] == sorted((m["score"] for m in mistakes), reverse=True)
    assert [r[4] for r in rows] == [format_score(fraud[m["id"]]) for m in mistakes]

    header, rows = _rows(soup, "Broken examples")
    assert header == ["id", "actual", "now predicted", "p(predicted) ↓", "score (fraud)"]
    broken = report["churn"]["broken_examples"]
    assert [r[4] for r in rows] == [format_score(fraud[m["id"]]) for m in broken]


def test_many_classes_print_tiny_self_confidence_with_its_digits():
    rng = np.random.default_rng(2)
    n, k = 3000, 300
    y = rng.integers(0, k, n)
    scores = softmax_scores(rng, y, k, 7.0)
    given = y.copy()
    flipped = rng.choice(n, 60, replace=False)
    given[flipped] = (y[flipped] + 1) % k
    classes = [f"intent_{j}" for j in range(k)]
    evaluation = reportgen.evaluate_arrays(np.array(classes, dtype=object)[given], scores, classes=classes,
                                           n_bootstrap=0)
    report = evaluation.to_dict()
    soup = BeautifulSoup(evaluation.to_html(), "html.parser")
    _, rows = _rows(soup, "Likely label errors")
    shown = [r[3] for r in rows]
    assert "0.000" not in shown and all(re.fullmatch(r"\d\.\de-\d+|\d\.\d{3}", s) for s in shown)
    assert [float(s) for s in shown] == pytest.approx([i["self_confidence"] for i in report["label_issues"]], rel=0.06)
    details = soup.find(id="selection").find_all("details")
    counts = [int(re.search(r": (\d+) example", d.summary.get_text()).group(1)) for d in details]
    assert counts == sorted(counts, reverse=True)  # the cells with the most examples first
