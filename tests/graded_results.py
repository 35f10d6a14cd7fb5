"""Graded results built in memory for the report tests: the shapes a real grading writes (checks with
evidence, runs with failures and timings), with hostile text where a student controls it."""

from __future__ import annotations

import random
from pathlib import Path

from grader.grading.result import CheckResult, GradeResult
from grader.reporting.results_files import GradedSubmission

SCRIPT = "<script>alert('pwned')</script>"
IMG = "<img src=x onerror=alert(1)>"
HIDDEN_ID = "housing.secret_quality_gate"
HIDDEN_TITLE = "Zebra quantum threshold nobody may see"
HIDDEN_MESSAGE = "the hidden verdict mentions platypus"


def _check(name: str, status: str = "pass", points: float = 1, **fields) -> CheckResult:
    return CheckResult(id=f"housing.{name}",
                       title=fields.pop("title", f"The {name.replace('_', ' ')} is right"),
                       status=status, points=points if status == "pass" else 0.0, max_points=points,
                       message=fields.pop("message", f"{name} looked fine"), **fields)


def _sample(records: int = 200) -> list:
    rng = random.Random(7)
    return [[round(value, 3), round(value + rng.gauss(0, 4), 3)]
            for value in (rng.uniform(5, 50) for _ in range(records))]


def solution(checks: int = 26, *, hidden: bool = True) -> GradeResult:
    """A full-marks result with `checks` checks, a regressor's picture and a hidden check."""
    made = [_check("model_quality", evidence={"rmse": 6.71, "r2": 0.52, "baseline_rmse": 9.7,
                                              "baseline_r2": -0.001, "records": 200, "sample": _sample(),
                                              "required": {"r2_min": 0.05, "rmse_max": 9.5}}, points=2),
            _check("endpoint_deleted", evidence={}, message="no endpoints left", points=2)]
    if hidden:
        made.append(_check("secret_quality_gate", title=HIDDEN_TITLE, message=HIDDEN_MESSAGE,
                           visibility="hidden", points=3,
                           evidence={"platypus": 1, "sample": _sample(20), "rmse": 1.0, "r2": 0.9}))
    while len(made) < checks:
        made.append(_check(f"step_{len(made)}", evidence={"bucket": "sagemaker-20191007-2307", "records": 404,
                                                          "keys": [f"prefix/train/part-{i}.data"
                                                                   for i in range(30)]}))
    timings = [{"cell": index, "status": "ok", "duration_s": 0.5 + index / 10} for index in range(2, 34)]
    return GradeResult(activity="housing", submission=["submissions/jdoe/boston-housing-regression.ipynb"],
                       source="notebook run on the emulator", checks=made,
                       runs=[{"notebook": "boston-housing-regression.ipynb",
                              "file": "boston-housing-regression.ipynb",
                              "sha256": "0" * 64, "cells": len(timings), "ok": len(timings), "error": 0,
                              "timeout": 0, "not_run": 0, "kernel": "finished", "synthetic_data": False,
                              "duration_s": 12.0, "failures": [], "failures_left_out": 0, "timings": timings,
                              "notes": [], "kernel_message": ""}],
                       duration_s=17.5, environment={"python": "3.11.7", "sagemaker": "2.257.7",
                                                     "moto": "5.2.5"})


def hostile() -> GradeResult:
    """A crashed run whose file name, output, code and bucket name are markup, a hidden check, a
    classifier's confusion matrix and leftovers with costs."""
    bucket = f"bucket{IMG}"
    failure = {"cell": 13, "status": "error", "execution_count": 7,
               "error": "NoSuchBucket: An error occurred (NoSuchBucket) when calling the PutObject "
                        f"operation: {SCRIPT}",
               "line": 2, "code": f"upload('{IMG}')",
               "call": {"operation": "PutObject", "error": "NoSuchBucket", "params": {"Bucket": bucket}},
               "value": {"value": bucket, "cell": 5, "line": 1, "code": f'bucket = "{bucket}"',
                         "note": f"not a valid bucket name {SCRIPT}"},
               "caused_by": None, "source": f"print('{SCRIPT}')\nupload('{IMG}')",
               "output": f"{SCRIPT}\n\x1b[31mred\x1b[0m and a bell\x07", "traceback": f"Traceback\n{IMG}",
               "notes": [SCRIPT]}
    follower = {**failure, "cell": 15, "execution_count": 8, "error": "NameError: name 'data' is not defined",
                "value": None, "call": None, "caused_by": 13}
    blocked = {"notebook": f"{IMG}.ipynb", "cell": 13, "error": failure["error"]}
    checks = [
        _check("bucket_name_valid", "fail", message=f"bucket name '{bucket}' is not valid {SCRIPT}",
               evidence={"bucket": bucket}, blocked_by=blocked),
        _check("training_job_completed", "fail", 2, message="no training job", blocked_by=blocked),
        _check("model_quality", "pass", 2, evidence={"accuracy": 0.74, "baseline_accuracy": 0.7,
                                                     "confusion_matrix": [[120, 20], [32, 28]],
                                                     "records": 200, "required": {"accuracy_min": 0.71}}),
        _check("endpoint_deleted", "fail", 2, message=f"1 of the endpoints still exists: {SCRIPT}",
               evidence={"leftovers": [{"name": f"endpoint\x07{IMG}", "region": "us-west-2",
                                        "note": "InService", "cost_per_hour": 0.24},
                                       {"name": "mystery", "region": "us-east-1", "note": "",
                                        "cost_per_hour": None}]}),
        _check("billing_access", "manual", 1, message="a person checks this"),
        _check("secret_quality_gate", "fail", 3, title=HIDDEN_TITLE, message=HIDDEN_MESSAGE,
               visibility="hidden", evidence={"platypus": SCRIPT}, blocked_by=blocked),
    ]
    return GradeResult(activity="housing", submission=[f"uploads/{IMG}.ipynb"],
                       source="notebook run on the emulator",
                       checks=checks, synthetic_data=True, duration_s=21.25, environment={"python": "3.11.7"},
                       runs=[{"notebook": f"{IMG}.ipynb", "file": f"{SCRIPT}.ipynb", "sha256": "1" * 64,
                              "cells": 20, "ok": 17, "error": 2, "timeout": 0, "not_run": 1, "kernel": "died",
                              "synthetic_data": True,
                              "duration_s": 15.0, "failures": [failure, follower], "failures_left_out": 0,
                              "timings": [{"cell": 13, "status": "error", "duration_s": 0.3}],
                              "notes": [f"cell 3: {SCRIPT}"], "kernel_message": f"the kernel died {IMG}"}])


def class_of(count: int) -> list[GradedSubmission]:
    """`count` students: every third crashed like hostile(), the rest solutions with some checks failed."""
    made = []
    for number in range(count):
        result = solution(26) if number % 3 else hostile()
        for check in result.checks[number % 7:]:
            if number % 2 and check.status == "pass":
                check.status, check.points = "fail", 0.0
        made.append(GradedSubmission(f"student-{number:03d}", result, Path(f"/results/{number}/result.json")))
    return made
