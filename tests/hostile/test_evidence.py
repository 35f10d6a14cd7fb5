"""Forged evidence at the checks: the checks read only what the emulator did (facts of executed
calls, the trainer's record of the models it wrote), so a log entry, a job status or a model file
the notebook made earns nothing. Checks are pure functions, so these tests build the evidence."""

import base64
import copy
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from grader import recordio
from grader.activities import load
from grader.checks import cleanup, deployment, metrics, notebook_instance
from grader.checks.evidence import Evidence
from grader.execution.record import RunRecord
from grader.linear_learner.model import LinearModel

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "snapshots"
BUCKET, PREFIX = "sagemaker-20191007-2307", "boston-housing-regression"
MODEL_URL = f"s3://{BUCKET}/{PREFIX}/output/job-1/output/model.tar.gz"


def _object(key: str, body: bytes) -> dict:
    return {"Key": key, "Size": len(body), "content_base64": base64.b64encode(body).decode(),
            "content_truncated": False}


def _data():
    rng = np.random.default_rng(3)
    x = rng.uniform(4, 9, size=(506, 1)).astype(np.float32)
    y = (9 * x[:, 0] - 35 + rng.normal(0, 3, size=506)).astype(np.float32)
    return x[:404], y[:404], x[404:], y[404:]


TRAINED = LinearModel("regressor", "absolute_loss", 1, [[9.0]], [-35.0]).to_artifact()
# "fitted on the test set"
FORGED = LinearModel("regressor", "squared_loss", 1, [[9.1]], [-35.5]).to_artifact()


def _evidence(artifact: bytes = TRAINED, trainer: list | None = None, api_log: list | None = None,
              runs: bool = True, data: tuple | None = None) -> Evidence:
    """A housing run whose job completed and whose endpoint scored the test set, unless told otherwise."""
    x_train, y_train, x_test, y_test = data or _data()
    job = {"TrainingJobName": "job-1", "TrainingJobStatus": "Completed",
           "CreationTime": "2026-12-01T00:00:00",
           "AlgorithmSpecification": {
               "TrainingImage": "174872318107.dkr.ecr.us-west-2.amazonaws.com/linear-learner:1"},
           "HyperParameters": {"feature_dim": "1", "predictor_type": "regressor"},
           "InputDataConfig": [{"ChannelName": name, "DataSource": {"S3DataSource": {
               "S3Uri": f"s3://{BUCKET}/{PREFIX}/{name}/linear_{name}.data"}}} for name in ("train", "test")],
           "ModelArtifacts": {"S3ModelArtifacts": MODEL_URL}}
    objects = [_object(f"{PREFIX}/train/linear_train.data", recordio.write_dense(x_train, y_train)),
               _object(f"{PREFIX}/test/linear_test.data", recordio.write_dense(x_test, y_test)),
               _object(f"{PREFIX}/output/job-1/output/model.tar.gz", artifact)]
    snapshot = {"schema": "grader.account-snapshot/1", "regions": ["us-west-2", "us-east-1"], "errors": [],
                "iam": {}, "s3": {"buckets": [{"Name": BUCKET, "Region": "us-west-2", "objects": objects}]},
                "sagemaker": {"us-west-2": {"training_jobs": [job], "endpoints": []},
                              "us-east-1": {"endpoints": []}},
                "trainer": trainer if trainer is not None else [
                    {"job": "job-1", "url": MODEL_URL, "sha256": hashlib.sha256(TRAINED).hexdigest()}]}
    if api_log is None:
        api_log = [{"operation": "CreateEndpoint", "status": 200, "params": {"EndpointName": "ep"},
                    "facts": {"EndpointName": "ep", "TrainingJob": "job-1"}},
                   {"operation": "InvokeEndpoint", "status": 200, "params": {"EndpointName": "ep"},
                    "facts": {"EndpointName": "ep", "Records": 102, "TrainingJob": "job-1",
                              "ModelDataUrl": MODEL_URL}}]
    record = RunRecord(activity="housing", submission={"name": "housing.ipynb"}, account={}, limits={},
                       api_log=api_log)
    return Evidence(load("housing"), snapshot, [record] if runs else [])


def test_honest_evidence_passes():
    """Control: the same evidence, untouched, passes every check these tests attack."""
    ev = _evidence()
    assert deployment.job_completed(ev).status == "pass"
    assert deployment.endpoint_invoked_with_test_data(ev).status == "pass"
    assert metrics.model_quality(ev).status == "pass"


def test_a_nan_label_in_the_test_set_earns_no_model_or_printed_metrics_points():
    """Attack: one NaN label uploaded in the test set. RMSE and R2 are then NaN, and every comparison
    with NaN is false, so a useless model 'passed' its thresholds and any printed metrics 'matched'
    (27/27 was shown). Verdict: both checks fail, saying the data holds values that are not numbers."""
    x_train, y_train, x_test, y_test = _data()
    y_test = y_test.copy()
    y_test[0] = np.nan
    ev = _evidence(data=(x_train, y_train, x_test, y_test))
    for check in (metrics.model_quality, metrics.printed_metrics_agree):
        outcome = check(ev)
        assert outcome.status == "fail"
        assert "test labels hold 1 value(s) that are not numbers" in outcome.message


def test_log_entries_with_client_fields_only_earn_nothing():
    """Attack: CreateEndpoint / InvokeEndpoint {"Records": N} entries carrying only what a client
    sent (the old log copied it into params). Verdict: no endpoint created, never invoked."""
    forged = [{"operation": "CreateEndpoint", "status": 200, "params": {"EndpointName": "ep"}},
              {"operation": "InvokeEndpoint", "status": 200,
               "params": {"EndpointName": "ep", "Records": 102}}]
    outcome = deployment.endpoint_invoked_with_test_data(_evidence(api_log=forged))
    assert outcome.status == "fail" and "no endpoint was created" in outcome.message


def test_calls_that_did_not_execute_earn_nothing():
    """Attack: refused requests (4xx) that named the operations the check looks for."""
    refused = [{"operation": op, "status": 400, "params": {}, "facts": {"EndpointName": "ep", "Records": 102}}
               for op in ("CreateEndpoint", "InvokeEndpoint")]
    assert deployment.endpoint_invoked_with_test_data(_evidence(api_log=refused)).status == "fail"


def test_endpoint_serving_a_model_no_job_wrote_fails():
    """Attack: deploy a model.tar.gz the notebook uploaded (scikit-learn on the test set)."""
    api_log = [{"operation": "CreateEndpoint", "status": 200,
                "facts": {"EndpointName": "ep", "TrainingJob": None}},
               {"operation": "InvokeEndpoint", "status": 200,
                "facts": {"Records": 102, "TrainingJob": None, "ModelDataUrl": "s3://b/forged/model.tar.gz"}}]
    outcome = deployment.endpoint_invoked_with_test_data(_evidence(api_log=api_log))
    assert outcome.status == "fail" and "no training job of this run wrote" in outcome.message


def test_artifact_replaced_after_training_fails_model_quality():
    """Attack: overwrite the job's model.tar.gz with a better model fitted elsewhere."""
    outcome = metrics.model_quality(_evidence(artifact=FORGED))
    assert outcome.status == "fail" and "replaced after training" in outcome.message


def test_completed_job_the_trainer_never_ran_fails():
    """Attack: a job whose status says Completed (moto's default) with no trainer record."""
    ev = _evidence(trainer=[])
    assert deployment.job_completed(ev).status == "fail"
    assert "trainer never completed it" in deployment.job_completed(ev).message
    assert metrics.model_quality(ev).status == "fail"


def test_unreadable_artifact_from_a_run_fails_never_manual():
    """Attack: a model.tar.gz that is not a model (the grader could not load it and said MANUAL)."""
    garbage = b"\x1f\x8b not really gzip"
    ev = _evidence(artifact=garbage, trainer=[{"job": "job-1", "url": MODEL_URL,
                                               "sha256": hashlib.sha256(garbage).hexdigest()}])
    outcome = metrics.model_quality(ev)
    assert outcome.status == "fail" and "cannot be read" in outcome.message
    # a live account
    assert metrics.model_quality(_evidence(artifact=garbage, runs=False)).status == "manual"


@pytest.mark.parametrize("check", [
    lambda ev: cleanup.nothing_left(ev, "endpoints"),
    lambda ev: cleanup.nothing_left(ev, "notebook_instances"),
])
def test_region_the_snapshot_did_not_read_is_unknown_never_clean(check):
    """Attack: a snapshot that never recorded us-east-1 (where console work lands by default), which
    graded cleanup as clean there. Verdict: error (unknown), naming the region."""
    snapshot = json.loads((FIXTURES / "cleanup" / "solution.json").read_text())
    ev = Evidence(load("cleanup"), snapshot)
    assert check(ev).status == "pass"   # control: both regions read
    partial = copy.deepcopy(snapshot)
    partial["regions"] = ["us-west-2"]
    outcome = check(Evidence(load("cleanup"), partial))
    assert outcome.status == "error" and "us-east-1" in outcome.message
    missing = copy.deepcopy(snapshot)
    del missing["sagemaker"]["us-east-1"]
    assert check(Evidence(load("cleanup"), missing)).status == "error"


def test_notebook_instance_missing_where_read_and_a_region_unread_is_unknown():
    snapshot = json.loads((FIXTURES / "sagemaker-notebook" / "notebook_in_us_east_1.json").read_text())
    assert notebook_instance.instance_type(Evidence(load("sagemaker-notebook"), snapshot)).status == "pass"
    del snapshot["sagemaker"]["us-east-1"]
    outcome = notebook_instance.instance_type(Evidence(load("sagemaker-notebook"), snapshot))
    assert outcome.status == "error" and "us-east-1" in outcome.message
