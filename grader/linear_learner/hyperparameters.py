"""Linear-learner's hyperparameters: names, allowed values, defaults, validated like the real
algorithm validates them (a bad value fails the job with a ClientError naming the fix).

Values arrive as strings (SageMaker's ``HyperParameters`` is a string-to-string map).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PREDICTOR_TYPES = ("binary_classifier", "multiclass_classifier", "regressor")
LOSSES = {
    "regressor": ("squared_loss", "absolute_loss", "eps_insensitive_squared_loss",
                  "eps_insensitive_absolute_loss", "quantile_loss", "huber_loss"),
    "binary_classifier": ("logistic", "hinge_loss"),
    "multiclass_classifier": ("softmax_loss", "logistic", "hinge_loss"),
}
DEFAULT_LOSS = {"regressor": "squared_loss", "binary_classifier": "logistic",
                "multiclass_classifier": "softmax_loss"}
SELECTION_CRITERIA = ("accuracy", "f1", "f_beta", "precision_at_target_recall", "recall_at_target_precision",
                      "cross_entropy_loss", "loss_function")


class HyperparameterError(ValueError):
    """A hyperparameter the real algorithm would refuse; str() is the job's FailureReason."""


@dataclass(frozen=True)
class Spec:
    kind: str  # int, float, bool, choice
    default: Any
    check: Callable[[Any], bool] = lambda value: True
    rule: str = ""
    choices: tuple[str, ...] = ()
    auto: bool = False  # "auto" is accepted and means "let the algorithm decide"


def _positive(v): return v > 0
def _non_negative(v): return v >= 0
def _open_unit(v): return 0 < v < 1
def _half_open_unit(v): return 0 <= v < 1


SPECS: dict[str, Spec] = {
    "predictor_type": Spec("choice", None, choices=PREDICTOR_TYPES),
    "feature_dim": Spec("int", "auto", _positive, "a positive integer", auto=True),
    "num_classes": Spec("int", None, lambda v: 3 <= v <= 1_000_000, "an integer in [3, 1000000]"),
    "mini_batch_size": Spec("int", 1000, _positive, "a positive integer"),
    "epochs": Spec("int", 15, _positive, "a positive integer"),
    "num_models": Spec("int", "auto", _positive, "a positive integer", auto=True),
    "loss": Spec("choice", "auto",
                 choices=("auto",) + tuple(sorted({loss for losses in LOSSES.values() for loss in losses}))),
    "binary_classifier_model_selection_criteria": Spec("choice", "accuracy", choices=SELECTION_CRITERIA),
    "target_recall": Spec("float", 0.8, _open_unit, "a number in (0, 1)"),
    "target_precision": Spec("float", 0.8, _open_unit, "a number in (0, 1)"),
    "positive_example_weight_mult": Spec("float", 1.0, _positive, "a positive number, 'auto' or 'balanced'",
                                         choices=("auto", "balanced")),
    "f_beta": Spec("float", 1.0, _positive, "a positive number"),
    "accuracy_top_k": Spec("int", 3, lambda v: 1 <= v <= 1_000_000, "an integer in [1, 1000000]"),
    "balance_multiclass_weights": Spec("bool", False),
    "use_bias": Spec("bool", True),
    "num_calibration_samples": Spec("int", 10_000_000, _positive, "a positive integer"),
    "init_method": Spec("choice", "uniform", choices=("uniform", "normal")),
    "init_scale": Spec("float", 0.07, _positive, "a positive number"),
    "init_sigma": Spec("float", 0.01, _positive, "a positive number"),
    "init_bias": Spec("float", 0.0),
    "optimizer": Spec("choice", "auto", choices=("auto", "sgd", "adam", "rmsprop")),
    "learning_rate": Spec("float", "auto", _positive, "a positive number", auto=True),
    "wd": Spec("float", "auto", _non_negative, "a number >= 0", auto=True),
    "l1": Spec("float", "auto", _non_negative, "a number >= 0", auto=True),
    "momentum": Spec("float", "auto", _half_open_unit, "a number in [0, 1)", auto=True),
    "beta_1": Spec("float", "auto", _half_open_unit, "a number in [0, 1)", auto=True),
    "beta_2": Spec("float", "auto", _half_open_unit, "a number in [0, 1)", auto=True),
    "bias_lr_mult": Spec("float", "auto", _positive, "a positive number", auto=True),
    "bias_wd_mult": Spec("float", "auto", _non_negative, "a number >= 0", auto=True),
    "use_lr_scheduler": Spec("bool", True),
    "lr_scheduler_step": Spec("int", "auto", _positive, "a positive integer", auto=True),
    "lr_scheduler_factor": Spec("float", "auto", _open_unit, "a number in (0, 1)", auto=True),
    "lr_scheduler_minimum_lr": Spec("float", "auto", _positive, "a positive number", auto=True),
    "normalize_data": Spec("bool", True),
    "normalize_label": Spec("bool", "auto", auto=True),
    "unbias_data": Spec("bool", "auto", auto=True),
    "unbias_label": Spec("bool", "auto", auto=True),
    "num_point_for_scaler": Spec("int", 10_000, _positive, "a positive integer"),
    "margin": Spec("float", 1.0, _non_negative, "a number >= 0"),
    "quantile": Spec("float", 0.5, _open_unit, "a number in (0, 1)"),
    "loss_insensitivity": Spec("float", 0.01, _positive, "a positive number"),
    "huber_delta": Spec("float", 1.0, _non_negative, "a number >= 0"),
    "early_stopping_patience": Spec("int", 3, _positive, "a positive integer"),
    "early_stopping_tolerance": Spec("float", 0.001, _positive, "a positive number"),
}
# Names the platform and the SDK may pass that the algorithm ignores.
IGNORED = {"_kvstore", "_num_gpus", "_num_kv_servers", "_log_level", "_tuning_objective_metric",
           "_enable_profiler"}


def _convert(name: str, spec: Spec, raw: str) -> Any:
    text = str(raw).strip()
    if spec.auto and text.lower() == "auto":
        return "auto"
    if spec.choices and text in spec.choices:
        return text
    if spec.kind == "choice":
        raise HyperparameterError(
            f"ClientError: Hyperparameter {name}={text!r} is not valid; allowed values: "
            f"{', '.join(spec.choices)}.")
    try:
        if spec.kind == "bool":
            lowered = text.lower()
            if lowered not in ("true", "false"):
                raise ValueError
            return lowered == "true"
        if spec.kind == "int":
            number = float(text)
            if not number.is_integer():
                raise ValueError
            value = int(number)
        else:
            value = float(text)
    except ValueError:
        wanted = {"bool": "true or false", "int": "an integer", "float": "a number"}[spec.kind]
        raise HyperparameterError(f"ClientError: Hyperparameter {name}={text!r} must be {wanted}.") from None
    if not spec.check(value):
        raise HyperparameterError(f"ClientError: Hyperparameter {name}={text!r} must be {spec.rule}.")
    return value


def parse(raw: dict[str, str]) -> dict[str, Any]:
    """Typed hyperparameters with defaults filled in, or HyperparameterError."""
    unknown = sorted(name for name in raw if name not in SPECS and name not in IGNORED)
    if unknown:
        raise HyperparameterError(
            f"ClientError: Additional hyperparameters are not allowed ({', '.join(repr(u) for u in unknown)} "
            "unexpected). Check the spelling against the linear-learner hyperparameter list.")
    if "predictor_type" not in raw:
        raise HyperparameterError(
            "ClientError: Missing required hyperparameter: predictor_type. "
            "Set predictor_type to one of binary_classifier, multiclass_classifier, regressor.")
    values = {name: spec.default for name, spec in SPECS.items()}
    for name, text in raw.items():
        if name in SPECS:
            values[name] = _convert(name, SPECS[name], text)
    predictor = values["predictor_type"]
    if predictor == "multiclass_classifier" and values["num_classes"] is None:
        raise HyperparameterError(
            "ClientError: Missing required hyperparameter: num_classes (needed when predictor_type is "
            "multiclass_classifier).")
    if values["loss"] == "auto":
        values["loss"] = DEFAULT_LOSS[predictor]
    elif values["loss"] not in LOSSES[predictor]:
        raise HyperparameterError(
            f"ClientError: loss={values['loss']!r} cannot be used with predictor_type={predictor!r}; "
            f"use auto or one of {', '.join(LOSSES[predictor])}.")
    return values


def normalise(raw: dict[str, str]) -> dict[str, str]:
    """Canonical string form ("10" == "10.0", "True" == "true"), for comparing settings."""
    out = {}
    for name, text in raw.items():
        spec = SPECS.get(name)
        try:
            value = _convert(name, spec, text) if spec else str(text)
        except HyperparameterError:
            value = str(text).strip()
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, float) and value.is_integer():
            value = str(int(value))
        out[name] = str(value)
    return out
