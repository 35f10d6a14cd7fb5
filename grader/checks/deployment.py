"""Training and deployment checks: the job completed, an endpoint was created and invoked with the
test data (seen in the emulator's API log of the run: what the server did, never what a client
said), serving a model the emulator's trainer wrote."""

from __future__ import annotations

from .evidence import NO_JOB, Evidence
from .outcome import Outcome, failed, passed, skipped
from .training_data import decode_channel


def _why_not_completed(job: dict) -> str:
    transitions = job.get("SecondaryStatusTransitions") or [{}]
    return job.get("FailureReason") or transitions[-1].get("StatusMessage") or "no reason given"


def job_completed(ev: Evidence) -> Outcome:
    jobs = ev.linear_learner_jobs()
    if not jobs:
        return failed(NO_JOB)
    job = ev.graded_job()
    name, status = job["TrainingJobName"], job.get("TrainingJobStatus")
    if status != "Completed":
        return failed(f"training job {name} is {status}: {_why_not_completed(job)}", job=name, status=status)
    if ev.runs and ev.trained_model(job) is None:
        return failed(f"training job {name} is marked Completed but the emulator's trainer never "
                      "completed it; "
                      "train with estimator.fit()", job=name)
    return passed(f"training job {name} completed", job=name)


def endpoint_invoked_with_test_data(ev: Evidence) -> Outcome:
    if ev.run is None:
        return skipped("graded from account state: invocations are seen only when the grader runs the "
                       "notebook")
    if not [facts for facts in ev.facts("CreateEndpoint") if facts.get("EndpointName")]:
        return failed("no endpoint was created; deploy the model: predictor = "
                      "linear.deploy(initial_instance_count=1, "
                      "instance_type='ml.m4.xlarge')")
    invoked = [facts for facts in ev.facts("InvokeEndpoint") if "Records" in facts]
    if not invoked:
        return failed("the endpoint was never invoked; predict on the test set: predictor.predict(X_test)")
    trained = [facts for facts in invoked if facts.get("TrainingJob")]
    if not trained:
        served = sorted({str(facts.get("ModelDataUrl")) for facts in invoked})
        return failed(f"the endpoint served {', '.join(served)}, a model no training job of this run "
                      "wrote; deploy "
                      "the model that fit() trained (predictor = estimator.deploy(...))", models=served)
    records = sum(int(facts.get("Records", 0)) for facts in trained)
    test, _ = decode_channel(ev, "test")
    if test is not None and records < test.count:
        return failed(f"the endpoint scored {records} records but the test set has {test.count}; "
                      "predict on all of "
                      "X_test", records=records, test_records=test.count)
    return passed(f"the endpoint scored {records} records in {len(trained)} call(s)", records=records)
