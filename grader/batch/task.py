"""One task: one student's submission graded end to end on a worker, its outputs written into
DIR/<student>/ there (result.json, run records, executed notebooks, report.html, gradescope.json) and
the stamp last, so nothing lives only in a worker's memory and a kill at any moment loses no
finished grade. The task returns only a small summary for the progress display.

Grading itself is grading/grade.py's, the same as `grader check`: its own emulator account, sandboxed
kernel, snapshot and the rubric through pytest. Whatever goes wrong becomes the student's result with
the reason, never a lost task: bad input (a malformed notebook) is that submission's `error`; a crash
or an overrun of the grader itself is an `error` that a later run tries again.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..grading.grade import RESULT_FILE
from ..grading.result import GradeResult
from ..reporting.outputs import write_submission_outputs
from ..reporting.view import status
from . import store
from .ungraded import rubric_checks, ungraded_result
from .workshop import workshop

GRADESCOPE_FILE = "gradescope.json"


class WorkerStopped(RuntimeError):
    """The batch (or the cluster) stopped this worker in the middle of a grading."""


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to grade one student: plain values, so it pickles to any worker."""
    activity: str
    student: str
    files: tuple[str, ...]
    folder: str                   # DIR/<student>, on a file system the worker shares
    key: store.Key
    run: str                      # this `grader grade` run's id
    deadline_s: float             # the grading is stopped (and the worker restarted) after this long
    limits: dict
    data_dir: str | None = None
    staff: bool = False
    isolate: str = "required"
    warm: bool = True             # kernels forked from the worker's warm-kernel server
    environment: str | None = None
    problem: str = ""             # why discovery already knows the files cannot be graded


def summary(student: str, result: GradeResult, *, failure: str = "", reused: bool = False) -> dict:
    return {"student": student, "status": status(result), "score": result.score, "max_score": result.max_score,
            "duration_s": result.duration_s, "error": result.error, "failure": failure, "reused": reused}


def write_outputs(job: Job, result: GradeResult, *, failure: str = "") -> dict:
    """The student's result (when grading did not write it), report, Gradescope file and, last, the stamp."""
    folder = Path(job.folder)
    if result.error:
        result.write(folder / RESULT_FILE, for_students=not job.staff)
    write_submission_outputs(result, folder, gradescope_file=folder / GRADESCOPE_FILE, staff=job.staff)
    said = summary(job.student, result, failure=failure)
    store.write_stamp(folder, job.key, job.run, {key: said[key] for key in ("status", "score", "max_score",
                                                                             "duration_s", "error", "failure")})
    return said


def record_failure(job: Job, reason: str, duration_s: float = 0.0) -> dict:
    """The grading itself failed (not the submission): an `error` result now, tried again by a later run."""
    result = ungraded_result(job.activity, [Path(path) for path in job.files], reason, duration_s)
    return write_outputs(job, result, failure=reason)


class _Deadline:
    """Stops a grading that overruns (a hang in the grader; a notebook's own limits stop far earlier):
    the failure is recorded for the student, then the worker process is killed, which is the only way
    to stop a thread; Dask restarts the worker and its retry of the task finds the failure recorded."""

    def __init__(self, job: Job):
        self.job, self.lock, self.finished = job, threading.Lock(), False
        self.started = time.monotonic()
        self.timer = threading.Timer(job.deadline_s, self._overrun)
        self.timer.daemon = True

    def _overrun(self) -> None:
        with self.lock:
            if self.finished:
                return
            record_failure(self.job, f"grading did not finish within {self.job.deadline_s:g} s; its worker was "
                                     "restarted", time.monotonic() - self.started)
            os.kill(os.getpid(), signal.SIGKILL)

    def __enter__(self) -> "_Deadline":
        self.timer.start()
        return self

    def __exit__(self, *exc) -> None:
        with self.lock:   # from here on the deadline leaves the student alone
            self.timer.cancel()
            self.finished = True


def _graded(job: Job, started: float) -> tuple[GradeResult, str]:
    """(result, failure of the grader itself or "")."""
    from ..activities import load
    from ..grading.gather import GradingOptions
    from ..grading.grade import grade_submission

    files = [Path(path) for path in job.files]
    mismatch = workshop().mismatch(job)
    if mismatch:
        return ungraded_result(job.activity, files, mismatch), mismatch
    try:
        if job.problem:
            raise UsageError(job.problem)
        options = GradingOptions(submissions=files, limits=dict(job.limits), isolate=job.isolate,
                                 data_dir=Path(job.data_dir) if job.data_dir else None, warm=job.warm,
                                 environment=job.environment)
        graded = grade_submission(load(job.activity), options, folder=Path(job.folder), staff=job.staff)
        return graded.result, ""
    except UsageError as error:   # the submission's own fault, told in one line: its grade
        return ungraded_result(job.activity, files, str(error), time.monotonic() - started), ""
    except Exception as error:    # the grader's failure: recorded, and tried again by a later run
        failure = f"the grader failed: {type(error).__name__}: {error}"
        return ungraded_result(job.activity, files, failure, time.monotonic() - started), failure


def recorded(job: Job) -> dict | None:
    """The summary of what this run already recorded for the student (a retried task whose first
    attempt finished, or whose deadline recorded a failure), else None."""
    folder = Path(job.folder)
    if not store.stamped_by(folder, job.key, job.run):
        return None
    return summary(job.student, GradeResult.read(folder / RESULT_FILE),
                   failure=store.read_stamp(folder).get("failure", ""), reused=True)


def grade_job(job: Job) -> dict:
    """Runs on a worker. Returns the summary of what DIR/<student>/ now holds."""
    already = recorded(job)
    if already:
        return already
    folder = Path(job.folder)
    store.clear(folder)
    rubric_checks(job.activity)   # listed now (once per process), so a deadline never runs pytest beside the grading
    try:
        with _Deadline(job) as deadline:
            result, failure = _graded(job, deadline.started)
    finally:
        workshop().settle()
    if workshop().closing:   # its kernels were stopped under it: no grade rather than a wrong one
        store.clear(folder)
        raise WorkerStopped(f"the worker was stopped while grading {job.student}; run the batch again to grade them")
    return write_outputs(job, result, failure=failure)
