"""A report logged to an MLflow run: the summary as metrics, the settings as params, the
page and the metrics JSON as artifacts.

Reads plain report data (the metrics JSON as a dict) and the page's text; MLflow is an
optional dependency (``pip install 'reportgen[mlflow]'``), imported only here and only when
a report is logged. The tracking server is MLflow's own choice: ``MLFLOW_TRACKING_URI``,
or ``mlflow.set_tracking_uri``.
"""
from __future__ import annotations

import re
import time
from typing import Any

from reportgen import registry
from reportgen.errors import InputError

PAGE, METRICS_JSON = "report.html", "metrics.json"
PER_CLASS = ("precision", "recall", "f1", "roc_auc", "average_precision", "support")
BATCH = 1000
UNSAFE = re.compile(r"[^\w. :-]")  # what a class's part of a metric name may not hold ("/" separates parts)


def metric_values(report: dict[str, Any], per_class: bool = False) -> dict[str, float]:
    """The MLflow metrics of a report: every registry metric of its summary that has a value
    (under its registry key: ``macro_f1``, ``top_k_accuracy.3``), and ``n_examples``; with
    ``per_class``, ``per_class/CLASS/KEY`` for each class's precision, recall, F1, ROC AUC,
    average precision and support (``/`` and the characters MLflow refuses in a class name
    become ``_``)."""
    summary = report.get("summary") or {}
    out = {}
    for key in registry.METRICS:
        value = registry.summary_value(summary, key) if key.partition(".")[0] in summary else None
        if value is not None:
            out[key] = value
    out["n_examples"] = float(report["n_examples"])
    if per_class:
        for entry in report.get("per_class") or []:
            name = UNSAFE.sub("_", str(entry["class"]))
            for key in PER_CLASS:
                if entry.get(key) is not None:
                    out[f"per_class/{name}/{key}"] = float(entry[key])
    return out


def param_values(report: dict[str, Any]) -> dict[str, str]:
    """The settings of a report as MLflow params: threshold, task, engine (and the positive
    class of a binary task)."""
    params = {"threshold": str(report["threshold"]), "task": report["task"],
              "engine": (report.get("engine") or {}).get("name", "memory")}
    if report.get("positive_class") is not None:
        params["positive_class"] = str(report["positive_class"])
    return params


def log_report(report: dict[str, Any], page: str, metrics_json: str, run_id: str | None = None,
               artifact_path: str = "reportgen", per_class: bool = False) -> str:
    """Log a report to the run ``run_id``, or the active run, or a new run (ended here);
    returns the run's id. MLflow's errors (no such run, no server) become InputError."""
    mlflow = _mlflow()
    try:
        if run_id is None and mlflow.active_run() is None:
            with mlflow.start_run() as run:
                return _log(mlflow, run.info.run_id, report, page, metrics_json, artifact_path, per_class)
        chosen = run_id if run_id is not None else mlflow.active_run().info.run_id
        return _log(mlflow, chosen, report, page, metrics_json, artifact_path, per_class)
    except mlflow.exceptions.MlflowException as err:
        raise InputError(f"MLflow: {' '.join(str(err.message).split())[:300]}") from None


def _log(mlflow, run_id: str, report: dict[str, Any], page: str, metrics_json: str, artifact_path: str,
         per_class: bool) -> str:
    from mlflow.entities import Metric, Param

    client = mlflow.MlflowClient()
    stamp = int(time.time() * 1000)
    metrics = [Metric(key, value, stamp, 0) for key, value in metric_values(report, per_class).items()]
    params = [Param(key, value) for key, value in param_values(report).items()]
    for start in range(0, max(len(metrics), 1), BATCH):  # MLflow takes at most 1,000 metrics a call
        client.log_batch(run_id, metrics=metrics[start:start + BATCH], params=params if start == 0 else [])
    folder = artifact_path.strip("/")
    client.log_text(run_id, page, f"{folder}/{PAGE}" if folder else PAGE)
    client.log_text(run_id, metrics_json, f"{folder}/{METRICS_JSON}" if folder else METRICS_JSON)
    return run_id


def _mlflow():
    try:
        import mlflow
        import mlflow.exceptions  # noqa: F401 - the exception type caught above
    except ImportError:
        raise InputError("usage: logging to MLflow needs mlflow: pip install 'reportgen[mlflow]'") from None
    return mlflow
