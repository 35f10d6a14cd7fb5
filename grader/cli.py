"""The `grader` command line."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from .errors import UsageError, require_dir
from .terminal import inert


def _serve(args) -> int:
    from .emulator import Emulator, client_environment, write_env_file

    try:
        emulator = Emulator(port=args.port).start()
    except OSError as error:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.port} ({error.strerror}); choose another --port or 0")
    account = emulator.new_account(args.region)
    env = client_environment(emulator.url, account, loopback_only=not args.allow_network)
    if args.env_file:
        write_env_file(args.env_file, env)
    print(f"Emulated AWS listening on {emulator.url} (account {account.account_id}, region {args.region}).")
    print("Use this environment in the process that runs your notebook"
          + (f" (written to {args.env_file}):" if args.env_file else ":"))
    for key, value in env.items():
        print(f"  export {key}={value}")
    print("Press Ctrl-C to stop.", flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    emulator.stop()
    print("Emulator stopped.")
    return 0


def _run(args) -> int:
    from .activities import load
    from .emulator import Emulator
    from .execution import write_run
    from .grading.gather import GradingOptions, limit_options, run_notebooks

    activity = load(args.activity)
    options = GradingOptions(submissions=[args.notebook], snapshot=args.snapshot, data_dir=args.data_dir,
                             limits=limit_options(args))
    with Emulator() as emulator:
        outcome = run_notebooks(activity, options, emulator)[0]
        emulator.remove_account(outcome.account.account_id)
    record_path, notebook_path = write_run(outcome, args.out)
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
    for cell in record.cells:
        if cell.status in ("error", "timeout"):
            error = cell.error
            lines.append(f"  cell {cell.index}: {cell.status} {error.name}: {error.value.splitlines()[0] if error.value else ''}"[:200])
        for note in cell.notes:
            lines.append(f"  cell {cell.index}: note: {note}")
    if record.kernel.message:
        lines.append(f"  kernel: {record.kernel.message}")
    for item in record.data_files:
        if item.get("synthetic"):
            lines.append(f"  data: {item['name']} is a SYNTHETIC stand-in, not the course data; pass --data-dir")
    return "\n".join(map(inert, lines))


def _snapshot(args) -> int:
    import boto3

    from .emulator import read_env_file
    from .evidence.snapshot import collect, collect_live, reached, regions_to_read, write

    if args.live:
        snapshot = collect_live(args.profile, args.region)
    else:
        if args.profile:
            raise UsageError("--profile needs --live; without --live the snapshot is of the emulator in --env-file")
        if not args.env_file or not args.env_file.is_file():
            raise UsageError("give --env-file (written by `grader serve --env-file`) to snapshot the emulator, "
                             "or --live to snapshot a real AWS account")
        env = read_env_file(args.env_file)
        session = boto3.Session(aws_access_key_id=env.get("AWS_ACCESS_KEY_ID"),
                                aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY"),
                                aws_session_token=env.get("AWS_SESSION_TOKEN"))
        regions = regions_to_read(args.region or env.get("AWS_DEFAULT_REGION") or "us-west-2")
        snapshot = reached(collect(session, regions, endpoint_url=env.get("AWS_ENDPOINT_URL"), source="emulator"))
    write(snapshot, args.out)
    print(inert(f"snapshot of account {snapshot['account_id']} ({', '.join(snapshot['regions'])}) written to "
                f"{args.out}; {len(snapshot['errors'])} calls failed"
                + (" (listed under 'errors')" if snapshot["errors"] else "")))
    return 0


def _check(args) -> int:
    import contextlib
    import io
    import re
    import tempfile

    import pytest

    from .activities import load
    from .evidence.snapshot import read as read_snapshot
    from .execution import read_submission
    from .grading.result import GradeResult
    from .project import project_dir
    from .reporting.scorecard import render

    activity = load(args.activity)
    if not (args.notebooks or args.snapshot or args.live):
        raise UsageError(f"give the notebook(s) to grade, --snapshot FILE or --live (activity {activity.id} has "
                         f"{', '.join(activity.notebooks)})")
    if args.live and (args.notebooks or args.snapshot):
        raise UsageError("--live grades the account as it is: do not combine it with notebooks or --snapshot")
    for notebook in args.notebooks:
        read_submission(notebook)
    if args.snapshot:
        read_snapshot(args.snapshot)
    require_dir(args.data_dir, "--data-dir")
    rubric = project_dir() / "rubrics" / activity.id
    if not rubric.is_dir():
        raise UsageError(f"activity {activity.id} has no rubric folder {rubric}; add one")
    with tempfile.TemporaryDirectory() as scratch:
        result_path = Path(scratch) / "result.json"
        options = [str(rubric), "-p", "no:cacheprovider", "-q", "--import-mode=importlib",
                   "--result-json", str(result_path), "--grader-out", str(args.out)]
        options += [f"--submission={notebook}" for notebook in args.notebooks]
        for flag, value in (("--snapshot", args.snapshot), ("--profile", args.profile), ("--aws-region", args.region),
                            ("--data-dir", args.data_dir), ("--cell-timeout", args.cell_timeout),
                            ("--notebook-timeout", args.notebook_timeout), ("--memory-mb", args.memory_mb),
                            ("--output-limit", args.output_limit)):
            if value is not None:
                options.append(f"{flag}={value}")
        if args.live:
            options.append("--live")
        pytest_output = io.StringIO()
        with contextlib.redirect_stdout(pytest_output), contextlib.redirect_stderr(pytest_output):
            code = pytest.main(options)
        if not result_path.exists():
            said = re.findall(r"grader: error: (.*?)(?: !+)?$", pytest_output.getvalue(), re.MULTILINE)
            if said:   # the plugin stopped the session on bad input (pytest.exit)
                raise UsageError(said[-1])
            raise RuntimeError(f"the rubric did not run (pytest exit code {code}):\n{pytest_output.getvalue()[-3000:]}")
        result = GradeResult.read(result_path)
    print(render(result))
    if args.json:
        result.write(args.json)
        print(f"result: {args.json}")
    if args.fail_under is not None and result.score < args.fail_under:
        print(f"score {result.score:g} is under --fail-under {args.fail_under:g}")
        return 1
    return 0


def _activities(args) -> int:
    from .activities import load_all

    for activity in load_all():
        needs = [f"data: {', '.join(activity.data)}" if activity.data else "no data files"]
        needs += [f"service: {name}" for name, on in activity.services.items() if on]
        print(f"{activity.id:<20} {activity.kind:<9} {activity.title}")
        print(f"{'':<20} notebooks: {', '.join(activity.notebooks)}; {'; '.join(needs)}")
    return 0


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--snapshot", type=Path, help="start from this account snapshot (the student's real account)")
    parser.add_argument("--data-dir", type=Path, help="folder with the course data files (else ../shared/data, else synthetic)")
    parser.add_argument("--cell-timeout", type=float, help="seconds one cell may run")
    parser.add_argument("--notebook-timeout", type=float, help="seconds the whole notebook may run")
    parser.add_argument("--memory-mb", type=int, help="memory limit of the kernel in MB")
    parser.add_argument("--output-limit", type=int, help="bytes of output kept per cell")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the offline AWS emulator in the foreground")
    serve.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 picks a free one)")
    serve.add_argument("--env-file", type=Path, help="also write the client environment here as KEY=VALUE lines")
    serve.add_argument("--region", default="us-west-2", help="the account's region (default us-west-2)")
    serve.add_argument("--allow-network", action="store_true",
                       help="do not block non-loopback connections in client processes")
    serve.set_defaults(run=_serve)

    run = commands.add_parser("run", help="run one notebook on the emulator and write its run record")
    run.add_argument("activity", help="activity id (see `grader activities`)")
    run.add_argument("notebook", type=Path, help="the .ipynb file to run")
    run.add_argument("--out", type=Path, default=Path("reports"), help="output folder (default reports/)")
    _add_run_options(run)
    run.set_defaults(run=_run)

    check = commands.add_parser("check", help="run a notebook (or read an account) and grade it with the rubric")
    check.add_argument("activity", help="activity id (see `grader activities`)")
    check.add_argument("notebooks", type=Path, nargs="*", help="the notebook(s) to run and grade, in run order")
    check.add_argument("--live", action="store_true", help="grade a live AWS account (read-only calls)")
    check.add_argument("--profile", help="AWS profile for --live")
    check.add_argument("--region", help="region to read for --live (default: the activity's)")
    check.add_argument("--json", type=Path, help="also write the graded result as JSON (docs/results.md)")
    check.add_argument("--fail-under", type=float, help="exit 1 when the score is below this")
    check.add_argument("--out", type=Path, default=Path("reports"), help="where run records and executed notebooks go")
    _add_run_options(check)
    check.set_defaults(run=_check)

    snapshot = commands.add_parser("snapshot", help="record an account's IAM, S3 and SageMaker state (read-only)")
    snapshot.add_argument("--live", action="store_true", help="snapshot a real AWS account (read-only calls only)")
    snapshot.add_argument("--profile", help="AWS profile for --live (default: the default credential chain)")
    snapshot.add_argument("--region", help="region to read, besides us-east-1 (default: the profile's, else us-west-2)")
    snapshot.add_argument("--env-file", type=Path, help="emulator environment from `grader serve --env-file`")
    snapshot.add_argument("--out", type=Path, required=True, help="the snapshot file to write")
    snapshot.set_defaults(run=_snapshot)

    activities = commands.add_parser("activities", help="list the activities and what each needs")
    activities.set_defaults(run=_activities)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except UsageError as error:
        print(f"grader: error: {inert(error)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
