"""The MLflow evaluator plugin ``reportgen`` (entry point group ``mlflow.model_evaluator``):

    mlflow.models.evaluate(model, data, targets="label", model_type="classifier",
                           evaluators=["reportgen"])          # or ["default", "reportgen"]

logs what ``Evaluation.log_to_mlflow`` logs (the summary as metrics, the threshold, task
and engine as params, the page and the metrics JSON as artifacts) to the evaluation's run.
The model's ``predict_proba`` (of the model under the pyfunc wrapper: scikit-learn and the
like) gives the scores, its ``classes_`` their names; a model without it is evaluated on
its predicted labels. Without a model, 1-d predictions are labels and 2-d ones scores.

``evaluator_config`` takes ``evaluate``'s options (``threshold``, ``n_bootstrap``,
``positive_class``, ...), MLflow's ``pos_label`` and ``label_list``, and ``per_class`` and
``artifact_path`` for the logging. This module imports MLflow: only MLflow loads it.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from mlflow.models.evaluation.base import EvaluationResult, ModelEvaluator

from reportgen.api import evaluate_arrays
from reportgen.report.tracking import metric_values

LOGGING = ("per_class", "artifact_path")


class ReportgenEvaluator(ModelEvaluator):
    """reportgen's report of a classifier, logged to the evaluation's MLflow run."""

    name = "reportgen"

    @classmethod
    def can_evaluate(cls, *, model_type, evaluator_config, **kwargs) -> bool:
        return model_type == "classifier"

    def evaluate(self, *, model_type, dataset, run_id, evaluator_config, model=None, extra_metrics=None,
                 custom_artifacts=None, predictions=None, **kwargs) -> EvaluationResult:
        config = dict(evaluator_config or {})
        logging = {key: config.pop(key) for key in LOGGING if key in config}
        if "pos_label" in config:
            config["positive_class"] = str(config.pop("pos_label"))
        classes = config.pop("label_list", None)
        y_true = np.asarray(dataset.labels_data)
        y_score, y_pred, found = _outputs(model, dataset)
        classes = found if found is not None else classes
        if y_score is not None and y_score.ndim == 2 and y_score.shape[1] == 2:
            names = list(classes) if classes is not None else sorted(np.unique(y_true).tolist())
            config.setdefault("positive_class", str(names[1]))  # scikit-learn's: the greater label
            y_score = y_score[:, [str(n) for n in names].index(config["positive_class"])]
            classes = names
        evaluation = evaluate_arrays(y_true, y_score, y_pred=y_pred, classes=classes, **config)
        evaluation.log_to_mlflow(run_id, logging.get("artifact_path", "reportgen"),
                                 per_class=bool(logging.get("per_class", False)))
        return EvaluationResult(metrics=metric_values(evaluation.to_dict(), bool(logging.get("per_class"))),
                                artifacts={}, run_id=run_id)


def _outputs(model, dataset) -> tuple[np.ndarray | None, np.ndarray | None, Any]:
    """(scores (n, k) or None, predicted labels (n,) or None, the scores' class names or None)."""
    features = dataset.features_data
    if model is None:
        given = np.asarray(dataset.predictions_data)
        return (given, None, None) if given.ndim == 2 else (None, given, None)
    raw = None
    try:
        raw = model.get_raw_model()
    except Exception:  # a pyfunc flavour without a raw model
        raw = None
    proba = getattr(raw, "predict_proba", None)
    if proba is not None:
        return np.asarray(proba(features)), None, getattr(raw, "classes_", None)
    return None, np.asarray(model.predict(features)).reshape(-1), None
