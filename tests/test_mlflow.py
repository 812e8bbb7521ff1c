"""Reports logged to a real local MLflow tracking store (a temporary folder, named by
MLFLOW_TRACKING_URI as a user sets it): the metrics read back equal the report's, the
params are its settings, the logged page opens with the report's data in it; the same
through ``reportgen build --mlflow`` and through ``mlflow.models.evaluate(...,
evaluators=["reportgen"])``."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup

import reportgen
from conftest import run_reportgen
from reportgen.errors import InputError

mlflow = pytest.importorskip("mlflow")


@pytest.fixture()
def store(tmp_path, monkeypatch):
    """A tracking store in a temporary folder, chosen as users choose it: the environment."""
    uri = (tmp_path / "mlruns").as_uri()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 prefers a database; a folder is enough here
    mlflow.set_tracking_uri(uri)
    yield mlflow.MlflowClient(uri)
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_tracking_uri(None)


NAMES = ["ant", "bee", "cat/dog", "eel"]


def _arrays(seed: int = 2, n: int = 400):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    logits = rng.normal(0, 1, (n, 4)) + 1.2 * np.eye(4)[y]
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return np.array(NAMES)[y], p


def _page_report(client, run_id: str, folder: Path, artifact_path: str = "reportgen") -> tuple[dict, dict]:
    """(the data island of the logged page, the logged metrics JSON), downloaded."""
    local = Path(client.download_artifacts(run_id, artifact_path, str(folder)))
    page = BeautifulSoup((local / "report.html").read_text(encoding="utf-8"), "html.parser")
    island = page.find("script", id="report-data")
    assert island is not None and page.find("input", id="threshold") is not None
    return json.loads(island.string), json.loads((local / "metrics.json").read_text(encoding="utf-8"))


def test_log_to_mlflow_logs_metrics_params_page_and_json(store, tmp_path):
    y, p = _arrays()
    evaluation = reportgen.evaluate_arrays(y, p, n_bootstrap=0, threshold=0.4)
    report = evaluation.to_dict()
    with mlflow.start_run() as run:
        assert evaluation.log_to_mlflow(per_class=True) == run.info.run_id
    data = store.get_run(run.info.run_id).data
    for key in ("accuracy", "macro_f1", "roc_auc_macro", "log_loss", "mcc", "brier_score"):
        assert data.metrics[key] == report["summary"][key], key
    assert data.metrics["top_k_accuracy.3"] == report["summary"]["top_k_accuracy"]["3"]
    assert data.metrics["n_examples"] == 400 and "precision" not in data.metrics  # null for multiclass
    assert data.metrics["per_class/cat_dog/f1"] == report["per_class"][2]["f1"]
    assert data.metrics["per_class/ant/support"] == report["per_class"][0]["support"]
    assert data.params == {"threshold": "0.4", "task": "multiclass", "engine": "memory"}
    island, logged = _page_report(store, run.info.run_id, tmp_path)
    assert logged["summary"] == report["summary"] and logged["per_class"] == report["per_class"]
    assert island["summary"] == report["summary"]


def test_log_to_a_given_run_or_a_new_one(store, tmp_path):
    y, p = _arrays(seed=3)
    evaluation = reportgen.evaluate_arrays(y, p, n_bootstrap=0)
    given = store.create_run(store.create_experiment("given")).info.run_id
    assert evaluation.log_to_mlflow(given, "eval/test") == given
    assert [a.path for a in store.list_artifacts(given, "eval/test")] == ["eval/test/metrics.json",
                                                                         "eval/test/report.html"]
    assert "per_class/ant/f1" not in store.get_run(given).data.metrics  # per class only when asked
    new = evaluation.log_to_mlflow()
    assert new != given and store.get_run(new).data.metrics["accuracy"] == evaluation.summary["accuracy"]
    assert mlflow.active_run() is None  # the run it started is ended
    with pytest.raises(InputError) as err:
        evaluation.log_to_mlflow("0123456789abcdef0123456789abcdef")
    assert str(err.value).startswith("MLflow: ") and "\n" not in str(err.value)


def test_cli_build_logs_the_page_it_wrote(store, tmp_path):
    y, p = _arrays(seed=4)
    ids = [f"r{i}" for i in range(len(y))]
    pd.DataFrame({"id": ids, "label": y}).to_csv(tmp_path / "labels.csv", index=False)
    pd.DataFrame({"id": ids, **{c: p[:, j] for j, c in enumerate(NAMES)}}).to_csv(
        tmp_path / "scores.csv", index=False)
    run_id = store.create_run(store.create_experiment("cli")).info.run_id
    out = tmp_path / "report.html"
    result = run_reportgen("build", "--labels", tmp_path / "labels.csv", "--scores", tmp_path / "scores.csv",
                           "--out", out, "--metrics-json", tmp_path / "m.json", "--no-bootstrap", "--mlflow-run-id",
                           run_id, "--mlflow-per-class")
    assert result.returncode == 0, result.stderr
    assert f"logged to MLflow run {run_id}" in result.stderr
    data = store.get_run(run_id).data
    written = json.loads((tmp_path / "m.json").read_text())
    assert data.metrics["macro_f1"] == written["summary"]["macro_f1"] and "per_class/bee/recall" in data.metrics
    local = Path(store.download_artifacts(run_id, "reportgen", str(tmp_path / "down")))
    assert (local / "report.html").read_text(encoding="utf-8") == out.read_text(encoding="utf-8")
    bad = run_reportgen("build", "--labels", tmp_path / "labels.csv", "--scores", tmp_path / "scores.csv",
                        "--out", tmp_path / "r2.html", "--no-bootstrap", "--mlflow-run-id", "f" * 32)
    assert bad.returncode == 2 and bad.stderr.startswith("reportgen: error: MLflow: ") and \
        len(bad.stderr.splitlines()) == 1, bad.stderr


def test_the_evaluator_plugin_logs_the_same_report(store, tmp_path):
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    assert "reportgen" in mlflow.models.list_evaluators()
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(model, name="model")
        result = mlflow.models.evaluate(info.model_uri, X.assign(target=y), targets="target", model_type="classifier",
                                        evaluators=["reportgen"],
                                        evaluator_config={"reportgen": {"n_bootstrap": 0, "per_class": True}})
    expected = reportgen.evaluate_arrays(y.to_numpy(), model.predict_proba(X)[:, 1], n_bootstrap=0).to_dict()
    assert expected["task"] == "binary" and expected["positive_class"] == "1"
    data = store.get_run(run.info.run_id).data
    for key in ("accuracy", "precision", "recall", "f1", "roc_auc_macro", "log_loss"):
        assert data.metrics[key] == pytest.approx(expected["summary"][key], abs=1e-12), key
        assert result.metrics[key] == data.metrics[key]
    assert data.params["task"] == "binary" and data.params["positive_class"] == "1"
    island, logged = _page_report(store, run.info.run_id, tmp_path)
    assert logged["per_class"][1]["support"] == int(y.sum()) and island["n_examples"] == len(y)


def test_without_mlflow_the_message_says_what_to_install(monkeypatch):
    y, p = _arrays()
    evaluation = reportgen.evaluate_arrays(y, p, n_bootstrap=0)
    monkeypatch.setitem(sys.modules, "mlflow", None)  # as if it were not installed
    with pytest.raises(InputError) as err:
        evaluation.log_to_mlflow()
    assert "pip install 'reportgen[mlflow]'" in str(err.value)


def test_the_core_does_not_import_mlflow():
    script = ("import sys, reportgen; from reportgen import cli, api, evaluation; "
              "from reportgen.report import tracking; print('mlflow' in sys.modules)")
    import subprocess

    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"
