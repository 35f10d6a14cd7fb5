"""`grader grade --rescore`: after a rubric change (points, thresholds, a check added or removed), each
student whose submission is unchanged is graded again from the evidence their last run left in
DIR/<student>/ (run records and the account's snapshot: grading/gather.py's stored evidence), in this
process and without starting any kernel, as Gradescope applies a rubric change to every graded
submission. A student that needs new evidence (a changed submission, a change of the code or settings
that run notebooks, evidence not kept or incomplete, a grading that failed) is named with the reason
and graded by running, as without --rescore."""

from __future__ import annotations

import time
from pathlib import Path

from ..errors import UsageError
from ..grading.gather import EVIDENCE_SNAPSHOT
from ..grading.grade import RESULT_FILE
from ..grading.result import GradeResult
from ..review import history
from . import store
from .task import Job, finish, stamp

LISTED = 20


def needs_a_run(out: Path, job: Job) -> str:
    """Why this student cannot be rescored from stored evidence ("" when they can)."""
    folder = Path(out) / job.student
    stamp = store.read_stamp(folder)
    if stamp is None or not (folder / RESULT_FILE).is_file():
        return "not graded yet"
    if stamp.get("submission") != job.key.submission:
        return "the submission changed"
    if stamp.get("failure"):
        return "its last grading failed"
    if not stamp.get("evidence"):
        return "graded before the grader kept evidence"
    if stamp["evidence"] != job.key.evidence:
        return "the code or settings that run notebooks changed: new evidence is needed"
    try:
        result = GradeResult.read(folder / RESULT_FILE)
    except (OSError, ValueError, KeyError, TypeError):
        return "its result cannot be read"
    if result.error or not result.runs:
        return "it was not graded from a run"
    records = [folder / f"{Path(run['notebook']).stem}.run.json" for run in result.runs]
    if not (folder / EVIDENCE_SNAPSHOT).is_file() or not all(path.is_file() for path in records):
        return "its stored evidence is incomplete"
    return ""


def rescore(out: Path, job: Job, files: list[Path], data_dir: Path | None) -> dict:
    """Grade the student's stored evidence (`files`: their submission on this machine) with the current
    rubric; the previous result goes to their history. Returns the summary of what DIR/<student>/ now
    holds."""
    from ..activities import load
    from ..grading.gather import GradingOptions
    from ..grading.grade import grade_submission

    folder = Path(out) / job.student
    history.keep(folder, stamp=store.read_stamp(folder), run=job.run)
    options = GradingOptions(submissions=list(files), limits=dict(job.limits), isolate=job.isolate,
                             environment=job.environment, evidence_from=folder, data_dir=data_dir)
    result = grade_submission(load(job.activity), options, folder=folder, staff=job.staff).result
    return stamp(folder, job, finish(job, result, folder), rescored=True)


def rescore_all(out: Path, jobs: list[Job], files: dict[str, list[Path]],
                data_dir: Path | None) -> tuple[list[dict], list[tuple[Job, str]], str]:
    """(summaries of those rescored, (job, why) for those that need a run, what to print). A rescore that
    fails sends the student to be graded by running. `files`: each student's submitted files."""
    started = time.perf_counter()
    done, to_run = [], []
    for job in jobs:
        why = needs_a_run(out, job)
        if not why:
            try:
                done.append(rescore(out, job, files[job.student], data_dir))
                continue
            except UsageError as error:
                why = f"its stored evidence could not be graded ({error})"
        to_run.append((job, why))
    seconds = time.perf_counter() - started
    lines = [f"rescored {len(done)} student(s) from their stored evidence in {seconds:.1f} s "
             f"(no notebook was run); {len(to_run)} to grade by running"]
    lines += [f"  {job.student}: {why}" for job, why in to_run[:LISTED]]
    if len(to_run) > LISTED:
        lines.append(f"  ... and {len(to_run) - LISTED} more")
    return done, to_run, "\n".join(lines)
