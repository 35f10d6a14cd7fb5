"""A batch asks every run to be sandboxed: a worker whose machine cannot sandbox must refuse to run a
student's code, with its reason, rather than run it unsandboxed (the option once got lost on the way
from the batch job to the run). And an option given to `grade_submission()` reaches the run as given."""

import json
from pathlib import Path

import pytest

import grader.sandbox
from grader.activities import load
from grader.batch import store
from grader.batch.task import Job, deliver, grade_job
from grader.grading.gather import GradingOptions
from grader.grading.grade import RESULT_FILE, grade_submission
from grader.sandbox import IsolationUnavailable

pytestmark = pytest.mark.slow
IAM = load("iam-user")
NO_SANDBOX = "forced for this test: no user namespaces here"


@pytest.fixture
def machine_without_a_sandbox(monkeypatch):
    monkeypatch.setattr(grader.sandbox, "isolation_problem", lambda: NO_SANDBOX)


def test_a_worker_that_cannot_sandbox_refuses_the_student_and_runs_nothing(
        machine_without_a_sandbox, tmp_path):
    """Attack: a student's notebook reaches a worker where namespaces are unavailable. Verdict: no kernel
    runs; the student's result says the worker could not sandbox (a failure of the grader, retried later)."""
    solution = IAM.notebook("solution")
    version = store.grading_version(IAM, limits={}, data_dir=None, staff=False, isolate="required")
    job = Job(activity=IAM.id, student="alice", files=((solution.name, solution.read_bytes()),),
              key=store.Key(store.submission_sha256([solution]), version), run="run-1", deadline_s=600,
              limits={}, warm=False)
    said = deliver(tmp_path, job, grade_job(job))
    assert said["failure"].startswith("the grader failed: IsolationUnavailable: this machine cannot isolate")
    assert NO_SANDBOX in said["failure"] and said["score"] == 0
    result = json.loads((tmp_path / "alice" / RESULT_FILE).read_text())
    assert result["runs"] == [] and NO_SANDBOX in result["error"]
    assert not list((tmp_path / "alice").glob("*.run.json"))   # no notebook ran


def test_grade_refuses_when_the_sandbox_is_required_and_missing(machine_without_a_sandbox, tmp_path):
    options = GradingOptions(submissions=[IAM.notebook("solution")], isolate="required", warm=False)
    with pytest.raises(IsolationUnavailable, match=NO_SANDBOX):
        grade_submission(IAM, options, folder=tmp_path / "out")
    assert not (tmp_path / "out" / RESULT_FILE).exists()


def test_the_isolate_option_reaches_the_run(tmp_path):
    options = GradingOptions(submissions=[IAM.notebook("solution")], isolate="off", warm=False)
    graded = grade_submission(IAM, options, folder=tmp_path / "out")
    assert graded.result.unisolated == "isolation turned off"
    record = json.loads(next(Path(tmp_path / "out").glob("*.run.json")).read_text())
    assert record["sandbox"]["isolated"] is False
