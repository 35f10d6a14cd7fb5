"""The `grader` command line."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from .errors import UsageError
from .terminal import inert


def _serve(args) -> int:
    from .emulator import Emulator, client_environment, write_env_file
    from .serve import create_buckets, install_kernels, kernel_names, require_bucket_names

    # reads the notebooks: bad input stops us before the emulator starts
    kernels = kernel_names(args.notebook)
    require_bucket_names(args.bucket)
    try:
        emulator = Emulator(port=args.port).start()
    except OSError as error:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.port} ({error.strerror}); "
                         "choose another --port or 0") from None
    try:
        account = emulator.new_account(args.region)
        env = client_environment(emulator.url, account, loopback_only=not args.allow_network)
        if args.env_file:
            write_env_file(args.env_file, env)
        print(
            f"Emulated AWS listening on {emulator.url} (account {account.account_id}, region {args.region}).")
        print("Use this environment in the process that runs your notebook"
              + (f" (written to {args.env_file}):" if args.env_file else ":"))
        for key, value in env.items():
            print(f"  export {key}={value}")
        for item in create_buckets(account, args.region, args.bucket, args.notebook):
            print(
                f"Bucket {item['name']} {'created' if item['created'] else 'not created'}: {item['reason']}.")
        if args.install_kernels:
            jupyter_dir = args.install_kernels.expanduser().resolve()
            install_kernels(jupyter_dir, kernels, env)
            print(f"Jupyter kernels {', '.join(kernels)} written to {jupyter_dir / 'kernels'}; "
                  f"start Jupyter with: JUPYTER_PATH={jupyter_dir} jupyter notebook")
        print("Press Ctrl-C to stop.", flush=True)
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        stop.wait()
    finally:
        emulator.stop()
    print("Emulator stopped.")
    return 0


def _run(args) -> int:
    from .activities import load
    from .emulator import Emulator
    from .execution import write_run
    from .grading.gather import GradingOptions, limit_options, run_notebooks
    from .grading.grade import submission_key

    activity = load(args.activity)
    options = GradingOptions(submissions=[args.notebook], start_from=args.start_from, data_dir=args.data_dir,
                             limits=limit_options(args), warm=not args.cold_kernels,
                             environment=args.environment)
    with Emulator() as emulator:
        outcome = run_notebooks(activity, options, emulator)[0]
        emulator.remove_account(outcome.account.account_id)
    record_path, notebook_path = write_run(outcome, args.out / activity.id / submission_key(options))
    print(describe_run(outcome.record))
    print(inert(f"run record: {record_path}"))
    print(inert(f"executed notebook: {notebook_path}"))
    return 0


def describe_run(record) -> str:
    """A few lines a person can read: totals, then every cell that did not simply succeed."""
    summary = record.summary()
    lines = [f"ran {record.submission['name']} ({record.activity}) in {record.duration_s:.1f} s: "
             f"{summary['cells']} cells, {summary['ok']} ok, {summary['error']} error, "
             f"{summary['timeout']} timeout, {summary['not_run']} not run; kernel {record.kernel.status}"]
    if record.environment.get("name"):
        why = record.environment.get("note") or record.environment.get("chosen") or "default"
        lines.append(f"  kernel environment: {record.environment['name']} ({why})")
    for cell in record.cells:
        if cell.status in ("error", "timeout"):
            error = cell.error
            lines.append(
                f"  cell {cell.index}: {cell.status} {error.name}: "
                f"{error.value.splitlines()[0] if error.value else ''}"[:200])
        for note in cell.notes:
            lines.append(f"  cell {cell.index}: note: {note}")
    if record.kernel.message:
        lines.append(f"  kernel: {record.kernel.message}")
    for item in record.data_files:
        if item.get("synthetic"):
            lines.append(
                f"  data: {item['name']} is a SYNTHETIC stand-in, not the course data; pass --data-dir")
    return "\n".join(map(inert, lines))


def _snapshot(args) -> int:
    import boto3

    from .activities import course
    from .emulator import read_env_file
    from .regions import regions_to_read
    from .snapshots.snapshot import collect, collect_live, reached, write

    if args.live:
        snapshot = collect_live(args.profile, args.region)
    else:
        if args.profile:
            raise UsageError(
                "--profile needs --live; without --live the snapshot is of the emulator in --env-file")
        if not args.env_file or not args.env_file.is_file():
            raise UsageError("give --env-file (written by `grader serve --env-file`) to snapshot the "
                             "emulator, or --live to snapshot a real AWS account")
        env = read_env_file(args.env_file)
        session = boto3.Session(aws_access_key_id=env.get("AWS_ACCESS_KEY_ID"),
                                aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY"),
                                aws_session_token=env.get("AWS_SESSION_TOKEN"))
        regions = regions_to_read(args.region or env.get("AWS_DEFAULT_REGION") or course().region)
        snapshot = reached(collect(session, regions, endpoint_url=env.get("AWS_ENDPOINT_URL"),
                                   source="emulator"))
    write(snapshot, args.out)
    print(inert(f"snapshot of account {snapshot['account_id']} ({', '.join(snapshot['regions'])}) written to "
                f"{args.out}; {len(snapshot['errors'])} calls failed"
                + (" (listed under 'errors')" if snapshot["errors"] else "")))
    return 0


def _check(args) -> int:
    if not args.no_warm_server:
        served = _check_in_warm_server(args.argv)
        if served is not None:
            return served
    from .activities import load
    from .files import write_atomic
    from .grading.gather import GradingOptions, limit_options
    from .grading.grade import grade_submission
    from .reporting.outputs import write_submission_outputs
    from .reporting.scorecard import render

    activity = load(args.activity)
    options = GradingOptions(submissions=list(args.notebooks), snapshot=args.snapshot,
                             start_from=args.start_from, live=args.live, profile=args.profile,
                             region=args.region, data_dir=args.data_dir, limits=limit_options(args),
                             warm=not args.cold_kernels, environment=args.environment)
    graded = grade_submission(activity, options, out=args.out, staff=args.staff)
    result = graded.result
    written = [("result", graded.result_path)]
    if args.json:
        written.append(("result", write_atomic(args.json, graded.result_path.read_bytes())))
    written += write_submission_outputs(result, graded.folder, html=args.html,
                                        gradescope_file=args.gradescope, junit=args.junit, staff=args.staff)
    print(render(result))   # once everything is written: an interruption before this shows no score
    for label, path in written:
        print(f"{label}: {path}")
    if args.fail_under is not None and result.score < args.fail_under:
        print(f"score {result.score:g} is under --fail-under {args.fail_under:g}")
        return 1
    return 0


def _check_in_warm_server(argv: list[str]) -> int | None:
    """The check's exit code when the warm server ran it (starting it if need be); None to grade here."""
    from .warm_server import client, runtime

    if not runtime.wanted():
        return None
    try:
        return client.check(argv)
    except (client.NoServer, runtime.UnsafeFolder) as why:
        print(inert(f"grader: note: grading without the warm server: {why}"), file=sys.stderr)
        return None


def _warm(args) -> int:
    from .warm_server import client

    print(inert(client.status() if args.action == "status" else client.stop()))
    return 0


def _grade(args) -> int:
    from .batch.run import BatchOptions, grade_class
    from .grading.gather import limit_options

    return grade_class(BatchOptions(activity=args.activity, submissions=args.submissions, out=args.out,
                                    workers=args.workers, scheduler=args.scheduler, dashboard=args.dashboard,
                                    resume=args.resume, regrade=args.regrade, roster=args.roster,
                                    staff=args.staff, allow_unisolated=args.allow_unisolated,
                                    data_dir=args.data_dir, limits=limit_options(args),
                                    warm=not args.cold_kernels, environment=args.environment,
                                    canvas_gradebook=args.canvas_gradebook,
                                    canvas_assignment=args.canvas_assignment, rescore=args.rescore,
                                    prefer=args.prefer, due=args.due, late_penalty=args.late_penalty))


def _audit(args) -> int:
    from .audit import AuditOptions, run_audit

    return run_audit(AuditOptions(out=args.out, profiles=args.profile, org=args.org, role_name=args.role_name,
                                  snapshots=args.snapshots, roster=args.roster, regions=args.regions,
                                  all_regions=args.all_regions, fail_over=args.fail_over,
                                  plan_cleanup=args.plan_cleanup))


def _report(args) -> int:
    from .batch.store import read_stamp
    from .canvas import gradebook_option
    from .reporting.canvas_import import describe, place
    from .reporting.class_summary import write_class_report
    from .reporting.results_files import name_from_roster, read_submissions
    from .review.history import latest_changes
    from .review.stage import review_results
    from .roster import read_pairs

    gradebook = gradebook_option(args.canvas_gradebook, args.canvas_assignment)
    roster = read_pairs(args.roster, "id", "name") if args.roster else None
    submissions, similar = review_results(args.results,
                                          read_submissions(args.results, student_view=args.student_view),
                                          due=args.due, adjustments_file=args.adjustments,
                                          late_penalty=args.late_penalty)
    without_result = name_from_roster(submissions, roster) if roster else []
    placement = place(submissions, gradebook, keep_names=roster is not None) if gradebook else None
    written = write_class_report(submissions, args.out, staff=args.staff, canvas=placement, similar=similar,
                                 changes=latest_changes(submissions, read_stamp))
    view = " (student view)" if args.student_view else " (staff view)" if args.staff else ""
    print(f"{len(submissions)} submission(s) of {submissions[0].result.activity}: "
          f"reports in {written['reports']}/<student>/{view}")
    for label in ("index", "grades", "junit"):
        print(f"{label}: {written[label]}")
    for line in describe(placement, written) if placement else []:
        print(line)
    if without_result:
        print(inert(f"on the roster without a result ({len(without_result)}): "
                    + ", ".join(f"{key} ({name})" for key, name in without_result)))
    return 0


def _gradescope(args) -> int:
    from .autograder.build import build_autograder

    notes = build_autograder(args.activity, args.out, args.data_dir)
    print(inert(f"Gradescope autograder for {args.activity}: {args.out}"))
    for note in notes:
        print(inert(f"  {note}"))
    return 0


def _activities(args) -> int:
    from .activities import load_all
    from .grading.rubric import activity_points

    for activity in load_all():
        needs = [f"data: {', '.join(activity.data)}" if activity.data else "no data files"]
        needs += [f"service: {name}" for name, on in activity.services.items() if on]
        points = activity_points(activity.id)
        print(f"{activity.id:<20} {activity.kind:<9} {points:>3g} points  {activity.title}")
        print(f"{'':<20} notebooks: {', '.join(activity.notebooks)}; {'; '.join(needs)}")
    return 0


def _new_activity(args) -> int:
    from .project import authoring_dir
    from .scaffold import new_activity

    made = new_activity(args.activity, args.from_solution, authoring_dir(), data_dir=args.data_dir)
    print(f"Wrote {made.activity} and {made.rubric}: {len(made.checks)} checks, {made.points:g} points, "
          f"the checks the solution's run supports. Review them (docs/authoring.md), then grade with: "
          f"grader check {args.activity} NOTEBOOK")
    return 0


def _add_run_options(parser: argparse.ArgumentParser, *, start_from: bool = True) -> None:
    if start_from:
        parser.add_argument("--start-from", type=Path, metavar="SNAPSHOT",
                            help="run the notebook(s) in an account seeded from this snapshot "
                                 "(the student's real account)")
    parser.add_argument("--data-dir", type=Path,
                        help="folder with the course data files (else ../shared/data, else synthetic)")
    parser.add_argument("--cell-timeout", type=float,
                        help="CPU seconds one cell may use (a cell that sleeps or waits is stopped after "
                             "5 times as many seconds)")
    parser.add_argument("--notebook-timeout", type=float,
                        help="CPU seconds all the notebook's cells may use (and 5 times as many seconds of "
                             "wall-clock time)")
    parser.add_argument("--memory-mb", type=int, help="memory limit of the kernel in MB")
    parser.add_argument("--output-limit", type=int, help="bytes of output kept per cell")
    parser.add_argument("--cold-kernels", action="store_true",
                        help="start every kernel from scratch instead of forking it from a warm server "
                             "(slower)")
    parser.add_argument("--environment", metavar="NAME",
                        help="kernel environment for the notebooks: current (the grader's libraries) or "
                             "course-era (2019-2021 libraries, built on first use); default: the activity's, "
                             "re-run on the other era's when a cell fails on an API of it")


def _add_canvas_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--canvas-gradebook", type=Path, metavar="CSV",
                        help="the gradebook Canvas exported (Grades > Export): also write "
                             "DIR/canvas-import.csv for Grades > Import, and name the students "
                             "(docs/canvas.md)")
    parser.add_argument("--canvas-assignment", metavar="NAME_OR_ID",
                        help="the gradebook's assignment the scores are for: its name or the id in "
                             "parentheses")
def _add_review_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--due", metavar="DATETIME",
                        help="due date and time, ISO 8601 (2026-12-01T23:59-08:00; no zone is UTC); "
                             "`grader grade` keeps it with --late-penalty in --out for later runs and "
                             "`grader report`")
    parser.add_argument("--late-penalty", metavar="SPEC",
                        help="per day started late, of the maximum score or in points, with an optional cap "
                             "(10%%/day,cap=50%%; 2/day), or a table of days:deduction "
                             "(1:10%%,3:25%%,7:50%%)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the offline AWS emulator in the foreground")
    serve.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 picks a free one)")
    serve.add_argument("--env-file", type=Path,
                       help="also write the client environment here as KEY=VALUE lines")
    serve.add_argument("--region", default="us-west-2", help="the account's region (default us-west-2)")
    serve.add_argument("--allow-network", action="store_true",
                       help="do not block non-loopback connections in client processes")
    serve.add_argument("--install-kernels", type=Path, metavar="DIR",
                       help="write Jupyter kernels named python3, conda_python3 (and each --notebook's) into "
                            "DIR/kernels, running this Python against the emulator; start Jupyter with "
                            "JUPYTER_PATH=DIR")
    serve.add_argument("--bucket", action="append", default=[], metavar="NAME",
                       help="create this bucket in the account, as the course did in "
                            "the S3 console (repeatable)")
    serve.add_argument("--notebook", action="append", default=[], type=Path, metavar="FILE",
                       help="create the buckets this notebook uses without creating, as "
                            "graded runs do (repeatable)")
    serve.set_defaults(run=_serve)

    run = commands.add_parser("run", help="run one notebook on the emulator and write its run record")
    run.add_argument("activity", help="activity id (see `grader activities`)")
    run.add_argument("notebook", type=Path, help="the .ipynb file to run")
    run.add_argument("--out", type=Path, default=Path("reports"), help="output folder (default reports/)")
    _add_run_options(run)
    run.set_defaults(run=_run)

    check = commands.add_parser("check",
                                help="run a notebook (or read an account) and grade it with the rubric")
    check.add_argument("activity", help="activity id (see `grader activities`)")
    check.add_argument("notebooks", type=Path, nargs="*",
                       help="the notebook(s) of ONE submission, matched to the activity's notebooks by name "
                            "(for a class use `grader grade`)")
    check.add_argument("--snapshot", type=Path, metavar="FILE",
                       help="grade this recorded account snapshot instead of running "
                            "notebooks (console activities)")
    check.add_argument("--live", action="store_true", help="grade a live AWS account (read-only calls)")
    check.add_argument("--profile", help="AWS profile for --live")
    check.add_argument("--region", help="for --live, read only this region and us-east-1 (default: every "
                                          "enabled region where SageMaker and S3 exist)")
    check.add_argument("--json", type=Path, help="also copy the graded result (JSON, docs/results.md) here")
    check.add_argument("--staff", action="store_true",
                       help="staff view: keep hidden checks' messages and evidence in the result")
    check.add_argument("--fail-under", type=float, help="exit 1 when the score is below this")
    check.add_argument("--html", type=Path, metavar="FILE",
                       help="write the HTML report here (default: report.html in the submission's folder)")
    check.add_argument("--gradescope", type=Path, metavar="FILE",
                       help="also write Gradescope's results.json here")
    check.add_argument("--junit", type=Path, metavar="FILE", help="also write the checks as JUnit XML here")
    check.add_argument("--out", type=Path, default=Path("reports"),
                       help="output folder; each submission gets "
                            "OUT/<activity>/<file>-<hash>/ (default reports/)")
    check.add_argument("--no-warm-server", action="store_true",
                       help="grade in this process instead of the background warm server (also: "
                            "GRADER_WARM_SERVER=0; docs/runner.md)")
    _add_run_options(check)
    check.set_defaults(run=_check)

    batch = commands.add_parser("grade", help="grade a class: every submission in a folder or LMS zip, in "
                                              "parallel, resumable (docs/batch.md)")
    batch.add_argument("activity", help="activity id (see `grader activities`)")
    batch.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                       help="a folder of notebooks named by student id, a folder of per-student folders, or "
                            "a Canvas or Gradescope zip")
    batch.add_argument("--out", type=Path, required=True,
                       help="folder for DIR/<student>/ results and reports, index.html, "
                            "grades.csv, progress.jsonl")
    batch.add_argument("--workers", type=int,
                       help="worker processes of the embedded Dask cluster (default: one per core)")
    batch.add_argument("--scheduler", metavar="ADDRESS",
                       help="use a running Dask cluster (e.g. tcp://host:8786); its workers must share "
                            "SUBMISSIONS and --out at the same paths")
    batch.add_argument("--dashboard", action="store_true", help="serve the embedded cluster's Dask dashboard")
    batch.add_argument("--resume", action="store_true",
                       help="continue the batch in --out (refuses a folder that holds "
                            "none); a re-run resumes anyway")
    batch.add_argument("--regrade", action="store_true", help="grade every submission again, even those "
                                                              "already graded with the same inputs")
    batch.add_argument("--roster", type=Path, metavar="CSV",
                       help="CSV with the columns id,name: names the students and lists those who "
                            "submitted nothing")
    batch.add_argument("--staff", action="store_true",
                       help="staff view: keep hidden checks' messages and evidence in results and reports")
    batch.add_argument("--allow-unisolated", action="store_true",
                       help="grade even on a machine that cannot sandbox students' code (not for credit)")
    _add_canvas_options(batch)
    batch.add_argument("--rescore", action="store_true",
                       help="after a rubric change, grade each unchanged submission's stored evidence "
                            "(run records, account snapshot) again without running notebooks; those that "
                            "need a run are named and graded by running")
    batch.add_argument("--prefer", choices=("last", "first"), default="last",
                       help="of several submissions of one notebook by a student, grade the last "
                            "(default) or the first by the LMS's order; the others are named in the result "
                            "as set aside")
    _add_review_options(batch)
    _add_run_options(batch, start_from=False)
    batch.set_defaults(run=_grade, keeps_finished=True,
                       interrupted="the submissions graded before it are kept; run it again to go on")

    snapshot = commands.add_parser("snapshot",
                                   help="record an account's IAM, S3 and SageMaker state (read-only)")
    snapshot.add_argument("--live", action="store_true",
                          help="snapshot a real AWS account (read-only calls only)")
    snapshot.add_argument("--profile", help="AWS profile for --live (default: the default credential chain)")
    snapshot.add_argument("--region", help="read only this region and us-east-1 (default with --live: every "
                                             "enabled region where SageMaker and S3 exist)")
    snapshot.add_argument("--env-file", type=Path, help="emulator environment from `grader serve --env-file`")
    snapshot.add_argument("--out", type=Path, required=True, help="the snapshot file to write")
    snapshot.set_defaults(run=_snapshot)

    audit = commands.add_parser("audit",
                                help="find what still bills across a class of AWS accounts (read-only)")
    audit.add_argument("--profile", action="append", default=[],
                       help="an AWS config profile to audit (repeatable)")
    audit.add_argument("--org", action="store_true",
                       help="audit every account of the organization (management "
                            "credentials: the default chain)")
    audit.add_argument("--role-name",
                       help="role to assume in each member account (default OrganizationAccountAccessRole)")
    audit.add_argument("--snapshots", type=Path, help="a folder of recorded snapshots, one per student")
    audit.add_argument("--roster", type=Path, help="CSV with the columns account,student")
    audit.add_argument("--regions", help="regions to read, comma-separated (default: us-west-2,us-east-1)")
    audit.add_argument("--all-regions", action="store_true", help="read every region enabled in each account")
    audit.add_argument("--out", type=Path, required=True,
                       help="folder for audit.html, leftovers.csv, audit.json")
    audit.add_argument("--fail-over", type=float, metavar="DOLLARS_PER_HOUR",
                       help="exit 1 only when the leftovers bill more than this per hour")
    audit.add_argument("--plan-cleanup", type=Path, metavar="FILE",
                       help="also write the AWS CLI commands that would delete what was found, to review")
    audit.set_defaults(run=_audit)

    report = commands.add_parser("report", help="class summary, reports and grades.csv from graded results")
    report.add_argument("results", type=Path, nargs="+", metavar="RESULTS",
                        help="result.json files, or folders holding them (searched recursively)")
    report.add_argument("--out", type=Path, required=True, help="folder for index.html, grades.csv, "
                                                                "junit.xml and <student>/report.html")
    views = report.add_mutually_exclusive_group()
    views.add_argument("--staff", action="store_true",
                       help="students' reports in the staff view (hidden checks shown)")
    views.add_argument("--student-view", action="store_true",
                       help="render everything from the students' copy of each result (a staff grading's "
                            "hidden checks keep only their title and points), as a grading without --staff "
                            "does")
    report.add_argument("--roster", type=Path, metavar="CSV",
                        help="CSV with the columns id,name: names the students")
    report.add_argument("--adjustments", type=Path, metavar="CSV",
                        help="staff's adjustments (student,check,points,reason,by); default: adjustments.csv "
                             "in RESULTS when it is one batch folder")
    _add_canvas_options(report)
    _add_review_options(report)
    report.set_defaults(run=_report)

    gradescope = commands.add_parser("gradescope", help="build the Gradescope autograder zip of an activity "
                                                        "(docs/gradescope.md)")
    gradescope.add_argument("activity", help="activity id (see `grader activities`)")
    gradescope.add_argument("--out", type=Path, required=True, metavar="FILE.zip", help="the zip to write")
    gradescope.add_argument("--data-dir", type=Path,
                            help="folder with the course data files the activity reads (put in the zip; "
                                 "without it: a synthetic stand-in)")
    gradescope.set_defaults(run=_gradescope)

    warm = commands.add_parser("warm", help="the background warm server that serves `grader check` "
                                            "(docs/runner.md)")
    warm.add_argument("action", choices=("status", "stop"),
                      help="status: is one running, since when, how busy; stop: stop it (running gradings "
                           "finish first)")
    warm.set_defaults(run=_warm)

    activities = commands.add_parser("activities", help="list the activities, their points (what every "
                                                        "submission is scored out of) and what each needs")
    activities.set_defaults(run=_activities)

    new = commands.add_parser("new-activity",
                              help="scaffold an activity and its rubric from a solution notebook (into "
                                   "GRADER_PROJECT_DIR, else the current folder)")
    new.add_argument("activity", metavar="ID",
                     help="the new activity's id (lower-case, dashes), e.g. churn-model")
    new.add_argument("--from-solution", type=Path, required=True, metavar="NOTEBOOK",
                     help="the activity's solution notebook: it runs once on the emulator to find what to "
                          "grade")
    new.add_argument("--data-dir", type=Path, help="folder with the data files the solution opens")
    new.set_defaults(run=_new_activity)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .files import journal, take_back
    from .interruption import Interrupted, interruptible

    args = None
    try:
        with journal() as written, interruptible():   # first: a signal from here on stops the command
            args = build_parser().parse_args(argv)
            args.argv = sys.argv[1:] if argv is None else list(argv)   # what a warm server is asked to run
            return args.run(args)
    except UsageError as error:
        print(f"grader: error: {inert(error)}", file=sys.stderr)
        return 2
    except Interrupted as stopped:
        if not getattr(args, "keeps_finished", False):
            take_back(written)
        said = getattr(args, "interrupted", "nothing was graded or written")
        print(f"grader: interrupted by {stopped}; {said}", file=sys.stderr)
        return stopped.exit_code


if __name__ == "__main__":
    sys.exit(main())
