"""The metrics linear-learner reports on its test channel (``test:<name>``)."""

from __future__ import annotations

import numpy as np

from .algorithm import encode_targets, loss_and_gradient
from .model import LinearModel


def _roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    positives, negatives = labels.sum(), len(labels) - labels.sum()
    if positives == 0 or negatives == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    for value in np.unique(scores):  # average ranks of ties
        tied = scores == value
        ranks[tied] = ranks[tied].mean()
    return float((ranks[labels == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def evaluate(model: LinearModel, hp, features: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Metric name (without the channel prefix) -> value."""
    raw = model.raw_scores(features)
    loss, _ = loss_and_gradient(hp, raw[None], encode_targets(hp, labels))
    metrics = {"objective_loss": float(loss.sum(-1).mean())}
    if model.predictor_type == "regressor":
        residual = raw[:, 0] - labels
        mse = float(np.mean(residual**2))
        metrics.update(mse=mse, rmse=float(np.sqrt(mse)), absolute_loss=float(np.mean(np.abs(residual))))
        return metrics
    predictions = np.array([p["predicted_label"] for p in model.predict(features)])
    if model.predictor_type == "binary_classifier":
        tp = float(((predictions == 1) & (labels == 1)).sum())
        fp = float(((predictions == 1) & (labels == 0)).sum())
        fn = float(((predictions == 0) & (labels == 1)).sum())
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        beta2 = hp["f_beta"] ** 2
        f_beta = ((1 + beta2) * precision * recall / (beta2 * precision + recall) if precision + recall
                  else 0.0)
        metrics.update(binary_classification_accuracy=float(np.mean(predictions == labels)),
                       precision=precision, recall=recall, binary_f_beta=f_beta,
                       roc_auc_score=_roc_auc(model.binary_scores(features), labels))
        return metrics
    classes = range(model.num_classes)
    precisions, recalls = [], []
    for c in classes:
        tp = ((predictions == c) & (labels == c)).sum()
        predicted, actual = (predictions == c).sum(), (labels == c).sum()
        precisions.append(tp / predicted if predicted else 0.0)
        recalls.append(tp / actual if actual else 0.0)
    macro_p, macro_r = float(np.mean(precisions)), float(np.mean(recalls))
    beta2 = hp["f_beta"] ** 2
    top_k = np.argsort(-raw, axis=1)[:, : hp["accuracy_top_k"]]
    metrics.update(
        multiclass_accuracy=float(np.mean(predictions == labels)),
        multiclass_top_k_accuracy=float(
            np.mean([label in row for label, row in zip(labels.astype(int), top_k)])),
        macro_precision=macro_p, macro_recall=macro_r,
        macro_f_beta=((1 + beta2) * macro_p * macro_r / (beta2 * macro_p + macro_r) if macro_p + macro_r
                      else 0.0))
    return metrics

