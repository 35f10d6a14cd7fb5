"""Model quality, computed by the grader: the trained model's predictions on the student's own test
set, against the activity's thresholds (from what real SageMaker achieved) and a baseline (mean
predictor or majority class); and whether the metrics the notebook printed agree."""

from __future__ import annotations

import hashlib
import re

import numpy as np

from ..linear_learner.model import LinearModel
from ..snapshots.snapshot import MAX_CONTENT_BYTES, decode_body
from .evidence import NO_JOB, Evidence
from .outcome import Outcome, failed, manual, passed, skipped, unknown
from .training_data import decode_train_and_test

_NUMBER = r"(-?\d+(?:\.\d+)?(?:e-?\d+)?)"
PRINTED = {   # the course's and common spellings: "RMSE: 0.31", "Root Mean Squared Error", "r2_score: -0.07",
    # "R-squared", "R²", "accuracy_score: 0.715", "Accuracy: 71.5%", sklearn's classification_report
    "rmse": re.compile(r"\b(?:rmse|root[ _-]mean[ _-]squared?[ _-]error)\b[^0-9\n-]{0,25}" + _NUMBER, re.I),
    "r2": re.compile(r"(?:\br2(?:[ _]score)?\b|\br\^2\b|\br[ _-]?squared\b|r²|coefficient of determination)"
                     r"[^0-9\n-]{0,25}" + _NUMBER, re.I),
    "accuracy": re.compile(r"\baccuracy(?:[ _]score)?\b[^0-9\n-]{0,40}(\d+(?:\.\d+)?)(\s*%)?",   # 40: report
                           re.I),
}
SAMPLE_POINTS = 200   # (actual, predicted) pairs kept in the evidence for a report's picture


def _model(ev: Evidence):
    """The graded job's model, from its artifact in S3. From a run, that artifact must be the one the
    emulator's trainer wrote for the job (same SHA-256), and one that cannot be read fails; from a
    live account or a snapshot, an artifact the grader cannot load (real linear-learner) is MANUAL."""
    job = ev.graded_job()
    if job is None:
        return None, failed(NO_JOB)
    if job.get("TrainingJobStatus") != "Completed":
        return None, failed("no completed linear-learner training job, so no model to measure")
    url = job.get("ModelArtifacts", {}).get("S3ModelArtifacts")
    item = ev.object_at(url) if url else None
    if item is None:
        return None, failed(f"the model artifact {url} is not in S3 any more; keep the training output")
    body = decode_body(item)
    if ev.runs and item.get("Size", 0) > MAX_CONTENT_BYTES:
        return None, failed(f"the model artifact {url} is {item['Size']:,} bytes, too large to be one "
                            "the trainer "
                            "wrote; keep the model fit() trained")
    if body is None or item.get("content_truncated"):
        return None, unknown(f"the model artifact {url} is not in the snapshot")
    if ev.runs:
        trained = ev.trained_model(job)
        if trained is None:
            return None, failed(f"training job {job['TrainingJobName']} wrote no model in the emulator, "
                                f"so {url} "
                                "is not its model; train with estimator.fit()")
        if hashlib.sha256(body).hexdigest() != trained["sha256"]:
            return None, failed(f"the model artifact {url} is not the one training job "
                                f"{job['TrainingJobName']} "
                                "wrote (it was replaced after training); keep the model fit() trained",
                                sha256=hashlib.sha256(body).hexdigest(), trained_sha256=trained["sha256"])
    try:
        return LinearModel.from_artifact(body), None
    except ValueError as error:
        if ev.runs:
            return None, failed(f"the model artifact {url} cannot be read: {error}")
        return None, manual(f"the model at {url} is a real linear-learner artifact the grader cannot load; "
                            "compare the printed metrics by hand")


def compute(ev: Evidence):
    """(metrics dict, None) or (None, Outcome): the model on the student's test set, with baselines."""
    model, outcome = _model(ev)
    if outcome:
        return None, outcome
    train, test, outcome = decode_train_and_test(ev)
    if outcome:
        return None, outcome
    if test.labels is None or train.labels is None:
        return None, failed("the train or test records have no labels, so the model cannot be measured")
    if test.feature_dim != model.feature_dim:
        return None, failed(f"the test data has {test.feature_dim} features but the model expects "
                            f"{model.feature_dim}")
    wanted = ev.expected["predictor_type"]
    if model.predictor_type != wanted:
        return None, failed(f"the model is a {model.predictor_type}; this activity needs a {wanted}, "
                            "so it cannot be "
                            f"measured as one (set predictor_type='{wanted}')",
                            predictor_type=model.predictor_type)
    for name, values in (("test features", test.features), ("test labels", test.labels),
                         ("training labels", train.labels)):
        unusable = int(np.size(values) - np.count_nonzero(np.isfinite(values)))
        if unusable:
            return None, failed(f"the {name} hold {unusable} value(s) that are not numbers (NaN or "
                                "infinity), so the "
                                "model cannot be measured on them; clean the data before uploading it",
                                non_finite=unusable)
    truth = test.labels.astype(float)
    predictions = model.predict(test.features)
    if not np.isfinite(np.array([p["score"] for p in predictions], float)).all():
        return None, failed("the model's scores on your test set are not all numbers (NaN or "
                            "infinity): it was "
                            "trained on data that is not, so it cannot be measured; clean the data and "
                            "train again")
    if model.predictor_type == "regressor":
        scores = np.array([p["score"] for p in predictions])
        baseline = np.full_like(truth, float(np.mean(train.labels)))
        # every record it was given: the training records' scores beside the test set's, already made
        every_truth = np.concatenate([train.labels.astype(float), truth])
        every_scores = np.concatenate([[p["score"] for p in model.predict(train.features)], scores])
        return {"rmse": _rmse(truth, scores), "r2": _r2(truth, scores),
                "baseline_rmse": _rmse(truth, baseline),
                "baseline_r2": _r2(truth, baseline), "records": int(len(truth)),
                "every_record": {"rmse": _rmse(every_truth, every_scores),
                                 "r2": _r2(every_truth, every_scores), "records": int(len(every_truth))},
                "sample": _sample(truth, scores)}, None
    labels = np.array([p["predicted_label"] for p in predictions], float)
    values, counts = np.unique(train.labels, return_counts=True)
    majority = float(values[np.argmax(counts)])
    matrix = [[int(((truth == actual) & (labels == guess)).sum()) for guess in (0.0, 1.0)]
              for actual in (0.0, 1.0)]
    return {"accuracy": float(np.mean(labels == truth)),
            "baseline_accuracy": float(np.mean(truth == majority)),
            "confusion_matrix": matrix, "majority_class": majority, "records": int(len(truth))}, None


def _sample(truth, guess) -> list[list[float]]:
    """Up to SAMPLE_POINTS (actual, predicted) pairs, evenly spread over the test set, rounded."""
    keep = np.unique(np.linspace(0, len(truth) - 1, min(len(truth), SAMPLE_POINTS)).astype(int))
    return [[float(f"{truth[i]:.4g}"), float(f"{guess[i]:.4g}")] for i in keep]


def _rmse(truth, guess) -> float:
    return float(np.sqrt(np.mean((truth - guess) ** 2)))


def _r2(truth, guess) -> float:
    total = float(np.sum((truth - np.mean(truth)) ** 2))
    return float(1 - np.sum((truth - guess) ** 2) / total) if total else 0.0


def model_quality(ev: Evidence) -> Outcome:
    metrics, outcome = compute(ev)
    if outcome:
        return outcome
    limits = ev.thresholds
    metrics["required"] = {name: limits[name] for name in ("accuracy_min", "r2_min", "rmse_max")
                           if name in limits}
    if "accuracy" in metrics:
        if metrics["accuracy"] < limits["accuracy_min"]:
            return failed(f"accuracy {metrics['accuracy']:.3f} on your test set is below "
                          f"{limits['accuracy_min']} "
                          "(always predicting the majority class scores "
                          f"{metrics['baseline_accuracy']:.3f}); check that "
                          "labels line up with their rows and predictor_type is binary_classifier", **metrics)
        return passed(f"accuracy {metrics['accuracy']:.3f} "
                      f"(majority-class baseline {metrics['baseline_accuracy']:.3f}, "
                      f"required {limits['accuracy_min']})", **metrics)
    problems = _shortfalls(metrics, limits)
    every = metrics["every_record"]
    if problems and not _shortfalls(every, limits):
        # a random 80/20 split can leave a test set that even a correct model fits badly (2 correct
        # housing runs in 1,000, benchmarks/thresholds.py); on every record it uploaded, the model
        # shows it was trained, and a shuffled or misaligned one does not
        return passed(f"{' and '.join(problems)} on your test set, but on all {every['records']} records "
                      f"you uploaded the model reaches RMSE {every['rmse']:.3f}, R2 {every['r2']:.3f}: it is "
                      "trained, and this random split left a test set that is hard to predict", **metrics)
    if problems:
        return failed(f"{' and '.join(problems)} on your test set "
                      f"(the mean predictor gets R2 {metrics['baseline_r2']:.3f}, "
                      f"RMSE {metrics['baseline_rmse']:.3f}); check that labels line up with their rows and "
                      "predictor_type is regressor", **metrics)
    return passed(f"RMSE {metrics['rmse']:.3f}, R2 {metrics['r2']:.3f} (mean predictor: RMSE "
                  f"{metrics['baseline_rmse']:.3f}, R2 {metrics['baseline_r2']:.3f})", **metrics)


def _shortfalls(measured: dict, limits: dict) -> list[str]:
    """What a regressor's RMSE and R2 miss of the thresholds (a value that is not a number misses)."""
    problems = []
    if not measured["r2"] >= limits["r2_min"]:
        problems.append(f"R2 {measured['r2']:.3f} is below {limits['r2_min']}")
    if not measured["rmse"] <= limits["rmse_max"]:
        problems.append(f"RMSE {measured['rmse']:.3f} is above {limits['rmse_max']}")
    return problems


def printed_values(text: str) -> dict[str, list[float]]:
    """Every value printed for each metric, in order."""
    found = {}
    for name, pattern in PRINTED.items():
        values = []
        for match in pattern.finditer(text):
            value = float(match.group(1))
            if name == "accuracy" and (match.group(2) or value > 1):
                value /= 100
            values.append(value)
        if values:
            found[name] = values
    return found


def printed_metrics_agree(ev: Evidence) -> Outcome:
    if ev.run is None:
        return skipped("graded from account state: printed metrics are read only when the grader runs "
                       "the notebook")
    metrics, outcome = compute(ev)
    if outcome:
        return outcome
    names = ["rmse", "r2"] if ev.expected["predictor_type"] == "regressor" else ["accuracy"]
    printed = printed_values(ev.printed_output())
    missing = [name for name in names if name not in printed]
    if missing:
        wanted = " and ".join(name.upper() for name in missing)
        return failed(f"the notebook does not print {wanted}; print {wanted} as the lesson does",
                      printed=printed)
    wrong = {name: value for name in names for value in printed[name]
             if abs(value - metrics[name]) > max(0.02, 0.02 * abs(metrics[name]))}
    if wrong:
        listing = "; ".join(f"printed {name.upper()} {value:g} but the model gives {metrics[name]:.3f}"
                            for name, value in wrong.items())
        return failed(f"{listing} on your test set: compute the metrics from the endpoint's predictions",
                      printed=printed, computed={name: metrics[name] for name in names})
    return passed("the printed metrics match the model's: "
                  + ", ".join(f"{n.upper()} {printed[n][-1]:g}" for n in names),
                  printed=printed)
