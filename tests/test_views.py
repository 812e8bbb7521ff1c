"""Cross-validation splits, training history and generative metrics."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score

import reportgen
from reportgen.pipeline import read_history
from reportgen.errors import InputError
from reportgen.generative import evaluate_tokens

TOL = 1e-9


def test_split_metrics_equal_scikit_learn_per_split():
    rng = np.random.default_rng(0)
    n, k = 900, 3
    y = rng.integers(0, k, n)
    scores = rng.dirichlet(np.ones(k), n)
    scores[np.arange(n), y] += 0.5
    scores /= scores.sum(axis=1, keepdims=True)
    fold = rng.integers(1, 11, n)  # folds 1..10: numeric order, not text order
    labels = pd.DataFrame({"id": range(n), "label": [f"k{v}" for v in y], "fold": fold})
    table = pd.DataFrame({"id": range(n), **{f"k{j}": scores[:, j] for j in range(k)}})
    report = reportgen.evaluate(labels, table, split_column="fold", n_bootstrap=0).to_dict()
    splits = report["splits"]
    assert splits["names"] == [str(i) for i in range(1, 11)]
    accuracies, aucs = [], []
    for name in splits["names"]:
        rows = fold == int(name)
        got = splits["per_split"][name]
        assert got["n_examples"] == rows.sum()
        pred = scores[rows].argmax(axis=1)
        assert got["summary"]["accuracy"] == pytest.approx(accuracy_score(y[rows], pred), abs=TOL)
        assert got["summary"]["macro_f1"] == pytest.approx(
            f1_score(y[rows], pred, average="macro", labels=range(k), zero_division=0), abs=TOL)
        auc = roc_auc_score(y[rows], scores[rows], multi_class="ovr", labels=range(k))
        assert got["summary"]["roc_auc_macro"] == pytest.approx(auc, abs=TOL)
        assert got["summary"]["log_loss"] == pytest.approx(log_loss(y[rows], scores[rows], labels=range(k)), abs=TOL)
        accuracies.append(accuracy_score(y[rows], pred))
        aucs.append(auc)
    assert splits["mean"]["accuracy"] == pytest.approx(np.mean(accuracies), abs=TOL)
    assert splits["std"]["accuracy"] == pytest.approx(np.std(accuracies), abs=TOL)
    assert splits["mean"]["roc_auc_macro"] == pytest.approx(np.mean(aucs), abs=TOL)
    assert report["summary"]["accuracy"] == pytest.approx(accuracy_score(y, scores.argmax(1)), abs=TOL)


def test_missing_split_column_is_a_clear_error():
    labels = pd.DataFrame({"id": [1, 2], "label": ["a", "b"]})
    table = pd.DataFrame({"id": [1, 2], "a": [0.4, 0.3], "b": [0.6, 0.7]})
    with pytest.raises(InputError, match="no split column 'fold'"):
        reportgen.evaluate(labels, table, split_column="fold")


def _history(path, val_loss):
    steps = np.arange(1, len(val_loss) + 1)
    train_loss = 2.0 * np.exp(-steps / 6.0) + 0.05
    rows = [{"epoch": s, "split": "train", "loss": t, "accuracy": 1 - t / 3} for s, t in zip(steps, train_loss)]
    rows += [{"epoch": s, "split": "validation", "loss": v, "accuracy": 1 - v / 3} for s, v in zip(steps, val_loss)]
    pd.DataFrame(rows).to_csv(path, index=False)
    return read_history(str(path))


def test_overfitting_is_detected_where_it_starts(tmp_path):
    steps = np.arange(1, 25)
    val = np.where(steps <= 12, 2.0 * np.exp(-steps / 6.0) + 0.3, 2.0 * np.exp(-2.0) + 0.3 + 0.04 * (steps - 12))
    history = _history(tmp_path / "h.csv", val)
    assert history["overfitting"]["detected"] is True
    assert history["overfitting"]["start_step"] == 12
    assert history["best_step"] == 12 and history["best_metric"] == "loss"
    assert history["splits"] == ["train", "validation"]
    change = history["changes"]["loss"]["validation"]
    assert change["start"] == pytest.approx(val[0]) and change["end"] == pytest.approx(val[-1])


def test_a_healthy_history_is_not_flagged(tmp_path):
    steps = np.arange(1, 25)
    val = 2.0 * np.exp(-steps / 6.0) + 0.3 + 0.01 * np.sin(steps)  # noisy but never rising 3 steps running
    history = _history(tmp_path / "h.csv", val)
    assert history["overfitting"]["detected"] is False
    assert history["best_step"] == int(steps[np.argmin(val)])


def test_keras_style_columns_become_splits(tmp_path):
    path = tmp_path / "k.csv"
    pd.DataFrame({"epoch": [1, 2, 3], "loss": [1.0, 0.8, 0.7], "val_loss": [1.1, 0.9, 0.95]}).to_csv(path, index=False)
    history = read_history(str(path))
    assert history["splits"] == ["train", "validation"] and history["best_step"] == 2


def test_history_refuses_a_text_metric_column(tmp_path):
    path = tmp_path / "h.csv"
    pd.DataFrame({"step": [1, 2], "loss": [0.5, 0.4], "note": ["a", "b"]}).to_csv(path, index=False)
    with pytest.raises(InputError, match="column 'note'.*not numeric"):
        read_history(str(path))


def test_generative_metrics_equal_a_direct_computation(tmp_path):
    rng = np.random.default_rng(1)
    n = 3000
    frame = pd.DataFrame({
        "example_id": rng.integers(0, 40, n).astype(str),
        "target": rng.integers(0, 6, n),
        "predicted": rng.integers(0, 6, n),
        "logprob": -rng.exponential(1.5, n),
    })
    base = frame.assign(logprob=frame.logprob * 1.5, predicted=rng.integers(0, 6, n))
    frame.to_csv(tmp_path / "t.csv", index=False)
    base.to_csv(tmp_path / "b.csv", index=False)
    report = evaluate_tokens(tmp_path / "t.csv", vocab_size=50257, baseline=tmp_path / "b.csv")
    loss = -frame.logprob.mean()
    summary = report["summary"]
    assert summary["loss"] == pytest.approx(loss, abs=TOL)
    assert summary["perplexity"] == pytest.approx(math.exp(loss), rel=1e-12)
    assert summary["token_accuracy"] == pytest.approx((frame.target == frame.predicted).mean(), abs=TOL)
    assert summary["uniform_loss"] == pytest.approx(10.825, abs=1e-3)
    assert (summary["n_tokens"], summary["n_examples"]) == (n, frame.example_id.nunique())
    assert report["deltas"]["summary"]["loss"] == pytest.approx(loss - (-base.logprob.mean()), abs=TOL)
    per_example = (-frame.logprob).groupby(frame.example_id).mean().sort_values(ascending=False)
    assert report["examples"]["worst"][0]["example_id"] == per_example.index[0]
    assert report["examples"]["worst"][0]["loss"] == pytest.approx(per_example.iloc[0], abs=TOL)


@pytest.mark.parametrize("value, needle", [(0.25, "0.25 is above 0"), (float("nan"), "missing or NaN")])
def test_generative_bad_logprob_names_the_row(tmp_path, value, needle):
    frame = pd.DataFrame({"example_id": ["a", "a", "b"], "target": [1, 2, 3], "predicted": [1, 2, 2],
                          "logprob": [-0.1, value, -0.3]})
    frame.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(InputError) as err:
        evaluate_tokens(tmp_path / "t.csv")
    assert needle in str(err.value) and "row 2" in str(err.value) and "t.csv" in str(err.value)
