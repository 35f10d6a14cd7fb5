"""Linear-learner's training, vectorised over its parallel models.

Like the real algorithm: optional feature and label normalisation (statistics from the first
``num_point_for_scaler`` rows), ``num_models`` linear models trained side by side on the same
mini-batches with different learning rates and weight decays (where those are ``auto``), the
loss chosen by ``predictor_type`` and ``loss``, per-epoch early stopping on the validation
channel (or the training data), and the best model chosen on validation (or training) data, with
a binary classifier's threshold tuned for ``binary_classifier_model_selection_criteria``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .model import LinearModel, sigmoid, softmax


@dataclass
class Dataset:
    features: np.ndarray  # (n, d)
    labels: np.ndarray  # (n,)

    @property
    def size(self) -> int:
        return len(self.features)


@dataclass
class TrainingOutcome:
    model: LinearModel
    epochs_run: int
    selection_metric: str
    selection_value: float
    log: list[str] = field(default_factory=list)


def _grid(value, choices, count, rng):
    """Per-model values: the given one everywhere, or a spread over `choices` when auto."""
    if value != "auto":
        return np.full(count, float(value))
    return np.resize(np.asarray(choices, float), count)[rng.permutation(count)]


def encode_targets(hp, labels: np.ndarray) -> np.ndarray:
    predictor = hp["predictor_type"]
    if predictor == "multiclass_classifier":
        onehot = np.zeros((len(labels), hp["num_classes"]))
        onehot[np.arange(len(labels)), labels.astype(int)] = 1.0
        return onehot
    return labels.reshape(-1, 1).astype(float)


def loss_and_gradient(hp, scores: np.ndarray, targets: np.ndarray):
    """Per-element loss and d(loss)/d(score) for scores (M, B, K) and targets (B, K)."""
    loss = hp["loss"]
    if loss == "softmax_loss":
        probs = softmax(scores)
        return -np.log(np.clip((probs * targets).sum(-1, keepdims=True), 1e-12, None)), probs - targets
    if loss == "logistic":
        probs = sigmoid(scores)
        value = np.logaddexp(0, scores) - targets * scores
        return value, probs - targets
    if loss == "hinge_loss":
        signed = 2 * targets - 1
        active = signed * scores < hp["margin"]
        return np.maximum(0, hp["margin"] - signed * scores), np.where(active, -signed, 0.0)
    residual = scores - targets
    if loss == "squared_loss":
        return 0.5 * residual**2, residual
    if loss == "absolute_loss":
        return np.abs(residual), np.sign(residual)
    if loss == "huber_loss":
        delta = hp["huber_delta"]
        small = np.abs(residual) <= delta
        return (np.where(small, 0.5 * residual**2, delta * (np.abs(residual) - 0.5 * delta)),
                np.where(small, residual, delta * np.sign(residual)))
    if loss == "quantile_loss":
        tau = hp["quantile"]
        return (np.where(residual > 0, (1 - tau) * residual, -tau * residual),
                np.where(residual > 0, 1 - tau, -tau))
    eps = hp["loss_insensitivity"]
    excess = np.maximum(np.abs(residual) - eps, 0)
    if loss == "eps_insensitive_squared_loss":
        return 0.5 * excess**2, np.sign(residual) * excess
    return excess, np.sign(residual) * (excess > 0)  # eps_insensitive_absolute_loss


def _example_weights(hp, labels: np.ndarray) -> np.ndarray:
    weights = np.ones(len(labels))
    if hp["predictor_type"] == "binary_classifier":
        mult = hp["positive_example_weight_mult"]
        if mult in ("auto", "balanced"):
            positives = max(labels.sum(), 1)
            mult = (len(labels) - positives) / positives
        weights[labels == 1] = mult
    elif hp["predictor_type"] == "multiclass_classifier" and hp["balance_multiclass_weights"]:
        counts = np.bincount(labels.astype(int), minlength=hp["num_classes"]).astype(float)
        weights = (len(labels) / (hp["num_classes"] * np.maximum(counts, 1)))[labels.astype(int)]
    return weights


class _Optimizer:
    """SGD with momentum, Adam or RMSProp with one learning rate per model."""

    def __init__(self, hp, shapes):
        name = hp["optimizer"]
        self.name = "adam" if name == "auto" else name
        self.beta_1 = 0.9 if hp["beta_1"] == "auto" else hp["beta_1"]
        self.beta_2 = 0.999 if hp["beta_2"] == "auto" else hp["beta_2"]
        self.momentum = 0.0 if hp["momentum"] == "auto" else hp["momentum"]
        self.first = [np.zeros(s) for s in shapes]
        self.second = [np.zeros(s) for s in shapes]
        self.steps = 0

    def step(self, params, grads, rates):
        self.steps += 1
        for i, (param, grad, rate) in enumerate(zip(params, grads, rates)):
            if self.name == "sgd":
                self.first[i] = self.momentum * self.first[i] + grad
                param -= rate * self.first[i]
            elif self.name == "rmsprop":
                self.second[i] = 0.9 * self.second[i] + 0.1 * grad**2
                param -= rate * grad / (np.sqrt(self.second[i]) + 1e-8)
            else:
                self.first[i] = self.beta_1 * self.first[i] + (1 - self.beta_1) * grad
                self.second[i] = self.beta_2 * self.second[i] + (1 - self.beta_2) * grad**2
                corrected = self.first[i] / (1 - self.beta_1**self.steps)
                scale = np.sqrt(self.second[i] / (1 - self.beta_2**self.steps)) + 1e-8
                param -= rate * corrected / scale


def _scaler(hp, features: np.ndarray):
    sample = features[: hp["num_point_for_scaler"]]
    unbias = hp["use_bias"] if hp["unbias_data"] == "auto" else hp["unbias_data"]
    mean = sample.mean(0) if unbias and hp["normalize_data"] else np.zeros(features.shape[1])
    scale = sample.std(0) if hp["normalize_data"] else np.ones(features.shape[1])
    return mean, np.where(scale > 0, scale, 1.0)


def _label_scaler(hp, labels: np.ndarray):
    if hp["predictor_type"] != "regressor":
        return 0.0, 1.0
    normalize = True if hp["normalize_label"] == "auto" else hp["normalize_label"]
    unbias = hp["use_bias"] if hp["unbias_label"] == "auto" else hp["unbias_label"]
    sample = labels[: hp["num_point_for_scaler"]]
    mean = float(sample.mean()) if normalize and unbias else 0.0
    scale = float(sample.std()) if normalize else 1.0
    return mean, scale if scale > 0 else 1.0


def train(hp, train_set: Dataset, validation: Dataset | None = None, *, seed: int = 0,
          log: Callable[[str], None] = lambda line: None,
          tick: Callable[[], None] = lambda: None) -> TrainingOutcome:
    """Train ``num_models`` models and return the best one, in the data's original units.
    `tick` is called before every mini-batch: the caller stops a runaway job by raising there."""
    rng = np.random.default_rng(seed)
    predictor = hp["predictor_type"]
    n, d = train_set.features.shape
    k = hp["num_classes"] if predictor == "multiclass_classifier" else 1
    m = 32 if hp["num_models"] == "auto" else hp["num_models"]
    feature_mean, feature_scale = _scaler(hp, train_set.features)
    label_mean, label_scale = _label_scaler(hp, train_set.labels)

    def prepare(data: Dataset):
        x = (data.features - feature_mean) / feature_scale
        y = data.labels if predictor != "regressor" else (data.labels - label_mean) / label_scale
        return x, encode_targets(hp, y), _example_weights(hp, data.labels)

    x, targets, weights = prepare(train_set)
    selection = prepare(validation) if validation is not None else (x, targets, weights)
    rates = _grid(hp["learning_rate"], [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5], m, rng)
    decays = _grid(hp["wd"], [0.0, 1e-6, 1e-4, 1e-2], m, rng)
    l1 = _grid(hp["l1"], [0.0], m, rng)
    bias_rate = 10.0 if hp["bias_lr_mult"] == "auto" else hp["bias_lr_mult"]
    bias_decay = 0.0 if hp["bias_wd_mult"] == "auto" else hp["bias_wd_mult"]
    if hp["init_method"] == "uniform":
        w = rng.uniform(-hp["init_scale"], hp["init_scale"], (m, d, k))
    else:
        w = rng.normal(0, hp["init_sigma"], (m, d, k))
    b = np.full((m, k), hp["init_bias"] if hp["use_bias"] else 0.0)
    optimizer = _Optimizer(hp, [w.shape, b.shape])
    step_every = 100 if hp["lr_scheduler_step"] == "auto" else hp["lr_scheduler_step"]
    factor = 0.99 if hp["lr_scheduler_factor"] == "auto" else hp["lr_scheduler_factor"]
    min_rate = 1e-5 if hp["lr_scheduler_minimum_lr"] == "auto" else hp["lr_scheduler_minimum_lr"]

    def objective(x_, t_, w_):
        loss, _ = loss_and_gradient(hp, np.einsum("nd,mdk->mnk", x_, w) + b[:, None, :], t_)
        return (loss.sum(-1) * w_).sum(-1) / w_.sum()

    best_w, best_b = w.copy(), b.copy()
    best_loss = objective(*selection)
    overall_best, stale, epochs_run = best_loss.min(), 0, 0
    batch = hp["mini_batch_size"]
    for epoch in range(hp["epochs"]):
        epochs_run = epoch + 1
        order = rng.permutation(n)
        for start in range(0, n, batch):
            tick()
            rows = order[start:start + batch]
            xb, tb, wb = x[rows], targets[rows], weights[rows]
            scores = np.einsum("bd,mdk->mbk", xb, w) + b[:, None, :]
            _, grad = loss_and_gradient(hp, scores, tb)
            grad = grad * wb[None, :, None] / wb.sum()
            grad_w = (np.einsum("bd,mbk->mdk", xb, grad) + decays[:, None, None] * w
                      + l1[:, None, None] * np.sign(w))
            grad_b = grad.sum(1) + bias_decay * decays[:, None] * b
            if not hp["use_bias"]:
                grad_b = np.zeros_like(b)
            optimizer.step([w, b], [grad_w, grad_b], [rates[:, None, None], (rates * bias_rate)[:, None]])
            if hp["use_lr_scheduler"] and optimizer.steps % step_every == 0:
                rates = np.maximum(rates * factor, min_rate)
        epoch_loss = objective(*selection)
        improved = epoch_loss < best_loss
        best_w[improved], best_b[improved] = w[improved], b[improved]
        best_loss = np.minimum(best_loss, epoch_loss)
        channel = "validation" if validation is not None else "train"
        log(f"#quality_metric: host=algo-1, epoch={epoch}, {channel} {log_name('objective_loss', hp)} "
            f"<loss>={float(epoch_loss.min()):.6f}")
        if best_loss.min() < overall_best * (1 - hp["early_stopping_tolerance"]) - 1e-12:
            overall_best, stale = best_loss.min(), 0
        else:
            stale += 1
            if validation is not None and stale >= hp["early_stopping_patience"]:
                log(f"Early stop condition met. Stopping training after epoch {epoch}.")
                break

    models = [_to_original_units(hp, best_w[i], best_b[i], feature_mean, feature_scale, label_mean,
                                 label_scale)
              for i in range(m)]
    sel_data = validation if validation is not None else train_set
    chosen, metric, value = _select(hp, models, best_loss, sel_data)
    log(f"Selecting model {chosen} of {m} by {metric} = {value:.6f} on the "
        f"{'validation' if validation is not None else 'train'} data")
    return TrainingOutcome(models[chosen], epochs_run, metric, value)


def _to_original_units(hp, w, b, feature_mean, feature_scale, label_mean, label_scale) -> LinearModel:
    weights = w / feature_scale[:, None] * label_scale
    bias = (b - (feature_mean / feature_scale) @ w) * label_scale + label_mean
    return LinearModel(hp["predictor_type"], hp["loss"], weights.shape[0], weights.tolist(), bias.tolist(),
                       threshold=0.0 if hp["loss"] == "hinge_loss" else 0.5,
                       num_classes=(hp["num_classes"] if hp["predictor_type"] == "multiclass_classifier"
                                    else None))


def _select(hp, models: list[LinearModel], losses: np.ndarray, data: Dataset):
    criterion = hp["binary_classifier_model_selection_criteria"]
    if hp["predictor_type"] != "binary_classifier" or criterion in ("loss_function", "cross_entropy_loss"):
        if criterion == "cross_entropy_loss" and hp["predictor_type"] == "binary_classifier":
            losses = np.array([_cross_entropy(m.probabilities(data.features), data.labels) for m in models])
        best = int(np.argmin(losses))
        return best, "objective_loss", float(losses[best])
    results = []
    for model in models:
        threshold, value = best_threshold(model.binary_scores(data.features), data.labels, hp)
        results.append((value, threshold))
    best = int(np.argmax([value for value, _ in results]))
    models[best].threshold = results[best][1]
    return best, criterion, results[best][0]


def _cross_entropy(probs, labels) -> float:
    probs = np.clip(probs, 1e-12, 1 - 1e-12)
    return float(-np.mean(labels * np.log(probs) + (1 - labels) * np.log(1 - probs)))


def best_threshold(scores: np.ndarray, labels: np.ndarray, hp) -> tuple[float, float]:
    """The threshold that maximises the selection criterion, and that criterion's value."""
    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_labels = scores[order], labels[order]
    positives = sorted_labels.sum()
    # Predicting positive for the top i examples, i = 0..n.
    tp = np.concatenate([[0], np.cumsum(sorted_labels)])
    fp = np.concatenate([[0], np.cumsum(1 - sorted_labels)])
    tn = len(labels) - positives - fp
    # Only cut between distinct scores.
    valid = np.concatenate([[True], np.append(sorted_scores[1:] != sorted_scores[:-1], True)])
    precision = np.divide(tp, tp + fp, out=np.ones_like(tp, dtype=float), where=(tp + fp) > 0)
    recall = np.divide(tp, positives, out=np.zeros_like(tp, dtype=float), where=positives > 0)
    criterion = hp["binary_classifier_model_selection_criteria"]
    if criterion == "accuracy":
        value = (tp + tn) / len(labels)
    elif criterion in ("f1", "f_beta"):
        beta2 = 1.0 if criterion == "f1" else hp["f_beta"] ** 2
        denominator = beta2 * precision + recall
        value = np.divide((1 + beta2) * precision * recall, denominator, out=np.zeros_like(denominator),
                          where=denominator > 0)
    elif criterion == "precision_at_target_recall":
        value = np.where(recall >= hp["target_recall"], precision, -1.0)
    else:  # recall_at_target_precision
        value = np.where(precision >= hp["target_precision"], recall, -1.0)
    value = np.where(valid, value, -np.inf)
    cut = int(np.argmax(value))
    if cut == 0:
        threshold = float(sorted_scores[0]) + 1e-6 if len(sorted_scores) else 0.5
    elif cut == len(sorted_scores):
        threshold = float(sorted_scores[-1])
    else:
        threshold = float((sorted_scores[cut - 1] + sorted_scores[cut]) / 2)
    return threshold, float(value[cut])


# What the real algorithm calls its objective in its log (from executed course notebooks:
# "train absolute_loss_objective", "test binary_classification_cross_entropy_objective").
_OBJECTIVE_NAMES = {"logistic": "binary_classification_cross_entropy_objective",
                    "softmax_loss": "multiclass_cross_entropy_objective"}


def log_name(metric: str, hp) -> str:
    """The name a metric has in linear-learner's log lines: the objective is named after the loss, and
    F-beta after its beta ("binary_f_1.000"); the others keep their names."""
    if metric == "objective_loss":
        return _OBJECTIVE_NAMES.get(hp["loss"], f"{hp['loss']}_objective")
    if metric == "binary_f_beta":
        return f"binary_f_{hp['f_beta']:.3f}"
    return metric
