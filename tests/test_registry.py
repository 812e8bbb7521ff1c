"""The metric registry: every summary key is described once, and the views read it."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import reportgen
from conftest import softmax_scores
from reportgen import registry
from reportgen.report import page


@pytest.fixture(scope="module")
def multiclass_report():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 6, 200)
    scores = softmax_scores(rng, y, 6, 1.5)
    names = [f"c{j}" for j in range(6)]
    labels = pd.DataFrame({"id": np.arange(200), "label": np.array(names)[y]})
    table = pd.DataFrame({"id": np.arange(200), **{n: scores[:, j] for j, n in enumerate(names)}})
    return reportgen.evaluate(labels, table, n_bootstrap=0).to_dict()


@pytest.fixture(scope="module")
def multilabel_report():
    rng = np.random.default_rng(4)
    truth = rng.random((100, 3)) < 0.4
    scores = np.clip(truth * 0.5 + rng.random((100, 3)) * 0.5, 0, 1)
    labels = pd.DataFrame({"id": np.arange(100),
                           "labels": ["|".join(n for n, t in zip("abc", row) if t) for row in truth]})
    table = pd.DataFrame({"id": np.arange(100), **{n: scores[:, j] for j, n in enumerate("abc")}})
    return reportgen.evaluate(labels, table, n_bootstrap=0, multilabel=True).to_dict()


def _summary_keys(summary: dict) -> set[str]:
    keys = set()
    for key, value in summary.items():
        keys |= {f"{key}.{k}" for k in value} if isinstance(value, dict) else {key}
    return keys


def test_every_summary_metric_is_registered(multiclass_report, multilabel_report):
    for report in (multiclass_report, multilabel_report):
        missing = _summary_keys(report["summary"]) - set(registry.METRICS)
        assert not missing


def test_entries_are_consistent():
    for key, entry in registry.METRICS.items():
        assert entry.key == key
        assert entry.format in registry.FORMATS
        assert entry.label and entry.help.endswith(".")
        if entry.format == "loss":
            assert not entry.higher_is_better


def test_directions_and_fallbacks():
    assert registry.lower_is_better("log_loss") and registry.lower_is_better("hamming_loss")
    assert not registry.lower_is_better("macro_f1")
    assert registry.improvement("log_loss", -0.1) is True
    assert registry.improvement("accuracy", -0.1) is False
    assert registry.improvement("accuracy", 0.0) is None
    assert registry.label("no_such_metric") == "no_such_metric"
    assert registry.label("top_k_accuracy.3") == "Top-3 accuracy"


@pytest.mark.parametrize(("key", "value", "text"), [
    ("accuracy", 0.91234, "0.912"), ("log_loss", 1.5, "1.500"), ("n_tokens", 12345.0, "12,345"),
    ("mcc", -0.25, "−0.250"), ("accuracy", None, "—"),
])
def test_format_value(key, value, text):
    assert registry.format_value(key, value) == text


def test_format_delta():
    assert registry.format_delta("accuracy", 0.0123) == "+1.2 pts"
    assert registry.format_delta("log_loss", -0.05) == "−0.050"


def test_page_tiles_read_the_registry(multiclass_report):
    tiles = page.headline_tiles(multiclass_report)
    assert [t["key"] for t in tiles] == list(page.TILES["multiclass"])
    for t in tiles:
        entry = registry.METRICS[t["key"]]
        assert (t["label"], t["help"], t["lower_better"]) == (entry.label, entry.help, not entry.higher_is_better)
