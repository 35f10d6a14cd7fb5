"""Gathering the evidence a rubric grades, from one of three sources: running the submission's
notebooks on the emulator (then snapshotting its account), a recorded snapshot file, or a live
AWS account (read-only); or, to rescore with a changed rubric, the evidence a run left in the
submission's folder (its run records and the account's snapshot), without running anything."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ..activities import Activity
from ..checks.evidence import Evidence
from ..errors import UsageError, require_dir
from ..snapshots import snapshot as snapshots


@dataclass
class GradingOptions:
    submissions: list[Path] = field(default_factory=list)
    snapshot: Path | None = None        # grade this recorded account state (console work)
    # run the notebooks from this account state (the student's real account)
    start_from: Path | None = None
    live: bool = False
    profile: str | None = None
    region: str | None = None
    data_dir: Path | None = None
    limits: dict = field(default_factory=dict)
    isolate: str = "auto"               # sandbox: "auto" (when this machine can), "required" or "off"
    warm: bool = True                   # kernels forked from a warm-kernel server (imports done once)
    # kernel environment of every run; None: the activity's, and another era's on demand
    environment: str | None = None
    evidence_from: Path | None = None   # rescore: the folder where a run of these notebooks left its evidence


def limit_options(namespace) -> dict:
    """The run limits given as options (--cell-timeout, --notebook-timeout, --memory-mb, --output-limit)."""
    chosen = {"cell_timeout": namespace.cell_timeout, "notebook_timeout": namespace.notebook_timeout,
              "memory_mb": namespace.memory_mb, "output_bytes": namespace.output_limit}
    return {name: value for name, value in chosen.items() if value is not None}


@dataclass
class Gathered:
    evidence: Evidence
    runs: list = field(default_factory=list)   # RunOutcome per notebook (record, account, executed notebook)
    timings: dict = field(default_factory=dict)   # seconds: emulator start, notebook runs, snapshot


EVIDENCE_SNAPSHOT = "account.snapshot.json"   # beside the run records: the account as the runs left it


def stored_evidence(activity: Activity, folder: Path) -> Evidence:
    """The evidence a notebook run left in `folder` (each `<notebook>.run.json`, in the activity's order,
    and the account's snapshot). UsageError when it is not all there."""
    from ..execution.record import RunRecord

    snapshot_path = Path(folder) / EVIDENCE_SNAPSHOT
    records = [Path(folder) / f"{Path(name).stem}.run.json" for name in activity.notebooks]
    if not snapshot_path.is_file() or not any(path.is_file() for path in records):
        raise UsageError(f"{folder} holds no stored evidence of a run ({EVIDENCE_SNAPSHOT} and the run "
                         "records); grade the submission by running it")
    try:
        runs = [RunRecord.read(path) for path in records if path.is_file()]
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise UsageError(f"the run records in {folder} cannot be read ({error}); grade the submission "
                         "again") from None
    return Evidence(activity, snapshots.read(snapshot_path), runs)


def gather(activity: Activity, options: GradingOptions, on_run=None, announce=None) -> Gathered:
    """`on_run(outcome)` receives each notebook's run as soon as it finishes (so it can be saved);
    `announce(message)` the progress of a kernel environment's first build (default: stderr)."""
    if options.evidence_from:
        return Gathered(stored_evidence(activity, options.evidence_from))
    if options.submissions:
        return _run_notebooks(activity, options, on_run, announce)
    if options.snapshot:
        return Gathered(Evidence(activity, snapshots.read(options.snapshot)))
    if options.live:
        # all regions unless given
        return Gathered(Evidence(activity, snapshots.collect_live(options.profile, options.region)))
    raise UsageError(f"nothing to grade for {activity.id}: give the notebook(s), --snapshot FILE or --live")


def read_submissions(activity: Activity, options: GradingOptions):
    """The submitted files, read and matched to the activity's notebooks (UsageError if they cannot be)."""
    from ..execution import read_submission
    from ..execution.matching import match_notebooks

    return match_notebooks(activity, [read_submission(path) for path in options.submissions])


def run_notebooks(activity: Activity, options: GradingOptions, emulator, on_run=None, announce=None) -> list:
    """Run the submission's notebooks in the activity's order in one account (a later notebook meets
    what an earlier one made); returns their RunOutcomes and hands each to `on_run` as it finishes.
    The caller removes the account.

    They run in the kernel environment `options.environment` names, else the activity's. In the
    activity's, a failed cell that is a known API of another library era (execution/eras.py) has the
    whole submission run again in that era's environment, in a fresh account; the run with fewer
    failed cells is kept (the first on a tie) and the other one's account removed. Every run record
    says which environment ran it and why."""
    from ..execution import environments, eras
    from ..execution.environment_build import say_on_stderr

    announce = announce or say_on_stderr
    matched = read_submissions(activity, options)
    require_dir(options.data_dir, "--data-dir")
    first = options.environment or activity.environment
    why = "named by --environment" if options.environment else f"the {activity.id} activity's environment"
    outcomes = _run_in(activity, options, emulator, matched, environments.get(first, announce), why, on_run)
    diagnosis = None if options.environment else eras.diagnose(_records(outcomes), first)
    if diagnosis is None:
        return outcomes
    try:
        other = environments.get(diagnosis.environment, announce)
    except UsageError as error:
        return _decided(outcomes, f"{diagnosis.reason}; not re-run there: {error}", None, on_run)
    retried = _run_in(activity, options, emulator, matched, other, "a re-run in another library era", None)
    before, after = eras.failed_cells(_records(outcomes)), eras.failed_cells(_records(retried))
    if after < before:
        emulator.remove_account(outcomes[-1].account.account_id)
        return _decided(retried, f"re-run on '{diagnosis.environment}' because {diagnosis.reason}; kept: "
                                 f"{after} cell(s) not ok there against {before} on '{first}'",
                        outcomes, on_run)
    emulator.remove_account(retried[-1].account.account_id)
    return _decided(outcomes, f"{diagnosis.reason}; the re-run on '{diagnosis.environment}' was not better "
                              f"({after} cell(s) not ok against {before}), so the run on '{first}' is kept",
                    retried, on_run)


def _run_in(activity: Activity, options: GradingOptions, emulator, matched, environment, why: str,
            on_run) -> list:
    from ..datasets import DataFileMissing
    from ..execution import default_limits, run_submission

    seed = snapshots.read(options.start_from) if options.start_from else None
    limits = default_limits(activity).with_overrides(**options.limits)
    outcomes, account = [], None
    for name, submission in matched.in_run_order():
        try:
            outcome = run_submission(activity, submission, emulator, limits=limits, data_dir=options.data_dir,
                                     snapshot=seed, account=account, notebook=name, isolate=options.isolate,
                                     environment=environment, warm=options.warm)
        except DataFileMissing as error:
            raise UsageError(str(error)) from None
        outcome.record.environment["chosen"] = why
        account = outcome.account
        outcomes.append(outcome)
        if on_run:
            on_run(outcome)
    return outcomes


def _records(outcomes: list) -> list:
    return [outcome.record for outcome in outcomes]


def _decided(kept: list, note: str, other: list | None, on_run) -> list:
    """Say in each kept run's record what was decided about its environment (and what the other run
    did), and hand the runs to `on_run` again, since their records changed."""
    from ..execution import eras

    for outcome in kept:
        outcome.record.environment["note"] = note
        if other:
            outcome.record.environment["other_run"] = eras.shortfall(_records(other))
        if on_run:
            on_run(outcome)
    return kept


def _run_notebooks(activity: Activity, options: GradingOptions, on_run=None, announce=None) -> Gathered:
    from ..emulator import Emulator
    from ..execution.environment_build import say_on_stderr

    announce = announce or say_on_stderr

    snapshots.warm_up()   # the collector's service models load while the notebooks run
    if options.warm:      # and the kernel environment's imports while the emulator starts
        from ..execution import environments
        from ..execution.run import fork_server_for

        fork_server_for(environments.get(options.environment or activity.environment, announce))
    clock = time.monotonic()
    with Emulator() as emulator:
        started = time.monotonic()
        outcomes = run_notebooks(activity, options, emulator, on_run, announce)
        ran = time.monotonic()
        account = outcomes[-1].account
        state = snapshots.collect_emulated(emulator, account, sections=activity.snapshot)   # what checks read
        emulator.remove_account(account.account_id)
        timings = {"emulator_start_s": started - clock, "runs_s": ran - started,
                   "snapshot_s": time.monotonic() - ran}
    return Gathered(Evidence(activity, state, [outcome.record for outcome in outcomes]), outcomes,
                    {stage: round(seconds, 3) for stage, seconds in timings.items()})
