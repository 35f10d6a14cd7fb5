"""One task: one student's submission graded end to end on a worker that shares nothing with the TA's
machine. The task carries the submission's bytes; the worker grades it in a scratch folder of its own
(the course data files reach each worker once, data.py) and returns the outputs (result.json, run
records, executed notebooks, report.html, gradescope.json) as bytes, with a small summary. The TA's
command writes them into DIR/<student>/ (deliver), the stamp last, so a kill at any moment loses no
finished grade and leaves no partial one.

Grading itself is grading/grade.py's, the same as `grader check`: its own emulator account, sandboxed
kernel, snapshot and the rubric through pytest. Whatever goes wrong becomes the student's result with
the reason, never a lost task: bad input (a malformed notebook) is that submission's `error`; a crash
or an overrun of the grader itself is an `error` that a later run tries again.
"""

from __future__ import annotations

import hashlib
import os
import signal
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..files import write_atomic
from ..grading.grade import RESULT_FILE
from ..grading.result import GradeResult
from ..reporting.outputs import write_submission_outputs
from ..reporting.view import status
from ..review import history
from . import store
from .ungraded import rubric_checks, ungraded_result
from .workshop import workshop

GRADESCOPE_FILE = "gradescope.json"
STAMP_FIELDS = ("status", "score", "max_score", "duration_s", "error", "failure")


class WorkerStopped(RuntimeError):
    """The batch (or the cluster) stopped this worker in the middle of a grading."""


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to grade one student: plain values and bytes, so it pickles to any
    worker, on any machine."""
    activity: str
    student: str
    files: tuple[tuple[str, bytes], ...]   # (file name, content) of each submitted file
    key: store.Key
    run: str                      # this `grader grade` run's id
    deadline_s: float             # the grading is stopped (and the worker restarted) after this long
    limits: dict
    data: str | None = None       # the batch's course data files (data.py), sent to each worker once
    staff: bool = False
    isolate: str = "required"
    warm: bool = True             # kernels forked from the worker's warm-kernel server
    environment: str | None = None
    problem: str = ""             # why discovery already knows the files cannot be graded

    @property
    def file_names(self) -> list[Path]:
        return [Path(name) for name, _ in self.files]


@dataclass
class Delivered:
    """What a task hands back: the summary for the progress display and the stamp, and every file of the
    student's output folder by its relative path."""
    summary: dict
    files: dict[str, bytes]


def summary(student: str, result: GradeResult, *, failure: str = "", reused: bool = False) -> dict:
    return {"student": student, "status": status(result), "score": result.score,
            "max_score": result.max_score, "duration_s": result.duration_s, "error": result.error,
            "failure": failure, "reused": reused}


def finish(job: Job, result: GradeResult, folder: Path, *, failure: str = "") -> dict:
    """The student's result (when grading did not write it), report and Gradescope file in `folder`."""
    if result.error:
        result.write(folder / RESULT_FILE, for_students=not job.staff)
    write_submission_outputs(result, folder, gradescope_file=folder / GRADESCOPE_FILE, staff=job.staff)
    return summary(job.student, result, failure=failure)


def stamp(folder: Path, job: Job, said: dict, *, rescored: bool = False) -> dict:
    """The stamp, last: the student's folder is complete (and says whether the result was rescored from
    stored evidence rather than a run)."""
    fields = {key: said[key] for key in STAMP_FIELDS}
    store.write_stamp(folder, job.key, job.run, {**fields, "rescored": rescored})
    return said


def make_room(out: Path, job: Job) -> Path:
    """On the TA's machine, before a student's folder takes a new grading: the previous result goes to
    their history, then the folder is emptied (the stamp first)."""
    folder = Path(out) / job.student
    history.keep(folder, stamp=store.read_stamp(folder), run=job.run)
    store.clear(folder)
    return folder


def deliver(out: Path, job: Job, delivered: Delivered) -> dict:
    """On the TA's machine: DIR/<student>/ becomes what the task returned, the stamp last."""
    folder = make_room(out, job)
    for name, content in delivered.files.items():
        target = (folder / name).resolve()
        if folder.resolve() not in target.parents:   # a worker names files inside the student's folder only
            raise ValueError(f"a task returned a file outside {job.student}'s folder: {name!r}")
        write_atomic(target, content)
    return stamp(folder, job, delivered.summary)


def record_failure(out: Path, job: Job, reason: str, duration_s: float = 0.0) -> dict:
    """On the TA's machine: the grading itself failed (not the submission): an `error` result now, tried
    again by a later run."""
    folder = make_room(out, job)
    result = ungraded_result(job.activity, job.file_names, reason, duration_s)
    return stamp(folder, job, finish(job, result, folder, failure=reason))


def _overrun_marker(job: Job) -> Path:
    """Where this machine remembers that a grading overran, so Dask's retry on the restarted worker
    reports it at once instead of overrunning again (the worker shares no folder with the TA)."""
    name = hashlib.sha256(f"{job.run}\0{job.student}\0{job.key}".encode()).hexdigest()[:24]
    return Path(tempfile.gettempdir()) / f"grader-overruns-{os.getuid()}" / name


class _Deadline:
    """Stops a grading that overruns (a hang in the grader; a notebook's own limits stop far earlier):
    the overrun is noted on this machine, then the worker process is killed, which is the only way to
    stop a thread; Dask restarts the worker and its retry of the task reports the overrun."""

    def __init__(self, job: Job):
        self.job, self.lock, self.finished = job, threading.Lock(), False
        self.started = time.monotonic()
        self.timer = threading.Timer(job.deadline_s, self._overrun)
        self.timer.daemon = True

    def _overrun(self) -> None:
        with self.lock:
            if self.finished:
                return
            marker = _overrun_marker(self.job)
            marker.parent.mkdir(mode=0o700, exist_ok=True)
            marker.write_text(f"{time.monotonic() - self.started:.1f}")
            os.kill(os.getpid(), signal.SIGKILL)

    def __enter__(self) -> _Deadline:
        self.timer.start()
        return self

    def __exit__(self, *exc) -> None:
        with self.lock:   # from here on the deadline leaves the student alone
            self.timer.cancel()
            self.finished = True


def _graded(job: Job, files: list[Path], folder: Path, started: float) -> tuple[GradeResult, str]:
    """(result, failure of the grader itself or "")."""
    from ..activities import load
    from ..grading.gather import GradingOptions
    from ..grading.grade import grade_submission

    mismatch = workshop().mismatch(job)
    if mismatch:
        return ungraded_result(job.activity, job.file_names, mismatch), mismatch
    try:
        if job.problem:
            raise UsageError(job.problem)
        options = GradingOptions(submissions=files, limits=dict(job.limits), isolate=job.isolate,
                                 data_dir=workshop().data_dir(job.data), warm=job.warm,
                                 environment=job.environment)
        return grade_submission(load(job.activity), options, folder=folder, staff=job.staff).result, ""
    except UsageError as error:   # the submission's own fault, told in one line: its grade
        return ungraded_result(job.activity, job.file_names, str(error), time.monotonic() - started), ""
    except Exception as error:    # the grader's failure: recorded, and tried again by a later run
        failure = f"the grader failed: {type(error).__name__}: {error}"
        return ungraded_result(job.activity, job.file_names, failure, time.monotonic() - started), failure


def _written(job: Job, scratch: Path) -> list[Path]:
    """The submitted files in `scratch`, each under its own name (two files may share a name)."""
    paths = []
    for index, (name, content) in enumerate(job.files):
        path = scratch / "submitted" / str(index) / Path(name).name
        path.parent.mkdir(parents=True)
        path.write_bytes(content)
        paths.append(path)
    return paths


def _collected(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*"))
            if path.is_file()}


def grade_job(job: Job) -> Delivered:
    """Runs on a worker: grades the submission in a scratch folder and returns what DIR/<student>/ is to
    hold."""
    # listed now (once per process), so a deadline never runs pytest beside the grading
    rubric_checks(job.activity)
    with tempfile.TemporaryDirectory(prefix="grader-task-") as scratch:
        folder = Path(scratch) / "out"
        folder.mkdir()
        marker = _overrun_marker(job)
        if marker.exists():   # this task's first attempt overran and took its worker down
            seconds = float(marker.read_text() or 0)
            marker.unlink()
            reason = f"grading did not finish within {job.deadline_s:g} s; its worker was restarted"
            result = ungraded_result(job.activity, job.file_names, reason, seconds)
            return Delivered(finish(job, result, folder, failure=reason), _collected(folder))
        try:
            with _Deadline(job) as deadline:
                result, failure = _graded(job, _written(job, Path(scratch)), folder, deadline.started)
        finally:
            workshop().settle()
        if workshop().closing:   # its kernels were stopped under it: no grade rather than a wrong one
            raise WorkerStopped(
                f"the worker was stopped while grading {job.student}; run the batch again to grade them")
        said = finish(job, result, folder, failure=failure)
        return Delivered(said, _collected(folder))
