"""Model cards, read back with huggingface_hub's own parser: every value, other
front-matter keys and the body kept byte for byte, one entry however often it runs."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from huggingface_hub import ModelCard, metadata_load
from huggingface_hub.repocard_data import model_index_to_eval_results

import reportgen
from conftest import run_reportgen, softmax_scores, write_frame
from reportgen.errors import InputError
from reportgen.report.model_card import CARD_METRICS, CardEntry, updated_card

MODEL = 'my: "model" # v2 — é'
DATASET = "org/reviews: 2024"

EXISTING_FRONT = """license: apache-2.0
# a comment the owner keeps
tags:
  - text-classification   # trailing comment
  - reviews
language: [en, fr]
model-index:
- name: other-model
  results:
  - task: {type: text-classification}
    dataset: {type: imdb, name: IMDb}
    metrics:
    - {type: accuracy, value: 0.5}
- name: 'my: "model" # v2 — é'
  results:
    - task:
        type: text-classification
      dataset:
        type: imdb
        name: IMDb
        split: test
      metrics:
        - type: accuracy
          value: 0.77
          name: hand-written accuracy

widget:
- text: "I loved it"
"""
BODY = "\n# My model\n\nSome text | with a table\n\n---\n\nA rule above, not front matter.\n"


@pytest.fixture(scope="module")
def report():
    rng = np.random.default_rng(9)
    y = rng.integers(0, 3, 200)
    scores = softmax_scores(rng, y, 3, 1.5)
    labels = pd.DataFrame({"id": np.arange(200), "label": np.array(["neg", "neu", "pos"])[y]})
    table = pd.DataFrame({"id": np.arange(200), **{n: scores[:, j] for j, n in enumerate(["neg", "neu", "pos"])}})
    return reportgen.evaluate(labels, table, n_bootstrap=0).to_dict()


def _entry(report, **kw):
    return CardEntry.of(report, model=MODEL, dataset=DATASET, split="test", task="text-classification",
                        url="https://example.org/r.html", **kw)


def test_without_a_model_or_dataset_is_an_input_error(report):
    for model, dataset in ((None, "d"), ("m", None), ("", "d")):
        with pytest.raises(InputError, match="--model"):
            CardEntry.of(report, model=model, dataset=dataset, url="r.html")


def _ours(path: Path):
    name_results = [model_index_to_eval_results([m]) for m in metadata_load(path)["model-index"]]
    return [(name, r) for name, results in name_results for r in results if r.source_name == "reportgen"]


def _check_values(path: Path, report) -> None:
    ((name, first), *rest) = ours = _ours(path)
    assert name == MODEL
    got = {(r.metric_type, r.metric_name): r for _, r in ours}
    expected = {(kind, label) for (key, kind, _), label in zip(CARD_METRICS, [e[1] for e in _entry(report).metrics])}
    assert set(got) == expected
    for key, kind, args in CARD_METRICS:
        result = next(r for (t, _), r in got.items() if t == kind)
        value = report["summary"][key]
        assert result.metric_value == value  # exactly: the float round-trips
        assert result.metric_args == args
        assert (result.task_type, result.task_name) == ("text-classification", "Text Classification")
        assert (result.dataset_type, result.dataset_name, result.dataset_split) == (DATASET, DATASET, "test")
        assert result.source_url == "https://example.org/r.html"


def test_a_new_card(tmp_path, report):
    path = tmp_path / "README.md"
    path.write_text(updated_card(None, _entry(report)), "utf-8")
    _check_values(path, report)
    card = ModelCard.load(path)
    assert card.data.eval_results and card.data.model_name == MODEL


def test_an_existing_card_keeps_every_other_line(tmp_path, report):
    original = f"---\n{EXISTING_FRONT}---\n{BODY}"
    text = updated_card(original, _entry(report))
    path = tmp_path / "README.md"
    path.write_text(text, "utf-8")
    _check_values(path, report)
    # every original line is still there, in order; only reportgen's lines were added
    lines, new = original.splitlines(keepends=True), text.splitlines(keepends=True)
    at = 0
    for line in lines:
        at = new.index(line, at) + 1
    assert text.endswith("---\n" + BODY)
    data = metadata_load(path)
    assert data["license"] == "apache-2.0" and data["tags"] == ["text-classification", "reviews"]
    assert data["widget"] == [{"text": "I loved it"}]
    names = [m["name"] for m in data["model-index"]]
    assert names == ["other-model", MODEL]
    hand = [r for r in data["model-index"][1]["results"] if "source" not in r]
    assert hand[0]["metrics"][0] == {"type": "accuracy", "value": 0.77, "name": "hand-written accuracy"}
    assert ModelCard.load(path).text == BODY


def test_running_twice_leaves_one_entry(tmp_path, report):
    original = f"---\n{EXISTING_FRONT}---\n{BODY}"
    once = updated_card(original, _entry(report))
    assert updated_card(once, _entry(report)) == once
    changed = dict(report, summary={**report["summary"], "accuracy": 0.123456789})
    twice = updated_card(once, _entry(changed))
    path = tmp_path / "README.md"
    path.write_text(twice, "utf-8")
    assert len({r.metric_type for _, r in _ours(path)}) == len(_ours(path)) == len(CARD_METRICS)
    assert next(r for _, r in _ours(path) if r.metric_type == "accuracy").metric_value == 0.123456789
    diff = [(a, b) for a, b in zip(once.splitlines(), twice.splitlines()) if a != b]
    assert len(once.splitlines()) == len(twice.splitlines()) and len(diff) == 1
    # another split is another entry, beside the first
    other = updated_card(twice, CardEntry.of(report, model=MODEL, dataset=DATASET, split="validation", url="v.html"))
    path.write_text(other, "utf-8")
    assert sorted({r.dataset_split for _, r in _ours(path)}) == ["test", "validation"]


def test_a_card_without_front_matter_and_with_crlf(tmp_path, report):
    body = "# Title\r\n\r\nText.\r\n"
    text = updated_card(body, _entry(report))
    assert text.endswith("---\r\n" + body) and "\n" not in text.replace("\r\n", "")
    path = tmp_path / "README.md"
    path.write_bytes(text.encode("utf-8"))
    _check_values(path, report)
    front_only = "---\r\nlicense: mit\r\n---\r\n" + body
    updated = updated_card(front_only, _entry(report))
    assert updated.startswith("---\r\nlicense: mit\r\n") and updated.endswith("---\r\n" + body)
    path.write_bytes(updated.encode("utf-8"))
    _check_values(path, report)


def test_a_byte_order_mark_stays_first(tmp_path, report):
    text = updated_card("\ufeff---\nlicense: mit\n---\nbody\n", _entry(report))
    assert text.startswith("\ufeff---\nlicense: mit\nmodel-index:\n") and text.endswith("---\nbody\n")
    path = tmp_path / "README.md"
    path.write_text(text, "utf-8")
    _check_values(path, report)
    assert metadata_load(path)["license"] == "mit"


def test_tiny_and_whole_floats_read_back_as_floats(tmp_path, report):
    odd = dict(report, summary={**report["summary"], "log_loss": 1e-05, "accuracy": 1.0, "macro_f1": 3.3e-300})
    path = tmp_path / "README.md"
    path.write_text(updated_card(None, _entry(odd)), "utf-8")
    values = {r.metric_type: r.metric_value for _, r in _ours(path)}
    assert values["log_loss"] == 1e-05 and values["accuracy"] == 1.0 and values["f1"] == 3.3e-300
    assert all(isinstance(v, float) for v in values.values())


def test_null_metrics_are_left_out(report):
    label_only = dict(report, summary={**report["summary"], "roc_auc_macro": None, "log_loss": None})
    kinds = [m[0] for m in _entry(label_only).metrics]
    assert kinds == ["accuracy", "f1", "precision", "recall"]


@pytest.mark.parametrize("front", ["model-index: []\n", "model-index:\n- name: x\n  results: []\n", "- a list\n",
                                   "a: [unclosed\n"])
def test_front_matter_it_cannot_edit_is_an_input_error(report, front):
    entry = CardEntry.of(report, model="x", dataset="d", url="r.html")
    with pytest.raises(InputError):
        updated_card(f"---\n{front}---\nbody\n", entry)


def test_the_command_line(tmp_path):
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 200)
    scores = softmax_scores(rng, y, 2, 2.0)
    labels = write_frame(pd.DataFrame({"id": np.arange(200), "label": np.array(["ham", "spam"])[y]}), tmp_path / "l.csv")
    table = write_frame(pd.DataFrame({"id": np.arange(200), "spam": scores[:, 1]}), tmp_path / "s.csv")
    card = tmp_path / "README.md"
    card.write_text("---\nlicense: mit\n---\nHello\n", "utf-8")
    common = ["build", "--labels", labels, "--scores", table, "--out", tmp_path / "r.html", "--metrics-json",
              tmp_path / "m.json", "--no-bootstrap", "--model-card", card, "-q"]
    result = run_reportgen(*common, "--model", "spam-v1", "--dataset", "mails", "--dataset-split", "test",
                           "--hf-task", "text-classification")
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "m.json").read_text("utf-8"))
    name, results = model_index_to_eval_results(metadata_load(card)["model-index"])
    assert name == "spam-v1" and {r.source_url for r in results} == {"r.html"}  # the page, beside the card
    assert {r.metric_type: r.metric_value for r in results} == {
        kind: report["summary"][key] for key, kind, _ in CARD_METRICS if report["summary"][key] is not None}
    assert card.read_text("utf-8").startswith("---\nlicense: mit\n") and card.read_text("utf-8").endswith("---\nHello\n")
    before = card.read_bytes()
    result = run_reportgen(*common, "--dataset", "mails")  # no --model: one clear line, card untouched
    assert result.returncode == 2 and "--model" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert card.read_bytes() == before
