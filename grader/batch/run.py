"""`grader grade`: a class in one command. Refuse what cannot work before anything runs (an unknown
activity, bad limits, a machine that cannot sandbox, another activity's output folder), find the
students, leave out those already graded with the same inputs, grade the rest as Dask tasks with a
progress display, then review every result (staff's adjustments, the late policy, flags: grader/review/)
and write the class summary and exports and print one screen of summary."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..activities import Activity, load
from ..canvas import gradebook_option
from ..errors import UsageError, require_dir
from ..execution import default_limits, environments
from ..execution.run import KERNEL_START_GRACE_S
from ..reporting.canvas_import import place
from ..review.adjustments import ADJUSTMENTS_FILE, read_adjustments
from ..review.flags import content_flags
from ..review.history import latest_changes
from ..review.late import LatePolicy
from ..review.similarity import similar_pairs, similar_students, write_pairs
from ..review.stage import review_class, write_facts
from ..roster import read_pairs
from . import store
from .data import course_data, data_id, data_plugin
from .discovery import discover
from .executor import DaskExecutor
from .progress import BatchProgress
from .rescore import rescore_all
from .summary import class_submissions, terminal_summary, write_class_outputs
from .task import Job, deliver, grade_job, record_failure

UNPACKED = ".unpacked"           # LMS zips are unpacked here, inside DIR
GRADING_MARGIN_S = 300.0         # beyond the notebooks' own limits: imports, snapshot, rubric, reports


@dataclass
class BatchOptions:
    activity: str
    submissions: Path
    out: Path
    workers: int | None = None
    scheduler: str | None = None
    dashboard: bool = False
    resume: bool = False
    regrade: bool = False
    roster: Path | None = None
    staff: bool = False
    allow_unisolated: bool = False
    data_dir: Path | None = None
    limits: dict = field(default_factory=dict)
    warm: bool = True
    environment: str | None = None
    canvas_gradebook: Path | None = None
    canvas_assignment: str | None = None
    rescore: bool = False               # grade stored evidence with the current rubric where it can
    prefer: str = "last"                # of several submissions of one notebook, grade the last or the first
    due: str | None = None              # the late policy (grader/review/late.py); kept in DIR for later runs
    late_penalty: str | None = None


def _isolation(allow_unisolated: bool) -> str:
    from ..sandbox import isolation_problem

    if allow_unisolated:
        return "auto"
    problem = isolation_problem()
    if problem:
        raise UsageError(f"this machine cannot sandbox graded runs ({problem}); grade a class on a Linux "
                         "machine with namespaces, or pass --allow-unisolated to run students' code "
                         "unsandboxed")
    return "required"


def _deadline(activity: Activity, limits: dict) -> float:
    run_limits = default_limits(activity).with_overrides(**limits)
    return (len(activity.notebooks) * (run_limits.notebook_wall_seconds + KERNEL_START_GRACE_S)
            + GRADING_MARGIN_S)


def grade_class(options: BatchOptions) -> int:
    activity = load(options.activity)
    data_dir = require_dir(options.data_dir, "--data-dir")
    data_dir = data_dir.resolve() if data_dir else None
    deadline = _deadline(activity, options.limits)     # refuses bad limits
    isolate = _isolation(options.allow_unisolated)
    # an unknown name refused, a first build made once here rather than in every worker
    if options.environment:
        environments.get(options.environment)
    if options.workers is not None and options.workers < 1:
        raise UsageError("--workers must be at least 1")
    if options.rescore and options.regrade:
        raise UsageError("--rescore grades stored evidence again and --regrade runs every notebook again: "
                         "give one")
    if options.scheduler and options.workers:
        raise UsageError(
            "--workers sizes the embedded cluster; a running cluster (--scheduler) has its own workers")
    roster = read_pairs(options.roster, "id", "name") if options.roster else None
    gradebook = gradebook_option(options.canvas_gradebook, options.canvas_assignment)
    policy = LatePolicy.given(options.due, options.late_penalty)
    out, submissions = options.out.resolve(), options.submissions.resolve()
    if out == submissions or submissions in out.parents or out in submissions.parents:
        raise UsageError(f"--out {options.out} and {options.submissions} overlap; give an output folder "
                         "apart from the submissions (grading empties each student's output folder)")
    found = discover(activity, options.submissions, unpack_into=out / UNPACKED, roster=roster,
                     prefer=options.prefer)
    store.claim(out, activity, resume=options.resume)   # makes --out: nothing is made for bad input
    store.remove_partial_files(out)
    if policy:
        policy.save(out)
    policy = policy or LatePolicy.saved(out)
    read_adjustments(out / ADJUSTMENTS_FILE)   # a file that cannot be read stops us before anything is graded
    version = store.grading_version(activity, limits=options.limits, data_dir=data_dir, staff=options.staff,
                                    isolate=isolate, environment=options.environment)
    evidence = store.evidence_version(activity, limits=options.limits, data_dir=data_dir, isolate=isolate,
                                      environment=options.environment)
    run = f"{datetime.now():%Y%m%dT%H%M%S}-{secrets.token_hex(2)}"
    data = course_data(activity, data_dir)
    jobs = []
    for work in found.students:
        key = store.Key(store.submission_sha256(work.files), version, evidence)
        if not options.regrade and store.is_current(out / work.student, key):
            continue
        jobs.append(Job(activity=activity.id, student=work.student,
                        files=tuple((path.name, path.read_bytes()) for path in work.files), key=key, run=run,
                        deadline_s=deadline, limits=dict(options.limits), data=data_id(data),
                        staff=options.staff, isolate=isolate, warm=options.warm,
                        environment=options.environment, problem=work.problem))
    reused = len(found.students) - len(jobs)
    print(f"{activity.id}: {len(found.students)} student(s) in {options.submissions}; {len(jobs)} to grade, "
          f"{reused} already graded with the same inputs; results in {out}", flush=True)
    graded_here, done_before = {job.student for job in jobs}, reused
    if options.rescore and jobs:
        rescored, to_run, said = rescore_all(out, jobs, {work.student: work.files for work in found.students},
                                             data_dir)
        print(said, flush=True)
        jobs, done_before = [job for job, _ in to_run], reused + len(rescored)
    if jobs:
        _grade(jobs, options, out, data, total=len(found.students), reused=done_before)
    for work in found.students:
        if (out / work.student).is_dir():
            write_facts(out / work.student, {**work.facts(), "content": content_flags(activity, work.files)})
    pairs = similar_pairs(activity, {work.student: work.files for work in found.students})
    write_pairs(out, pairs)
    results = review_class(class_submissions(out, found), adjustments_file=out / ADJUSTMENTS_FILE,
                           policy=policy, similar=similar_students(pairs), write=True, fresh=graded_here,
                           run=run)
    changes = latest_changes(results, store.read_stamp)
    placement = place(results, gradebook, keep_names=roster is not None) if gradebook else None
    written = write_class_outputs(out, results, found, staff=options.staff, canvas=placement, changes=changes,
                                  similar=pairs)
    now = {student: change for student, change in changes.items() if change["run"] == run}
    print(terminal_summary(results, found, written, graded_now=len(graded_here), reused=reused,
                           canvas=placement, changes=now))
    return 0


def _grade(jobs: list[Job], options: BatchOptions, out: Path, data: dict[str, bytes], *, total: int,
           reused: int) -> None:
    """Tasks carry the submissions and return the outputs; this machine writes every file of DIR."""
    started, finished = time.monotonic(), 0
    plugins = [data_plugin(data)] if data else []
    with DaskExecutor(workers=options.workers, scheduler=options.scheduler, dashboard=options.dashboard,
                      plugins=plugins) as executor, \
            BatchProgress(out, total=total, already=reused) as progress:
        progress.say(f"grading on {executor.describe()}")
        progress.event("start", run=jobs[0].run, activity=jobs[0].activity, students=total,
                       to_grade=len(jobs), already_graded=reused)
        try:
            for done in executor.run(grade_job, jobs):
                progress.finished(deliver(out, done.job, done.summary) if done.summary is not None
                                  else record_failure(out, done.job, done.lost))
                finished += 1
        except KeyboardInterrupt:
            progress.event("end", outcome="interrupted", graded=finished,
                           seconds=round(time.monotonic() - started, 1))
            progress.say(f"stopped: the {finished} submission(s) graded in this run are kept in {out}; "
                         "run the same command again to grade the rest")
            raise
        progress.event("end", outcome="complete", graded=finished,
                       seconds=round(time.monotonic() - started, 1))
