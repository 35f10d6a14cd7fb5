"""Training and deployment checks: the job completed, an endpoint was created and invoked with the
test data (seen in the emulator's API log of the run)."""

from __future__ import annotations

from .evidence import Evidence
from .outcome import Outcome, failed, passed, skipped
from .training_data import decode_channel


def job_completed(ev: Evidence) -> Outcome:
    jobs = ev.linear_learner_jobs()
    if not jobs:
        return failed("no linear-learner training job in the account; create the Estimator with the linear-learner "
                      "image (get_image_uri(region, 'linear-learner')) and call fit()")
    job = ev.graded_job()
    if job.get("TrainingJobStatus") != "Completed":
        reason = job.get("FailureReason", "no reason given")
        return failed(f"training job {job['TrainingJobName']} is {job.get('TrainingJobStatus')}: {reason}",
                      job=job["TrainingJobName"], status=job.get("TrainingJobStatus"))
    return passed(f"training job {job['TrainingJobName']} completed", job=job["TrainingJobName"])


def endpoint_invoked_with_test_data(ev: Evidence) -> Outcome:
    if ev.run is None:
        return skipped("graded from account state: invocations are seen only when the grader runs the notebook")
    created = ev.calls("CreateEndpoint")
    if not created:
        return failed("no endpoint was created; deploy the model: predictor = linear.deploy(initial_instance_count=1, "
                      "instance_type='ml.m4.xlarge')")
    invoked = ev.calls("InvokeEndpoint")
    records = sum(int(call["params"].get("Records", 0)) for call in invoked)
    if not invoked:
        return failed("the endpoint was never invoked; predict on the test set: predictor.predict(X_test)")
    test, _ = decode_channel(ev, "test")
    if test is not None and records < test.count:
        return failed(f"the endpoint scored {records} records but the test set has {test.count}; predict on all of "
                      "X_test", records=records, test_records=test.count)
    return passed(f"the endpoint scored {records} records in {len(invoked)} call(s)", records=records)
